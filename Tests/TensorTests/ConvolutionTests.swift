import Testing
@testable import Tensor

/// One convolution configuration, and which kernel path it must take.
struct ConvCase: Sendable, CustomTestStringConvertible {
    enum Path: Sendable { case im2col, pointwise, depthwise }

    let name: String
    let input: [Int]
    let outChannels, kernel, stride, padding, dilation, groups: Int
    let path: Path

    var weightShape: [Int] { [outChannels, input[1] / groups, kernel, kernel] }
    var testDescription: String { name }

    init(_ name: String, input: [Int], out: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
         dilation: Int = 1, groups: Int = 1, path: Path = .im2col) {
        self.name = name
        self.input = input
        outChannels = out
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.path = path
    }

    static let all: [ConvCase] = [
        ConvCase("3x3 pad 1 stride 1", input: [2, 3, 7, 5], out: 4, kernel: 3, padding: 1),
        ConvCase("3x3 pad 1 stride 2", input: [2, 3, 7, 5], out: 4, kernel: 3, stride: 2, padding: 1),
        ConvCase("3x3 no padding", input: [3, 2, 6, 5], out: 3, kernel: 3),
        ConvCase("3x3 dilation 2 pad 2", input: [2, 3, 7, 5], out: 2, kernel: 3, padding: 2, dilation: 2),
        ConvCase("3x3 dilation 2 pad 2 stride 2", input: [2, 2, 7, 6], out: 3, kernel: 3, stride: 2, padding: 2, dilation: 2),
        ConvCase("5x5 pad 2", input: [2, 2, 7, 5], out: 3, kernel: 5, padding: 2),
        ConvCase("1x1 stride 1", input: [2, 4, 7, 5], out: 3, kernel: 1, path: .pointwise),
        ConvCase("1x1 stride 2 (FactorizedReduce)", input: [2, 4, 7, 5], out: 3, kernel: 1, stride: 2),
        ConvCase("1x1 groups 2", input: [2, 4, 3, 5], out: 6, kernel: 1, groups: 2, path: .pointwise),
        ConvCase("depthwise 3x3 no padding", input: [2, 3, 6, 5], out: 3, kernel: 3, groups: 3, path: .depthwise),
        ConvCase("depthwise 5x5 pad 2", input: [2, 2, 7, 5], out: 2, kernel: 5, padding: 2, groups: 2, path: .depthwise),
        ConvCase("depthwise 3x3 pad 1", input: [2, 3, 7, 5], out: 3, kernel: 3, padding: 1, groups: 3, path: .depthwise),
        ConvCase("depthwise 3x3 stride 2 pad 1", input: [2, 3, 7, 5], out: 3, kernel: 3, stride: 2, padding: 1, groups: 3, path: .depthwise),
        ConvCase("depthwise 3x3 dilation 2 pad 2", input: [2, 3, 7, 5], out: 3, kernel: 3, padding: 2, dilation: 2, groups: 3, path: .depthwise),
        ConvCase("depthwise 3x3 stride 2 dilation 2 pad 2", input: [2, 3, 7, 5], out: 3, kernel: 3, stride: 2, padding: 2, dilation: 2, groups: 3, path: .depthwise),
        ConvCase("depthwise 5x5 stride 2 dilation 2 pad 4", input: [2, 2, 7, 6], out: 2, kernel: 5, stride: 2, padding: 4, dilation: 2, groups: 2, path: .depthwise),
        ConvCase("grouped 3x3 groups 2", input: [2, 4, 7, 5], out: 6, kernel: 3, padding: 1, groups: 2),
        ConvCase("grouped 3x3 groups 2 stride 2", input: [3, 4, 5, 7], out: 2, kernel: 3, stride: 2, padding: 1, groups: 2),
        ConvCase("channel multiplier (groups = C, 2 outputs each)", input: [2, 2, 5, 5], out: 4, kernel: 3, padding: 1, groups: 2),
    ]
}

@Suite struct ConvolutionTests {
    @Test(arguments: ConvCase.all)
    func forwardMatchesReference(_ c: ConvCase) {
        let x = randomTensor(c.input, seed: 1)
        let w = randomTensor(c.weightShape, seed: 2)
        let geometry = ConvGeometry(input: c.input, weight: c.weightShape, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(geometry.isPointwise == (c.path == .pointwise))
        #expect(geometry.isDepthwise == (c.path == .depthwise))

        let y = x.conv2d(w, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        let reference = Reference.conv2d(
            doubles(x), shape: x.shape, weight: doubles(w), weightShape: w.shape,
            stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(y.shape == reference.shape)
        expectClose(y.data, reference.values, absolute: 1e-5, relative: 1e-5, "conv2d \(c.name)")
    }

    @Test(arguments: ConvCase.all)
    func gradientsMatchFiniteDifferences(_ c: ConvCase) {
        let x = randomTensor(c.input, seed: 3)
        let w = randomTensor(c.weightShape, seed: 4)
        GradientCheck.check([x, w], tolerance: .linear) { inputs in
            inputs[0].conv2d(inputs[1], stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        }
    }

    /// Only one operand needs a gradient: the kernels skip the other one's.
    @Test(arguments: ConvCase.all.filter { ["3x3 pad 1 stride 1", "1x1 stride 1", "depthwise 3x3 pad 1", "depthwise 3x3 stride 2 pad 1"].contains($0.name) })
    func gradientOfOneOperandOnly(_ c: ConvCase) {
        let constantInput = randomTensor(c.input, seed: 5, requiresGrad: false)
        let w = randomTensor(c.weightShape, seed: 6)
        GradientCheck.check([w], tolerance: .linear) { inputs in
            constantInput.conv2d(inputs[0], stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        }
        #expect(constantInput.grad.isEmpty)

        let x = randomTensor(c.input, seed: 7)
        let constantWeight = randomTensor(c.weightShape, seed: 8, requiresGrad: false)
        GradientCheck.check([x], tolerance: .linear) { inputs in
            inputs[0].conv2d(constantWeight, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        }
        #expect(constantWeight.grad.isEmpty)
    }

    /// A hand-computed case: a 3x3 box filter over a 3x3 ramp with zero padding.
    @Test func boxFilterByHand() {
        let x = Tensor(shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = x.conv2d(Tensor.filled([1, 1, 3, 3], value: 1), padding: 1)
        #expect(y.data == [12, 21, 16, 27, 45, 33, 24, 39, 28])
    }

    @Test func outputSizeFollowsTheFormula() {
        // floor((H + 2p - d(k - 1) - 1) / s) + 1
        let g = ConvGeometry(input: [1, 1, 8, 9], weight: [1, 1, 3, 3], stride: 2, padding: 2, dilation: 2, groups: 1)
        #expect(g.outHeight == 4 && g.outWidth == 5)
        #expect(ConvGeometry.validRange(outputs: 4, size: 8, stride: 2, offset: -2) == 1..<4)
        #expect(ConvGeometry.validRange(outputs: 4, size: 8, stride: 2, offset: 2) == 0..<3)
        #expect(ConvGeometry.validRange(outputs: 4, size: 2, stride: 2, offset: 3).isEmpty)
        let tight = ConvGeometry(input: [1, 1, 5, 5], weight: [1, 1, 5, 5], stride: 2, padding: 0, dilation: 1, groups: 1)
        #expect(tight.outHeight == 1 && tight.outWidth == 1)
    }

    /// A 5x5 kernel does not fit a 4x4 input at any stride (at stride 2, (4 - 5) / 2 + 1 truncates to 1).
    @Test func inputSmallerThanTheKernelIsRejected() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([1, 1, 4, 4]).conv2d(Tensor.zeros([1, 1, 5, 5]), stride: 2)
        }
    }
}
