/// The geometry of a 2-d convolution over NCHW input with a square kernel.
public struct ConvGeometry: Equatable, Sendable {
    public let batch, inChannels, height, width: Int
    public let outChannels, kernel, stride, padding, dilation, groups: Int
    public let outHeight, outWidth: Int

    public init(input: [Int], weight: [Int], stride: Int, padding: Int, dilation: Int, groups: Int) {
        precondition(input.count == 4 && weight.count == 4, "conv2d: input \(input) and weight \(weight) must be 4-d")
        precondition(weight[2] == weight[3], "conv2d: square kernels only, got \(weight)")
        precondition(groups > 0 && input[1] % groups == 0 && weight[0] % groups == 0, "conv2d: \(groups) groups do not divide channels")
        precondition(weight[1] == input[1] / groups, "conv2d: weight \(weight) expects \(weight[1] * groups) input channels, got \(input[1])")
        batch = input[0]; inChannels = input[1]; height = input[2]; width = input[3]
        outChannels = weight[0]; kernel = weight[2]
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        outHeight = (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
        outWidth = (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
        // Checked on the numerator: the division truncates toward zero, so -1 / 2 + 1 would pass as 1.
        let reach = dilation * (kernel - 1) + 1
        precondition(height + 2 * padding >= reach && width + 2 * padding >= reach, "conv2d: input \(height)x\(width) too small for the kernel")
    }

    public var channelsPerGroup: Int { inChannels / groups }
    public var outChannelsPerGroup: Int { outChannels / groups }
    /// Rows of a group's column matrix: Cg * k * k.
    public var patchSize: Int { channelsPerGroup * kernel * kernel }
    public var outPixels: Int { outHeight * outWidth }
    /// 1x1, stride 1, no padding: the input plane is already the column matrix.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    public var isDepthwise: Bool { groups == inChannels && groups == outChannels && groups > 1 }
    /// Multiply-accumulates of the whole batch.
    public var macs: Int { batch * outChannels * outPixels * patchSize }

    /// Output positions o with 0 <= o * stride + offset < size: the range where a kernel tap lands inside the input.
    @inline(__always)
    public static func validRange(outputs: Int, size: Int, stride: Int, offset: Int) -> Range<Int> {
        let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let last = size - 1 - offset
        let high = last < 0 ? 0 : min(outputs, last / stride + 1)
        return low < high ? low..<high : 0..<0
    }
}

/// im2col and col2im for one image and one group. The column matrix has Cg*k*k rows, ordered
/// (channel, ky, kx) like the weight's inner dimensions, and outHeight*outWidth columns; taps that
/// fall into the zero padding are 0.
enum Im2col {
    static func expand(_ g: ConvGeometry, image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let (k, s, p, d) = (g.kernel, g.stride, g.padding, g.dilation)
        let (ho, wo, h, w) = (g.outHeight, g.outWidth, g.height, g.width)
        for channel in 0..<g.channelsPerGroup {
            let plane = image + channel * h * w
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = columns + ((channel * k + ky) * k + kx) * ho * wo
                    let xOffset = kx * d - p
                    let validX = ConvGeometry.validRange(outputs: wo, size: w, stride: s, offset: xOffset)
                    for oy in 0..<ho {
                        let out = row + oy * wo
                        let iy = oy * s - p + ky * d
                        guard iy >= 0 && iy < h, !validX.isEmpty else {
                            out.update(repeating: 0, count: wo)
                            continue
                        }
                        if validX.lowerBound > 0 { out.update(repeating: 0, count: validX.lowerBound) }
                        if validX.upperBound < wo { (out + validX.upperBound).update(repeating: 0, count: wo - validX.upperBound) }
                        let source = plane + iy * w + xOffset
                        if s == 1 {
                            (out + validX.lowerBound).update(from: source + validX.lowerBound, count: validX.count)
                        } else {
                            for ox in validX { out[ox] = source[ox * s] }
                        }
                    }
                }
            }
        }
    }

    /// Adds a column matrix back onto an image gradient (the adjoint of `expand`).
    static func accumulate(_ g: ConvGeometry, columns: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let (k, s, p, d) = (g.kernel, g.stride, g.padding, g.dilation)
        let (ho, wo, h, w) = (g.outHeight, g.outWidth, g.height, g.width)
        for channel in 0..<g.channelsPerGroup {
            let plane = image + channel * h * w
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = columns + ((channel * k + ky) * k + kx) * ho * wo
                    let xOffset = kx * d - p
                    let validX = ConvGeometry.validRange(outputs: wo, size: w, stride: s, offset: xOffset)
                    for oy in 0..<ho {
                        let iy = oy * s - p + ky * d
                        guard iy >= 0 && iy < h else { continue }
                        let target = plane + iy * w + xOffset
                        let source = row + oy * wo
                        for ox in validX { target[ox * s] += source[ox] }
                    }
                }
            }
        }
    }
}
