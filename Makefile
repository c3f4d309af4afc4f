# bnas: `make run` sets up and runs the main job, `make test` sets up and runs the tests.
.PHONY: setup build run test test-portable tsan bench clean

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
test-portable: setup
	BNAS_PORTABLE=1 swift test -c release -Xswiftc -enable-testing --scratch-path .build-portable

# The thread sanitizer over the tests that run parallel regions, sessions and the dashboard threads,
# among them SearchStressTests (many short searches, a reduction every epoch, bit-path scoring,
# the latency probe, checkpoints, pause/veto commands). Any report fails the run. The tmux end-to-end
# test is left out: its deadlines are for the optimised build, and the sanitizer runs 5-15x slower.
TSAN_SUITES = WorkerPoolTests|ParallelismTests|DerivedValueTests|SearchStressTests|SearchSessionTests|SupernetTests|ReductionTests|SeparableBitsTests|BinaryConvolutionTests|ModelEvaluationTests|TrainerTests
tsan: setup
	TSAN_OPTIONS="halt_on_error=1" SWIFT_BACKTRACE=enable=no swift test -c release -Xswiftc -enable-testing --sanitize=thread \
		--scratch-path .build-tsan --filter '$(TSAN_SUITES)'

bench: build
	.build/release/bnas bench conv

clean:
	rm -rf .build .build-portable .build-tsan
