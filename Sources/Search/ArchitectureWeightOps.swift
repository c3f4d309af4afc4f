import Foundation
import Tensor

/// The small differentiable ops that turn alpha and beta into the weights of the supernet's sums.
extension Tensor {
    /// softmax over the entries of each row where `keep` is true; the other entries are 0 and get no
    /// gradient (an op that left the search space has no weight, docs/algorithms.md#partial-channels). [rows, columns].
    func maskedSoftmaxRows(keep: [Bool]) -> Tensor {
        precondition(rank == 2 && keep.count == count, "maskedSoftmaxRows: \(keep.count) flags for shape \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        var probabilities = [Float](repeating: 0, count: count)
        for row in 0..<rows {
            let kept = (0..<columns).filter { keep[row * columns + $0] }
            guard let first = kept.first else { continue }
            let largest = kept.reduce(data[row * columns + first]) { Swift.max($0, data[row * columns + $1]) }
            var total: Float = 0
            for column in kept { probabilities[row * columns + column] = expf(data[row * columns + column] - largest); total += probabilities[row * columns + column] }
            for column in kept { probabilities[row * columns + column] /= total }
        }
        return Tensor.result(shape: shape, data: probabilities, parents: [self]) { [self] out in
            // dx_i = p_i (dy_i - sum_j dy_j p_j); masked p_i = 0 gives masked entries no gradient.
            accumulateGrad { dx in
                for row in 0..<rows {
                    let base = row * columns
                    var dot: Float = 0
                    for j in 0..<columns { dot += out.grad[base + j] * probabilities[base + j] }
                    for j in 0..<columns { dx[base + j] += probabilities[base + j] * (out.grad[base + j] - dot) }
                }
            }
        }
    }

    /// softmax over consecutive segments of a vector: beta's softmax is taken over the incoming
    /// edges of each node only (docs/algorithms.md#partial-channels), segments [0,2), [2,5), [5,9), [9,14).
    func segmentSoftmax(_ segments: [Range<Int>]) -> Tensor {
        precondition(rank == 1 && segments.last?.upperBound == count, "segmentSoftmax: segments do not cover \(shape)")
        var probabilities = data
        for segment in segments {
            Softmax.normalizeRow(&probabilities, offset: segment.lowerBound, count: segment.count)
        }
        return Tensor.result(shape: shape, data: probabilities, parents: [self]) { [self] out in
            accumulateGrad { dx in
                for segment in segments {
                    var dot: Float = 0
                    for j in segment { dot += out.grad[j] * probabilities[j] }
                    for j in segment { dx[j] += probabilities[j] * (out.grad[j] - dot) }
                }
            }
        }
    }

    /// x[r, c] * rowFactors[r] for a [rows, columns] x and a [rows] vector (alpha weights times the
    /// edge's beta weight: the coefficient of each op's output in its node's sum).
    func scaledRows(by rowFactors: Tensor) -> Tensor {
        precondition(rank == 2 && rowFactors.shape == [shape[0]], "scaledRows: \(rowFactors.shape) for \(shape)")
        let columns = shape[1]
        var out = data
        for i in 0..<count { out[i] *= rowFactors.data[i / columns] }
        return Tensor.result(shape: shape, data: out, parents: [self, rowFactors]) { [self] result in
            if requiresGrad {
                accumulateGrad { dx in for i in 0..<count { dx[i] += result.grad[i] * rowFactors.data[i / columns] } }
            }
            if rowFactors.requiresGrad {
                rowFactors.accumulateGrad { dr in for i in 0..<count { dr[i / columns] += result.grad[i] * data[i] } }
            }
        }
    }
}
