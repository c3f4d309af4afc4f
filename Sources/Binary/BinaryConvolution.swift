import Tensor

/// The convolution of an input with a ±1 kernel, on the bit kernels when the input is ±1 too.
public enum BinaryConvolution {
    /// Whether ±1 inputs go to the bit kernels (`bnas eval` turns this off to time the float path).
    nonisolated(unsafe) public static var usesBitKernels = true

    /// conv(input, signs) with `signs` in {-1, +1}. Exact either way: the float kernels sum ±1
    /// products in Float32 without rounding.
    public static func forward(_ g: ConvGeometry, input: [Float], signs: [Float], binaryInput: Bool) -> [Float] {
        Convolution.forward(g, input: input, weight: signs)
    }
}
