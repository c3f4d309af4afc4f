import Tensor

/// What a PCNN convolution keeps from its last backward pass for the projection loss: the
/// gradient of the task loss with respect to the quantised kernel, dL_S/dC_hat.
public final class PCNNRecord {
    public internal(set) var kernelGradient: [Float] = []
    public init() {}
}

/// A convolution with a binarized kernel (docs/algorithms.md#xnor-net, docs/algorithms.md#pcnn):
///   y[o] = scales[o] * conv(x, signs)[o]
/// computed as the convolution of the ±1 signs followed by the per-channel scale, so the result
/// does not depend on whether the convolution ran on bits or on floats (sums of ±1 products are
/// exact integers in Float32). `x` is the prepared input: sign(x) padded with +1 for binary
/// activations, the real activations otherwise. The kernel gets the gradient of its binarizer:
/// - XNOR: dL/dW = dL/dW_b * (1/n + a * 1_{|W| <= 1}), W_b = a * sign(W);
/// - PCNN: dL/dW = dL/dC_hat * 1_{|P o W| <= 1} * P and dL/dP = dL/dC_hat * 1_{|P o W| <= 1} * W.
extension Tensor {
    /// `kernel` is the kernel's binarization (`BinaryWeights.xnor`/`.pcnn` of `weight`, or weights
    /// loaded from a model file) with its packed bits; `binaryInput`: this tensor holds only ±1 (sign
    /// activations, already padded with +1), so the bit kernels may run. `signOfInput`: this tensor
    /// holds real activations and the convolution reads sign(x) padded with +1 by `padding`, the
    /// gradient passing sign's straight-through estimator: conv(x.signSTE(paddedBy: padding)) with
    /// no sign tensor stored (depthwise, or dense without padding; see `Convolution.gradients`), the
    /// gradient passing `signGradient` in place of sign's derivative.
    public func binarizedConv2d(weight: Tensor, projection: Tensor?, kernel: BinaryKernel, kind: WeightBinarization,
                                record: PCNNRecord?, binaryInput: Bool, signOfInput: Bool = false, signGradient: SignGradient = .ste,
                                stride: Int, padding: Int, dilation: Int, groups: Int) -> Tensor {
        precondition(kind != .none, "binarizedConv2d needs a binarizer")
        precondition(!binaryInput || padding == 0 || signOfInput, "binarizedConv2d: pad sign activations with +1 first (signSTE(paddedBy:))")
        let geometry = ConvGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let binary = kernel.weights
        let outChannels = weight.shape[0]
        let output = BinaryConvolution.forward(geometry, input: data, kernel: kernel, binaryInput: binaryInput || signOfInput)
        let outShape = [geometry.batch, outChannels, geometry.outHeight, geometry.outWidth]
        let parents = [self, weight] + (projection.map { [$0] } ?? [])
        return Tensor.result(shape: outShape, data: output, parents: parents) { [self] out in
            let effective = binary.effective
            let wantKernel = weight.requiresGrad || (projection?.requiresGrad ?? false)
            let (inputGrad, kernelGrad) = Convolution.gradients(geometry, input: data, weight: effective, outputGrad: out.grad,
                                                               wantInput: requiresGrad, wantWeight: wantKernel, signOfInput: signOfInput,
                                                               signGradient: signGradient)
            if let inputGrad { accumulateGrad(from: inputGrad) }
            guard let kernelGrad else { return }
            let n = binary.perChannel
            switch kind {
            case .xnor:
                var weightGrad = kernelGrad
                for o in 0..<outChannels {
                    for i in o * n..<(o + 1) * n {
                        weightGrad[i] *= 1 / Float(n) + (abs(weight.data[i]) <= 1 ? binary.scales[o] : 0)
                    }
                }
                weight.accumulateGrad(from: weightGrad)
            case .pcnn:
                guard let projection else { return }
                record?.kernelGradient = kernelGrad
                var weightGrad = [Float](repeating: 0, count: kernelGrad.count)
                var projectionGrad = [Float](repeating: 0, count: kernelGrad.count)
                for i in 0..<kernelGrad.count where abs(projection.data[i] * weight.data[i]) <= 1 {
                    weightGrad[i] = kernelGrad[i] * projection.data[i]
                    projectionGrad[i] = kernelGrad[i] * weight.data[i]
                }
                if weight.requiresGrad { weight.accumulateGrad(from: weightGrad) }
                if projection.requiresGrad { projection.accumulateGrad(from: projectionGrad) }
            case .none:
                break
            }
        }
    }
}

/// PCNN's projection loss L_P = (lambda/2) * sum (C_hat - P o (C + eta * G))^2 with G = dL_S/dC_hat
/// from the last backward pass (docs/algorithms.md#pcnn). C_hat and G are held fixed, as in PCNN's update;
/// the gradients dL_P/dC = -lambda * r o P and dL_P/dP = -lambda * r o (C + eta G), with
/// r = C_hat - P o (C + eta G), are added to the kernel's and the projection's gradients.
public enum PCNNProjectionLoss {
    public static let defaultLambda: Float = 1e-4
    public static let defaultEta: Float = 1e-2

    /// The loss value (for logs and tests).
    public static func value(weight: [Float], projection: [Float], quantized: [Float], kernelGradient: [Float],
                             lambda: Float = defaultLambda, eta: Float = defaultEta) -> Float {
        var total: Float = 0
        for i in 0..<weight.count {
            let target = projection[i] * (weight[i] + eta * gradientAt(kernelGradient, i))
            let r = quantized[i] - target
            total += r * r
        }
        return lambda / 2 * total
    }

    /// Adds dL_P/dW and dL_P/dP to the tensors' gradients.
    public static func addGradients(weight: Tensor, projection: Tensor, record: PCNNRecord,
                                    lambda: Float = defaultLambda, eta: Float = defaultEta) {
        let quantized = BinaryWeights.pcnn(weight.data, projection: projection.data, outChannels: weight.shape[0]).effective
        var weightGrad = [Float](repeating: 0, count: weight.count)
        var projectionGrad = [Float](repeating: 0, count: weight.count)
        for i in 0..<weight.count {
            let shifted = weight.data[i] + eta * gradientAt(record.kernelGradient, i)
            let r = quantized[i] - projection.data[i] * shifted
            weightGrad[i] = -lambda * r * projection.data[i]
            projectionGrad[i] = -lambda * r * shifted
        }
        weight.accumulateGrad(from: weightGrad)
        projection.accumulateGrad(from: projectionGrad)
    }

    private static func gradientAt(_ gradient: [Float], _ i: Int) -> Float { gradient.isEmpty ? 0 : gradient[i] }
}
