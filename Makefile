# bnas: `make run` sets up and runs the main job, `make test` sets up and runs the tests.
.PHONY: setup build run test bench fuzz clean

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

# `make fuzz`: builds the libFuzzer harness with AddressSanitizer in .build-fuzz and runs each target of
# FUZZ_TARGETS for FUZZ_SECONDS, one after the other (fuzz/run.sh; fuzz/README.md): it fails on the first
# crash, hang, leak or sanitizer report, whose input is kept in .build-fuzz/crashes/TARGET/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= idx idx-gzip cifar10 genotype-json genotype-darts checkpoint-training checkpoint-search model theme events

fuzz: setup
	BNAS_FUZZ=1 swift build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
		-Xswiftc -enable-testing --product bnas-fuzz
	@for target in $(FUZZ_TARGETS); do fuzz/run.sh $$target $(FUZZ_SECONDS) || exit 1; done

clean:
	rm -rf .build
