import Testing
import Binary
import Tensor

/// The ReAct flavour's per-channel ops: forward values written out by hand, gradients against finite
/// differences (both ops are piecewise linear, so the checks are tight).
@Suite struct ReActOpsTests {
    static func expectPassed(_ reports: [GradientCheck.Report], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!reports.isEmpty, sourceLocation: sourceLocation)
        for report in reports { #expect(report.passed, "\(report)", sourceLocation: sourceLocation) }
    }

    @Test func subtractingChannelsShiftsEachChannel() {
        let x = Tensor(shape: [2, 2, 1, 2], data: [1, -2, 0.5, 3, 0, 0, -0.5, 1], requiresGrad: true)
        let thresholds = Tensor(shape: [2], data: [0.5, -1], requiresGrad: true)
        let y = x.subtractingChannels(thresholds)
        #expect(y.data == [0.5, -2.5, 1.5, 4, -0.5, -0.5, 0.5, 2])
        y.backward(seed: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(x.grad == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(thresholds.grad == [-14, -22] as [Float])
    }

    @Test func subtractingChannelsGradientsMatchFiniteDifferences() {
        var rng = SeededRNG(seed: 3)
        let x = Tensor.randomUniform([3, 4, 5, 6], bound: 2, rng: &rng, requiresGrad: true)
        let thresholds = Tensor.randomUniform([4], bound: 1, rng: &rng, requiresGrad: true)
        Self.expectPassed(GradientCheck.run([x, thresholds], tolerance: .linear) { $0[0].subtractingChannels($0[1]) })
    }

    /// f(x) = x - gamma + zeta above the kink, beta (x - gamma) + zeta below, per channel.
    @Test func rpreluBendsAtGammaWithSlopeBetaAndOffsetZeta() {
        let x = Tensor(shape: [1, 2, 1, 2], data: [1, -1, 0.5, 3], requiresGrad: true)
        let gamma = Tensor(shape: [2], data: [0.5, 1], requiresGrad: true)
        let beta = Tensor(shape: [2], data: [0.25, -0.5], requiresGrad: true)
        let zeta = Tensor(shape: [2], data: [0.125, 0], requiresGrad: true)
        let y = x.rprelu(gamma: gamma, beta: beta, zeta: zeta)
        #expect(y.data == [0.625, -0.25, 0.25, 2])
        y.backward(seed: [1, 2, 3, 4])
        #expect(x.grad == [1, 0.5, -1.5, 4])
        #expect(gamma.grad == [-1.5, -2.5])
        #expect(beta.grad == [-3, -1.5])
        #expect(zeta.grad == [3, 7])
        // At the kink itself (x = gamma) the slope is beta's.
        let atKink = Tensor(shape: [1, 1, 1, 1], data: [2], requiresGrad: true)
        let kinked = atKink.rprelu(gamma: Tensor(shape: [1], data: [2]), beta: Tensor(shape: [1], data: [0.25]), zeta: Tensor(shape: [1], data: [1]))
        #expect(kinked.data == [1])
        kinked.backward(seed: [1])
        #expect(atKink.grad == [0.25])
    }

    /// With a shortcut, RPReLU of x + shortcut in one pass: the bits of adding first, and both
    /// summands get the gradient.
    @Test func rpreluAddsTheShortcutFirst() {
        var rng = SeededRNG(seed: 4)
        let x = Tensor.randomUniform([2, 3, 5, 7], bound: 2, rng: &rng, requiresGrad: true)
        let shortcut = Tensor.randomUniform([2, 3, 5, 7], bound: 2, rng: &rng, requiresGrad: true)
        let parameters = (0..<3).map { _ in Tensor.randomUniform([3], bound: 0.5, rng: &rng) }
        let fused = x.rprelu(gamma: parameters[0], beta: parameters[1], zeta: parameters[2], adding: shortcut)
        let separate = (shortcut + x).rprelu(gamma: parameters[0], beta: parameters[1], zeta: parameters[2])
        #expect(fused.data.map(\.bitPattern) == separate.data.map(\.bitPattern))
        let seed = (0..<fused.count).map { Float($0 % 7) - 3 }
        fused.backward(seed: seed)
        let (dx, ds) = (x.grad, shortcut.grad)
        x.zeroGrad(); shortcut.zeroGrad()
        separate.backward(seed: seed)
        #expect(dx == x.grad && ds == shortcut.grad && dx == ds)
    }

    /// Inputs at least 0.1 from their channel's kink, so that no finite-difference step of 0.01 (of x or
    /// of gamma) crosses it.
    @Test func rpreluGradientsMatchFiniteDifferences() {
        var rng = SeededRNG(seed: 5)
        let (batch, channels, plane) = (3, 4, 30)
        let gamma = Tensor.randomUniform([channels], bound: 0.5, rng: &rng, requiresGrad: true)
        let beta = Tensor.randomUniform([channels], bound: 1, rng: &rng, requiresGrad: true)
        let zeta = Tensor.randomUniform([channels], bound: 0.5, rng: &rng, requiresGrad: true)
        let values = (0..<batch * channels * plane).map { index -> Float in
            let distance = 0.1 + rng.nextUniform() * 1.5
            return gamma.data[index / plane % channels] + (rng.nextUniform() < 0.5 ? -distance : distance)
        }
        let x = Tensor(shape: [batch, channels, 5, 6], data: values, requiresGrad: true)
        Self.expectPassed(GradientCheck.run([x, gamma, beta, zeta], tolerance: .linear) { $0[0].rprelu(gamma: $0[1], beta: $0[2], zeta: $0[3]) })
        // Split into two summands, the same function of each.
        let half = Tensor(shape: x.shape, data: values.map { $0 / 2 }, requiresGrad: true)
        let other = Tensor(shape: x.shape, data: values.map { $0 - $0 / 2 }, requiresGrad: true)
        Self.expectPassed(GradientCheck.run([half, other, gamma], tolerance: .linear) { $0[0].rprelu(gamma: $0[2], beta: beta, zeta: zeta, adding: $0[1]) })
    }
}
