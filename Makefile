# bnas: `make run` sets up and runs the main job, `make test` sets up and runs the tests.
.PHONY: setup build run test bench clean

setup:
	@scripts/setup.sh

build: setup
	swift build -c release

run: build
	.build/release/bnas

# Tests run on the release build: the search and bit-kernel tests train real (small) networks, which
# the unoptimised debug build runs 50-100x slower. -enable-testing keeps @testable imports working.
test: setup
	swift test -c release -Xswiftc -enable-testing

bench: build
	.build/release/bnas bench conv

clean:
	rm -rf .build
