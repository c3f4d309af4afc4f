# bnas: `make run` sets up and runs the main job, `make test` sets up and runs the tests.
.PHONY: setup build run test test-portable test-cpu test-blas-cores tsan fuzz bench clean

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

# The same suite built for the generic x86-64 baseline instead of -target-cpu native: the kernels'
# portable paths, and the float rounding another CPU's build may have.
test-portable:
	$(MAKE) test-cpu CPU=x86-64

# The suite compiled for another CPU (an LLVM name from `swiftc -target-cpu help`), run on this one:
# `make test-cpu CPU=znver5` checks Zen 5's instruction selection on any host with its instructions.
CPU ?= x86-64
test-cpu: setup
	BNAS_TARGET_CPU=$(CPU) swift test -c release -Xswiftc -enable-testing --scratch-path .build-$(CPU)

# The suite once per OpenBLAS kernel set, as other CPUs select them: the cores OpenBLAS 0.3.21 picks
# on x86-64 with SSE3 up to AVX-512 (a CPU it does not know, such as Zen 5, falls back by its
# instruction set). A failure names the core; rerun it with OPENBLAS_CORETYPE=CORE make test.
BLAS_CORES ?= Prescott Nehalem Sandybridge Haswell Zen SkylakeX Cooperlake
test-blas-cores: setup
	@for core in $(BLAS_CORES); do echo "OPENBLAS_CORETYPE=$$core"; \
		OPENBLAS_CORETYPE=$$core swift test -c release -Xswiftc -enable-testing || { echo "failed with OPENBLAS_CORETYPE=$$core"; exit 1; }; done

# The thread sanitizer over the tests that run parallel regions, sessions and the dashboard threads,
# among them SearchStressTests (many short searches, a reduction every epoch, bit-path scoring,
# the latency probe, checkpoints, pause/veto commands). Any report fails the run. The tmux end-to-end
# test is left out: its deadlines are for the optimised build, and the sanitizer runs 5-15x slower.
TSAN_SUITES = WorkerPoolTests|FlavourLayerTests|ParallelismTests|DerivedValueTests|SearchStressTests|SearchSessionTests|SupernetTests|ReductionTests|SeparableBitsTests|BinaryConvolutionTests|ModelEvaluationTests|TrainerTests
tsan: setup
	TSAN_OPTIONS="halt_on_error=1" SWIFT_BACKTRACE=enable=no swift test -c release -Xswiftc -enable-testing --sanitize=thread \
		--scratch-path .build-tsan --filter '$(TSAN_SUITES)'

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
	rm -rf .build .build-*
