import Foundation
import Testing
@testable import Tensor

@Suite struct AutogradTests {
    /// y = sum(x * x + x): x feeds three edges, dy/dx = 2x + 1.
    @Test func tensorUsedTwiceAccumulatesBothGradients() {
        let x = Tensor(shape: [3], data: [1, -2, 0.5], requiresGrad: true)
        (x * x + x).sum().backward()
        #expect(x.grad == [3, -3, 2])
    }

    /// A diamond: h = relu(x) feeds both branches of h * 3 + h * h.
    @Test func diamondGraph() {
        let x = Tensor(shape: [2], data: [2, -1], requiresGrad: true)
        let h = x.relu()
        (h.scaled(by: 3) + h * h).sum().backward()
        #expect(x.grad == [7, 0])
        #expect(h.grad.isEmpty, "intermediate gradients are released after use")
    }

    @Test func disabledModeRecordsNothing() {
        let x = Tensor(shape: [2, 2], data: [1, 2, 3, 4], requiresGrad: true)
        let w = Tensor(shape: [2, 2], data: [1, 0, 0, 1], requiresGrad: true)
        #expect(GradMode.isEnabled)
        let result = GradMode.disabled { () -> Tensor in
            #expect(!GradMode.isEnabled)
            GradMode.disabled { #expect(!GradMode.isEnabled) }
            #expect(!GradMode.isEnabled, "a nested block restores the outer state")
            return (x.matmul(w) + x).relu().sum()
        }
        #expect(GradMode.isEnabled)
        #expect(!result.requiresGrad)
        #expect(result.parents.isEmpty && result.backwardStep == nil)
        #expect(result.scalar == 20)
        result.backward()
        #expect(x.grad.isEmpty && w.grad.isEmpty)
        #expect(x.sum().requiresGrad, "recording resumes after the block")
    }

    /// Recording is per thread: disabling it here does not affect another thread.
    @Test func disabledModeIsPerThread() {
        final class Observation: @unchecked Sendable { var enabled = false }
        let observation = Observation()
        GradMode.disabled {
            let done = DispatchSemaphore(value: 0)
            Thread { observation.enabled = GradMode.isEnabled; done.signal() }.start()
            done.wait()
        }
        #expect(observation.enabled)
    }

    /// A carried mode is set whatever the running thread's own mode is: a task of a recorded job
    /// may run on a thread that helps while it waits for an unrecorded job of its own.
    @Test func carriedModeOverridesTheRunningThreadsMode() {
        let x = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        GradMode.disabled {
            let recorded = GradMode.carried(true) { () -> Tensor in
                #expect(GradMode.isEnabled)
                return (x * x).sum()
            }
            #expect(!GradMode.isEnabled, "the thread's own mode comes back after the task")
            #expect(recorded.requiresGrad)
            recorded.backward()
        }
        #expect(x.grad == [2, 4])
        #expect(!GradMode.carried(false) { (x * x).sum() }.requiresGrad)
        #expect(GradMode.isEnabled)
    }

    @Test func opsOnConstantsAreNotRecorded() {
        let a = Tensor(shape: [2], data: [1, 2])
        let b = Tensor(shape: [2], data: [3, 4])
        let y = (a * b).sum()
        #expect(!y.requiresGrad)
        y.backward()
        #expect(a.grad.isEmpty)
    }

    @Test func leafGradientsAccumulateUntilZeroGrad() {
        let x = Tensor(shape: [2], data: [1.5, -2], requiresGrad: true)
        let loss = (x * x).sum()
        loss.backward()
        #expect(x.grad == [3, -4])
        loss.backward()
        #expect(x.grad == [6, -8], "a second backward over the same graph adds to the leaf")
        (x.scaled(by: 2)).sum().backward()
        #expect(x.grad == [8, -6], "a new graph adds too")
        x.zeroGrad()
        #expect(x.grad.isEmpty)
        loss.backward()
        #expect(x.grad == [3, -4])
    }

    @Test func backwardWithExplicitSeed() {
        let x = Tensor(shape: [3], data: [1, 2, 3], requiresGrad: true)
        x.scaled(by: 2).backward(seed: [1, 0, -1])
        #expect(x.grad == [2, 0, -2])
    }

    /// A chain 20 000 ops deep is differentiated and released on a thread with a 512 KiB stack:
    /// neither the tape nor the release of the graph may recurse once per op.
    @Test func deepGraphOnASmallStack() {
        final class Outcome: @unchecked Sendable { var grad: [Float] = [] }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            let x = Tensor(shape: [1], data: [0.5], requiresGrad: true)
            var y = x
            for _ in 0..<10_000 { y = y.relu() + x.scaled(by: 0) }
            y.sum().backward()
            outcome.grad = x.grad
            done.signal()
        }
        worker.stackSize = 512 * 1024
        worker.start()
        done.wait()
        #expect(outcome.grad == [1])
    }
}

/// `Tensor.version` counts every change of `data`.
@Suite struct TensorVersionTests {
    @Test func everyKindOfWriteBumpsTheVersion() {
        let t = Tensor(shape: [2, 2], data: [1, 2, 3, 4])
        var seen = [t.version]
        t.data[1] = 5
        seen.append(t.version)
        t.data = [0, 0, 0, 0]
        seen.append(t.version)
        t.data.withUnsafeMutableBufferPointer { $0[0] = 7 }
        seen.append(t.version)
        t.data.append(contentsOf: [])
        seen.append(t.version)
        #expect(Set(seen).count == seen.count, "versions \(seen)")
        _ = t.data.reduce(0, +)
        #expect(t.version == seen.last, "reading does not bump the version")
    }
}

/// `Tensor.derived` keeps one value per type and version, and is safe when the parallel regions
/// read the same tensor from several threads (the ops of one edge at inference all read its input).
@Suite struct DerivedValueTests {
    final class Signs { let version: Int; init(_ version: Int) { self.version = version } }
    final class Runs {}

    @Test func valuesOfTwoTypesAreKeptSideBySideUntilDataChanges() {
        let t = Tensor(shape: [4], data: [1, -2, 3, -4])
        var made = 0
        let signs = t.derived(Signs.self) { made += 1; return Signs(t.version) }
        let runs = t.derived(Runs.self) { made += 1; return Runs() }
        #expect(t.derived(Signs.self) { made += 1; return Signs(-1) } === signs)
        #expect(t.derived(Runs.self) { made += 1; return Runs() } === runs)
        #expect(made == 2)
        t.data[0] = 5
        let remade = t.derived(Signs.self) { made += 1; return Signs(t.version) }
        #expect(remade !== signs && remade.version == t.version)
        #expect(made == 3)
    }

    /// Many tasks on both cores ask the same fresh tensors for their values at once: every reader of a
    /// tensor gets the same object (the first stored), and nothing is released twice.
    @Test func concurrentReadersShareOneValue() {
        for round in 0..<100 {
            let t = Tensor(shape: [2], data: [Float(round), 1])
            let seen = Parallelism.map(16) { task in
                // Making a value takes a while, as packing does, so that both cores miss at once.
                task % 2 == 0 ? ObjectIdentifier(t.derived(Signs.self) { usleep(50); return Signs(t.version) })
                              : ObjectIdentifier(t.derived(Runs.self) { usleep(50); return Runs() })
            }
            #expect(Set(seen.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)).count == 1)
            #expect(Set(seen.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)).count == 1)
            #expect(ObjectIdentifier(t.derived(Signs.self) { Signs(0) }) == seen[0])
        }
    }
}
