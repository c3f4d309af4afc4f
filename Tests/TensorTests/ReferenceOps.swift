import Foundation

/// Plain double-precision forwards written from the ops' definitions with nested loops and no
/// shortcuts; the Float32 kernels are compared against them.
enum Reference {
    /// Cross-correlation over NCHW input with weight [O, C/groups, k, k]; zero padding.
    static func conv2d(
        _ x: [Double], shape: [Int], weight: [Double], weightShape: [Int],
        stride: Int, padding: Int, dilation: Int, groups: Int
    ) -> (values: [Double], shape: [Int]) {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let (outChannels, groupChannels, kernel) = (weightShape[0], weightShape[1], weightShape[2])
        let outHeight = (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
        let outWidth = (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
        let outPerGroup = outChannels / groups
        precondition(groupChannels * groups == channels)
        var y = [Double](repeating: 0, count: batch * outChannels * outHeight * outWidth)
        for n in 0..<batch {
            for o in 0..<outChannels {
                let group = o / outPerGroup
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var total = 0.0
                        for c in 0..<groupChannels {
                            let inputChannel = group * groupChannels + c
                            for ky in 0..<kernel {
                                for kx in 0..<kernel {
                                    let iy = oy * stride - padding + ky * dilation
                                    let ix = ox * stride - padding + kx * dilation
                                    guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                                    total += x[((n * channels + inputChannel) * height + iy) * width + ix]
                                        * weight[((o * groupChannels + c) * kernel + ky) * kernel + kx]
                                }
                            }
                        }
                        y[((n * outChannels + o) * outHeight + oy) * outWidth + ox] = total
                    }
                }
            }
        }
        return (y, [batch, outChannels, outHeight, outWidth])
    }

    /// Max or average pooling; padded positions are ignored (never the maximum, not counted in the mean).
    static func pool2d(
        _ x: [Double], shape: [Int], kernel: Int, stride: Int, padding: Int, average: Bool
    ) -> (values: [Double], shape: [Int]) {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let outHeight = (height + 2 * padding - kernel) / stride + 1
        let outWidth = (width + 2 * padding - kernel) / stride + 1
        var y = [Double](repeating: 0, count: batch * channels * outHeight * outWidth)
        for plane in 0..<batch * channels {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    var inside: [Double] = []
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let iy = oy * stride - padding + ky
                            let ix = ox * stride - padding + kx
                            if iy >= 0, iy < height, ix >= 0, ix < width { inside.append(x[(plane * height + iy) * width + ix]) }
                        }
                    }
                    y[(plane * outHeight + oy) * outWidth + ox] =
                        average ? inside.reduce(0, +) / Double(inside.count) : inside.max()!
                }
            }
        }
        return (y, [batch, channels, outHeight, outWidth])
    }

    struct ChannelMoments {
        var mean: [Double]
        /// Biased (divide by M): what training normalises with.
        var variance: [Double]
        /// Unbiased (divide by M - 1): what the running variance tracks.
        var unbiasedVariance: [Double]
    }

    /// Per-channel mean and variance over (N, H, W) of NCHW (or N, C) values.
    static func moments(_ x: [Double], shape: [Int]) -> ChannelMoments {
        let (batch, channels) = (shape[0], shape[1])
        let spatial = shape.dropFirst(2).reduce(1, *)
        var result = ChannelMoments(mean: [], variance: [], unbiasedVariance: [])
        for c in 0..<channels {
            var values: [Double] = []
            for n in 0..<batch { for i in 0..<spatial { values.append(x[(n * channels + c) * spatial + i]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let squares = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            result.mean.append(mean)
            result.variance.append(squares / Double(values.count))
            result.unbiasedVariance.append(squares / Double(values.count - 1))
        }
        return result
    }

    /// gamma * (x - mean) / sqrt(variance + epsilon) + beta per channel.
    static func batchNorm(
        _ x: [Double], shape: [Int], mean: [Double], variance: [Double],
        gamma: [Double]?, beta: [Double]?, epsilon: Double = 1e-5
    ) -> [Double] {
        let (batch, channels) = (shape[0], shape[1])
        let spatial = shape.dropFirst(2).reduce(1, *)
        var y = x
        for n in 0..<batch {
            for c in 0..<channels {
                for i in 0..<spatial {
                    let index = (n * channels + c) * spatial + i
                    let normalized = (x[index] - mean[c]) / (variance[c] + epsilon).squareRoot()
                    y[index] = normalized * (gamma?[c] ?? 1) + (beta?[c] ?? 0)
                }
            }
        }
        return y
    }

    static func softmax(_ x: [Double], classes: Int) -> [Double] {
        logSoftmax(x, classes: classes).map { Foundation.exp($0) }
    }

    /// x - log(sum exp x) per row, with the row maximum factored out so that exp cannot overflow.
    static func logSoftmax(_ x: [Double], classes: Int) -> [Double] {
        var y = x
        for row in 0..<x.count / classes {
            let values = x[row * classes..<(row + 1) * classes]
            let largest = values.max()!
            let logTotal = largest + Foundation.log(values.map { Foundation.exp($0 - largest) }.reduce(0, +))
            for j in 0..<classes { y[row * classes + j] = x[row * classes + j] - logTotal }
        }
        return y
    }

    /// Mean over rows of -log softmax(x)[label].
    static func crossEntropy(_ x: [Double], classes: Int, labels: [Int32]) -> Double {
        let logs = logSoftmax(x, classes: classes)
        var total = 0.0
        for (row, label) in labels.enumerated() { total -= logs[row * classes + Int(label)] }
        return total / Double(labels.count)
    }

    /// channel_shuffle: view (N, g, C/g, H, W), swap axes 1 and 2, view back as (N, C, H, W).
    static func channelShuffle(_ x: [Double], shape: [Int], groups: Int) -> [Double] {
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let perGroup = channels / groups
        var y = x
        for n in 0..<batch {
            for a in 0..<groups {
                for b in 0..<perGroup {
                    // x viewed as [n][a][b] is channel a * perGroup + b; after the swap it sits at
                    // [n][b][a], which the final view reads as channel b * groups + a.
                    let from = a * perGroup + b
                    let to = b * groups + a
                    for i in 0..<plane { y[(n * channels + to) * plane + i] = x[(n * channels + from) * plane + i] }
                }
            }
        }
        return y
    }

    /// [M, K] x [K, N].
    static func matmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for l in 0..<k { c[i * n + j] += a[i * k + l] * b[l * n + j] } } }
        return c
    }

    /// x [rows, in] W^T + b with W [out, in].
    static func linear(_ x: [Double], weight: [Double], bias: [Double]?, rows: Int, inputs: Int, outputs: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var total = bias?[o] ?? 0
                for i in 0..<inputs { total += x[r * inputs + i] * weight[o * inputs + i] }
                y[r * outputs + o] = total
            }
        }
        return y
    }
}
