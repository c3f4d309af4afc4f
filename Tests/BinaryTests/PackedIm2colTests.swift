import Testing
@testable import Binary
import Tensor

/// One convolution shape for the packed im2col.
struct BitConvCase: Sendable, CustomTestStringConvertible {
    let input: [Int]
    let outChannels, kernel, stride, padding, dilation, groups: Int

    var testDescription: String {
        "\(input) k\(kernel) s\(stride) p\(padding) d\(dilation) g\(groups)"
    }

    var geometry: ConvGeometry {
        ConvGeometry(input: input, weight: [outChannels, input[1] / groups, kernel, kernel],
                     stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    init(_ input: [Int], out: Int = 3, kernel: Int = 3, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.input = input
        outChannels = out
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// Stride 1/2 x padding 0/1/2 x dilation 1/2, channel counts below, at and across 64 (whole-word and
    /// shifted runs), odd sizes, a 1x1 and a 5x5 kernel, and a grouped convolution.
    static let all: [BitConvCase] = {
        var cases: [BitConvCase] = []
        for stride in [1, 2] {
            for padding in [0, 1, 2] {
                for dilation in [1, 2] { cases.append(BitConvCase([2, 3, 9, 10], stride: stride, padding: padding, dilation: dilation)) }
            }
        }
        cases.append(BitConvCase([1, 64, 5, 6], out: 4, padding: 1))
        cases.append(BitConvCase([1, 70, 5, 5], out: 2, stride: 2, padding: 2, dilation: 2))
        cases.append(BitConvCase([2, 128, 4, 3], out: 2, padding: 1))
        cases.append(BitConvCase([2, 7, 11, 9], out: 5, kernel: 1, stride: 2))
        cases.append(BitConvCase([1, 5, 9, 9], out: 2, kernel: 5, padding: 2))
        cases.append(BitConvCase([2, 6, 7, 7], out: 4, padding: 1, groups: 2))
        return cases
    }()
}

struct PackedIm2colTests {
    /// The float im2col in (ky, kx, c) order with +1 where a tap falls into the padding, one row per
    /// output pixel.
    static func floatRows(_ x: [Float], _ g: ConvGeometry, group: Int) -> [Float] {
        let channels = g.channelsPerGroup
        let k = g.kernel * g.kernel * channels
        var rows = [Float](repeating: 0, count: g.batch * g.outPixels * k)
        for n in 0..<g.batch {
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    let row = (n * g.outHeight + oy) * g.outWidth + ox
                    for ky in 0..<g.kernel {
                        for kx in 0..<g.kernel {
                            for c in 0..<channels {
                                let iy = oy * g.stride - g.padding + ky * g.dilation
                                let ix = ox * g.stride - g.padding + kx * g.dilation
                                let inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width
                                let channel = group * channels + c
                                rows[row * k + (ky * g.kernel + kx) * channels + c] =
                                    inside ? x[((n * g.inChannels + channel) * g.height + iy) * g.width + ix] : 1
                            }
                        }
                    }
                }
            }
        }
        return rows
    }

    @Test(arguments: BitConvCase.all)
    func matchesPackingTheFloatIm2col(_ c: BitConvCase) {
        let g = c.geometry
        let x = TestData.values(c.input.reduce(1, *), seed: 41)
        for group in 0..<g.groups {
            let packed = BitPacking.packedIm2col(input: x, geometry: g, group: group, counters: KernelCounters())
            let expected = BitPacking.packRows(values: Self.floatRows(x, g, group: group), rows: g.batch * g.outPixels,
                                               k: g.kernel * g.kernel * g.channelsPerGroup, counters: KernelCounters())
            #expect(packed == expected, "group \(group)")
        }
    }

    /// XNOR GEMM of packed weights x packed im2col = the float convolution of the same ±1 values over a
    /// +1-padded input, written as a plain loop.
    @Test(arguments: BitConvCase.all)
    func bitConvolutionEqualsTheFloatConvolution(_ c: BitConvCase) {
        let g = c.geometry
        let x = TestData.values(c.input.reduce(1, *), seed: 42)
        let w = TestData.values(g.outChannels * g.patchSize, seed: 43)
        let expected = Self.onePaddedConvolution(x.map(BitPacking.sign), w.map(BitPacking.sign), g)
        let (outPerGroup, weightsPerGroup) = (g.outChannelsPerGroup, g.outChannelsPerGroup * g.patchSize)
        for group in 0..<g.groups {
            let weights = BitPacking.packWeights(weight: Array(w[group * weightsPerGroup..<(group + 1) * weightsPerGroup]),
                                                 outChannels: outPerGroup, inChannels: g.channelsPerGroup, kernel: g.kernel,
                                                 counters: KernelCounters())
            let patches = BitPacking.packedIm2col(input: x, geometry: g, group: group, counters: KernelCounters())
            for path in KernelPath.allCases {
                // C[o][n * outPixels + p] -> output[n][group * outPerGroup + o][p]
                let product = XNORGEMM.multiply(weights, patches, path: path, counters: KernelCounters())
                var mismatches = 0
                for o in 0..<outPerGroup {
                    for n in 0..<g.batch {
                        for p in 0..<g.outPixels {
                            let value = Float(product[o * patches.rows + n * g.outPixels + p])
                            if value != expected[(n * g.outChannels + group * outPerGroup + o) * g.outPixels + p] { mismatches += 1 }
                        }
                    }
                }
                #expect(mismatches == 0, "\(path) group \(group)")
            }
        }
    }

    /// Cross-correlation of NCHW `x` with [O, C/groups, k, k] `w` after padding `x` with +1.
    static func onePaddedConvolution(_ x: [Float], _ w: [Float], _ g: ConvGeometry) -> [Float] {
        let (paddedHeight, paddedWidth) = (g.height + 2 * g.padding, g.width + 2 * g.padding)
        var padded = [Float](repeating: 1, count: g.batch * g.inChannels * paddedHeight * paddedWidth)
        for plane in 0..<g.batch * g.inChannels {
            for y in 0..<g.height {
                for x0 in 0..<g.width {
                    padded[(plane * paddedHeight + y + g.padding) * paddedWidth + x0 + g.padding] = x[(plane * g.height + y) * g.width + x0]
                }
            }
        }
        var output = [Float](repeating: 0, count: g.batch * g.outChannels * g.outPixels)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / g.outChannelsPerGroup
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var total: Float = 0
                        for c in 0..<g.channelsPerGroup {
                            let plane = n * g.inChannels + group * g.channelsPerGroup + c
                            for ky in 0..<g.kernel {
                                for kx in 0..<g.kernel {
                                    let y = oy * g.stride + ky * g.dilation, x0 = ox * g.stride + kx * g.dilation
                                    total += padded[(plane * paddedHeight + y) * paddedWidth + x0]
                                        * w[((o * g.channelsPerGroup + c) * g.kernel + ky) * g.kernel + kx]
                                }
                            }
                        }
                        output[((n * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox] = total
                    }
                }
            }
        }
        return output
    }
}
