import Foundation
import Testing
@testable import Tensor

@Suite struct OptimizerTests {
    /// lr 0.1, momentum 0.9, weight decay 0.01 from p = (1, -2):
    /// step 1, g = (0.5, 0.25): v = g + 0.01 p = (0.51, 0.23), p = (0.949, -2.023);
    /// step 2, g = (-0.1, 0.4): v = 0.9 v + g + 0.01 p = (0.36849, 0.58677), p = (0.912151, -2.081677).
    @Test func sgdMomentumAndWeightDecayTwoSteps() {
        let p = Tensor(shape: [2], data: [1, -2], requiresGrad: true)
        let untouched = Tensor(shape: [1], data: [5], requiresGrad: true)
        let sgd = SGD(parameters: [p, untouched], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        p.grad = [0.5, 0.25]
        sgd.step()
        expectClose(p.data, [0.949, -2.023], absolute: 1e-6, relative: 1e-6, "after step 1")
        expectClose(sgd.velocity[0], [0.51, 0.23], absolute: 1e-6, relative: 1e-6, "velocity 1")
        sgd.zeroGrad()
        #expect(p.grad.isEmpty)
        p.grad = [-0.1, 0.4]
        sgd.step()
        expectClose(p.data, [0.912151, -2.081677], absolute: 1e-6, relative: 1e-6, "after step 2")
        expectClose(sgd.velocity[0], [0.36849, 0.58677], absolute: 1e-6, relative: 1e-6, "velocity 2")
        #expect(untouched.data == [5] && sgd.velocity[1] == [0], "a parameter without a gradient is skipped")
    }

    /// lr 0.01, betas (0.9, 0.999), eps 1e-8, weight decay 0.1 from p = (1, -2):
    /// step 1, g + 0.1 p = (0.6, 0.05): m = (0.06, 0.005), v = (3.6e-4, 2.5e-6); the bias-corrected
    ///   ratio m^ / sqrt(v^) is sign(g), so p = (0.99, -2.01);
    /// step 2, g + 0.1 p = (-0.001, 0.199): m = (0.0539, 0.0244), v = (3.59641e-4, 4.20985e-5),
    ///   p -= 0.01 (m / 0.19) / sqrt(v / 0.001999) = (0.98331184, -2.01884931).
    @Test func adamTwoSteps() {
        let p = Tensor(shape: [2], data: [1, -2], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        p.grad = [0.5, 0.25]
        adam.step()
        expectClose(p.data, [0.99, -2.01], absolute: 1e-6, relative: 1e-6, "after step 1")
        expectClose(adam.firstMoment[0], [0.06, 0.005], absolute: 1e-8, relative: 1e-4, "m 1")
        expectClose(adam.secondMoment[0], [3.6e-4, 2.5e-6], absolute: 1e-10, relative: 1e-4, "v 1")
        p.grad = [-0.1, 0.4]
        adam.step()
        #expect(adam.steps == 2)
        expectClose(adam.firstMoment[0], [0.0539, 0.0244], absolute: 1e-8, relative: 1e-4, "m 2")
        expectClose(adam.secondMoment[0], [3.59641e-4, 4.20985e-5], absolute: 1e-10, relative: 1e-4, "v 2")
        expectClose(p.data, [0.98331184, -2.01884931], absolute: 2e-6, relative: 1e-6, "after step 2")
    }

    /// minimum + (base - minimum) (1 + cos(pi t / T)) / 2.
    @Test func cosineScheduleEndpointsAndMiddle() {
        let schedule = CosineSchedule(base: 0.025, minimum: 0.001, total: 50)
        #expect(abs(schedule.rate(epoch: 0) - 0.025) < 1e-8)
        #expect(abs(schedule.rate(epoch: 25) - 0.013) < 1e-8)
        #expect(abs(schedule.rate(epoch: 50) - 0.001) < 1e-8)
        #expect(abs(schedule.rate(epoch: 80) - 0.001) < 1e-8, "past the end it stays at the minimum")
        // a quarter of the way: (1 + cos(pi / 4)) / 2 = 0.853553
        #expect(abs(CosineSchedule(base: 1, total: 4).rate(epoch: 1) - 0.8535534) < 1e-6)
    }

    /// base 0.1, 4 warm-up steps of 12: the warm-up climbs 0.025, 0.05, 0.075, 0.1; the 8 decay steps
    /// run t = 1/8 ... 1, so the cosine is at 0.05 on step 7 (t = 1/2) and at 0 on the last step, 11;
    /// the linear decay is at 0.075 on step 5 (t = 1/4).
    @Test func warmupDecayScheduleAtKnownSteps() {
        let cosine = WarmupDecaySchedule(base: 0.1, warmupSteps: 4, totalSteps: 12, decay: .cosine)
        expectClose((0..<4).map { cosine.rate(step: $0) }, [0.025, 0.05, 0.075, 0.1], absolute: 1e-8, relative: 1e-6, "warm-up")
        #expect(abs(cosine.rate(step: 7) - 0.05) < 1e-8)
        #expect(abs(cosine.rate(step: 4) - 0.1 * Float((1 + Foundation.cos(Double.pi / 8)) / 2)) < 1e-8)
        #expect(cosine.rate(step: 11) == 0)
        #expect((4..<12).allSatisfy { cosine.rate(step: $0) < cosine.rate(step: $0 - 1) || $0 == 4 }, "the decay falls at every step")
        let linear = WarmupDecaySchedule(base: 0.1, minimum: 0.02, warmupSteps: 4, totalSteps: 12, decay: .linear)
        #expect(abs(linear.rate(step: 5) - (0.02 + 0.08 * 0.75)) < 1e-8)
        #expect(abs(linear.rate(step: 11) - 0.02) < 1e-8, "the last step reaches the minimum")
        // Without warm-up the first step is already on the decay; a warm-up too long keeps one step of decay.
        #expect(abs(WarmupDecaySchedule(base: 1, warmupSteps: 0, totalSteps: 2, decay: .linear).rate(step: 0) - 0.5) < 1e-8)
        #expect(WarmupDecaySchedule(base: 1, warmupSteps: 9, totalSteps: 3, decay: .cosine).warmupSteps == 2)
    }

    /// Two groups, one without decay: with zero gradients only the decayed parameter moves, by
    /// lr * wd * p for SGD (momentum 0: 2 -> 2 - 0.5 * 0.1 * 2 = 1.9) and by lr for Adam (g = wd p > 0).
    @Test func parameterGroupsDecayOnlyTheirOwnParameters() {
        let (latent, other) = (Tensor(shape: [2], data: [0.5, -0.5], requiresGrad: true), Tensor(shape: [1], data: [2], requiresGrad: true))
        let groups = [ParameterGroup([latent], weightDecay: 0), ParameterGroup([other], weightDecay: 0.1)]
        let sgd = SGD(groups: groups, learningRate: 0.5, momentum: 0)
        #expect(sgd.parameters.count == 2 && sgd.weightDecays == [0, 0.1])
        (latent.grad, other.grad) = ([0, 0], [0])
        sgd.step()
        #expect(latent.data == [0.5, -0.5])
        expectClose(other.data, [1.9], absolute: 1e-7, relative: 1e-7, "decayed by SGD")

        let adam = Adam(groups: groups, learningRate: 0.01)
        (latent.grad, other.grad) = ([0, 0], [0])
        adam.step()
        #expect(latent.data == [0.5, -0.5])
        expectClose(other.data, [1.89], absolute: 1e-6, relative: 1e-6, "decayed by Adam")
    }

    @Test func resetForgetsTheBuffersAndTheStepCount() {
        let p = Tensor(shape: [2], data: [1, -2], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.01)
        p.grad = [0.5, 0.25]
        adam.step()
        #expect(adam.steps == 1 && adam.firstMoment[0] != [0, 0])
        adam.reset()
        #expect(adam.steps == 0 && adam.buffers == [[0, 0], [0, 0]])
    }

    /// BinaryConnect's clipping: values beyond the limit land on it, the rest stay; the version moves,
    /// so a kernel derived from the values is rebuilt.
    @Test func clipValuesClampsToTheLimit() {
        let p = Tensor(shape: [5], data: [-3, -1, 0.25, 1, 1.5], requiresGrad: true)
        let version = p.version
        GradientClipping.clipValues([p], limit: 1)
        #expect(p.data == [-1, -1, 0.25, 1, 1])
        #expect(p.version != version)
    }

    /// Gradients (3, 4) and (12): joint norm 13, scaled to 6.5.
    @Test func clipNormScalesToTheMaximum() {
        let a = Tensor(shape: [2], data: [0, 0], requiresGrad: true)
        let b = Tensor(shape: [1], data: [0], requiresGrad: true)
        let empty = Tensor(shape: [3], data: [0, 0, 0], requiresGrad: true)
        a.grad = [3, 4]
        b.grad = [12]
        let norm = GradientClipping.clipNorm([a, b, empty], maxNorm: 6.5)
        #expect(norm == 13)
        expectClose(a.grad + b.grad, [1.5, 2, 6], absolute: 1e-6, relative: 1e-6, "clipped gradients")
        #expect(empty.grad.isEmpty)
        let after = (a.grad + b.grad).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(abs(after - 6.5) < 1e-5)
    }

    @Test func clipNormLeavesSmallGradientsAlone() {
        let a = Tensor(shape: [2], data: [0, 0], requiresGrad: true)
        a.grad = [0.3, -0.4]
        #expect(abs(GradientClipping.clipNorm([a], maxNorm: 1) - 0.5) < 1e-7)
        #expect(a.grad == [0.3, -0.4])
    }

    /// One SGD step on a least-squares problem lowers the loss (the pieces working together).
    @Test func sgdStepLowersALoss() {
        let w = randomTensor([1, 3], seed: 81)
        let x = randomTensor([4, 3], seed: 82, requiresGrad: false)
        let target = Tensor(shape: [4, 1], data: [1, -1, 0.5, 2])
        func loss() -> Tensor {
            let error = x.linear(weight: w, bias: nil) + target.scaled(by: -1)
            return (error * error).mean()
        }
        let sgd = SGD(parameters: [w], learningRate: 0.1, momentum: 0)
        let before = loss()
        before.backward()
        sgd.step()
        #expect(loss().scalar < before.scalar)
    }
}
