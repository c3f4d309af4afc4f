# bnas: `make run` sets up and runs the main job, `make test` sets up and runs the tests.
.PHONY: setup build run test bench clean

setup:
	@scripts/setup.sh

build: setup
	swift build -c release

run: build
	.build/release/bnas

test: setup
	swift test

bench: build
	.build/release/bnas bench conv

clean:
	rm -rf .build
