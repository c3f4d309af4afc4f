import Tensor

/// The convolution of an input with a ±1 kernel, on the bit kernels when the input is ±1 too.
public enum BinaryConvolution {
    /// Whether ±1 inputs go to the bit kernels (`bnas eval` turns this off to time the float path).
    nonisolated(unsafe) public static var usesBitKernels = true

    /// Dot products shorter than this many bits stay on the float kernels: packing a handful of
    /// signs into a 64-bit word costs more than the multiply-adds it saves (the supernet's 1x1
    /// convolutions on C/K channels have 2 to 8).
    public static let minimumBitDepth = 64

    /// conv(input, signs) with `signs` in {-1, +1}. Dense convolutions of a ±1 input with dot products
    /// of at least `minimumBitDepth` bits run as packed im2col + XNOR-popcount GEMM; depthwise ones
    /// (k*k-bit dot products, where packing costs more than the float loop), short ones and real
    /// inputs use the float kernels. Exact either way: the float kernels sum ±1 products in Float32
    /// without rounding.
    public static func forward(_ g: ConvGeometry, input: [Float], signs: [Float], binaryInput: Bool) -> [Float] {
        guard binaryInput, usesBitKernels, g.groups == 1, g.inChannels * g.kernel * g.kernel >= minimumBitDepth else {
            // Reported as float work: these multiply-adds run on the float kernels.
            return KernelCounters.shared.countingFloat(flops: 2 * g.macs) { Convolution.forward(g, input: input, weight: signs) }
        }
        let weights = BitPacking.packWeights(weight: signs, outChannels: g.outChannels, inChannels: g.inChannels, kernel: g.kernel)
        let patches = BitPacking.packedIm2col(input: input, geometry: g)
        // patches x weights: C[n * pixels + p][o], turned into NCHW below.
        let products = XNORGEMM.multiply(patches, weights)
        let pixels = g.outPixels
        var output = [Float](repeating: 0, count: g.batch * g.outChannels * pixels)
        output.withUnsafeMutableBufferPointer { y in
            products.withUnsafeBufferPointer { c in
                Parallelism.forEachChunk(g.batch) { images in
                    for n in images {
                        for p in 0..<pixels {
                            let row = c.baseAddress! + (n * pixels + p) * g.outChannels
                            for o in 0..<g.outChannels { y[(n * g.outChannels + o) * pixels + p] = Float(row[o]) }
                        }
                    }
                }
            }
        }
        return output
    }
}
