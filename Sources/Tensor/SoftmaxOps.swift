import Foundation

/// Softmax, log-softmax and cross entropy over the last axis of a [rows, classes] tensor.
extension Tensor {
    private var rowsAndClasses: (Int, Int) {
        precondition(rank == 2 || rank == 1, "softmax expects [rows, classes] or [classes], got \(shape)")
        return rank == 2 ? (shape[0], shape[1]) : (1, shape[0])
    }

    /// Numerically stable softmax of each row (the maximum is subtracted first).
    public func softmax() -> Tensor {
        let (rows, classes) = rowsAndClasses
        var probabilities = data
        for r in 0..<rows { Softmax.normalizeRow(&probabilities, offset: r * classes, count: classes) }
        return Tensor.result(shape: shape, data: probabilities, parents: [self]) { [self] out in
            // dx_i = p_i (dy_i - sum_j dy_j p_j)
            accumulateGrad { dx in
                for r in 0..<rows {
                    let base = r * classes
                    var dot: Float = 0
                    for j in 0..<classes { dot += out.grad[base + j] * probabilities[base + j] }
                    for j in 0..<classes { dx[base + j] += probabilities[base + j] * (out.grad[base + j] - dot) }
                }
            }
        }
    }

    /// log(softmax(x)) per row, computed as x - max - log(sum exp(x - max)).
    public func logSoftmax() -> Tensor {
        let (rows, classes) = rowsAndClasses
        var logs = data
        for r in 0..<rows { Softmax.logNormalizeRow(&logs, offset: r * classes, count: classes) }
        return Tensor.result(shape: shape, data: logs, parents: [self]) { [self] out in
            // dx_i = dy_i - p_i sum_j dy_j
            accumulateGrad { dx in
                for r in 0..<rows {
                    let base = r * classes
                    var total: Float = 0
                    for j in 0..<classes { total += out.grad[base + j] }
                    for j in 0..<classes { dx[base + j] += out.grad[base + j] - Foundation.exp(logs[base + j]) * total }
                }
            }
        }
    }

    /// Mean cross entropy of logits [N, classes] against integer labels; fused log-softmax so that
    /// large logits never overflow. The gradient is (softmax - onehot) / N.
    public func crossEntropy(labels: [Int32]) -> Tensor {
        let (rows, classes) = rowsAndClasses
        precondition(labels.count == rows, "crossEntropy: \(labels.count) labels for \(rows) rows")
        var logs = data
        var loss: Double = 0
        for r in 0..<rows {
            Softmax.logNormalizeRow(&logs, offset: r * classes, count: classes)
            loss -= Double(logs[r * classes + Int(labels[r])])
        }
        return Tensor.result(shape: [1], data: [Float(loss / Double(rows))], parents: [self]) { [self] out in
            let scale = out.grad[0] / Float(rows)
            accumulateGrad { dx in
                for r in 0..<rows {
                    let base = r * classes
                    for j in 0..<classes {
                        let target: Float = j == Int(labels[r]) ? 1 : 0
                        dx[base + j] += (Foundation.exp(logs[base + j]) - target) * scale
                    }
                }
            }
        }
    }

    /// Mean over rows of KL(p || q) = sum_j p_j (log p_j - log q_j), where q = softmax(self) and p =
    /// softmax(teacher), the teacher's logits a constant (docs/algorithms.md#training-recipe). The
    /// gradient is (q - p) / N. Classes the teacher gives probability 0 add nothing, as p log p -> 0.
    public func klDivergence(fromTeacher teacher: Tensor) -> Tensor {
        let (rows, classes) = rowsAndClasses
        precondition(teacher.shape == shape, "klDivergence: teacher logits \(teacher.shape) for \(shape)")
        var logs = data
        var teacherLogs = teacher.data
        var loss: Double = 0
        for r in 0..<rows {
            Softmax.logNormalizeRow(&logs, offset: r * classes, count: classes)
            Softmax.logNormalizeRow(&teacherLogs, offset: r * classes, count: classes)
            for j in r * classes..<(r + 1) * classes {
                let p = Foundation.exp(teacherLogs[j])
                if p > 0 { loss += Double(p) * Double(teacherLogs[j] - logs[j]) }
            }
        }
        return Tensor.result(shape: [1], data: [Float(loss / Double(rows))], parents: [self]) { [self] out in
            let scale = out.grad[0] / Float(rows)
            accumulateGrad { dx in
                for j in 0..<rows * classes { dx[j] += (Foundation.exp(logs[j]) - Foundation.exp(teacherLogs[j])) * scale }
            }
        }
    }
}

/// Row helpers shared by the softmax ops (and by code that needs softmax of plain arrays).
public enum Softmax {
    public static func normalizeRow(_ values: inout [Float], offset: Int, count: Int) {
        var largest = -Float.infinity
        for j in offset..<offset + count { largest = max(largest, values[j]) }
        var total: Float = 0
        for j in offset..<offset + count { values[j] = Foundation.exp(values[j] - largest); total += values[j] }
        for j in offset..<offset + count { values[j] /= total }
    }

    public static func logNormalizeRow(_ values: inout [Float], offset: Int, count: Int) {
        var largest = -Float.infinity
        for j in offset..<offset + count { largest = max(largest, values[j]) }
        var total: Float = 0
        for j in offset..<offset + count { total += Foundation.exp(values[j] - largest) }
        // (x - max) - log(total): subtracting max + log(total) in one go would round it to the
        // spacing of max (about 1e-3 at 1e4) and lose that much of every log-probability.
        let logTotal = Foundation.log(total)
        for j in offset..<offset + count { values[j] = (values[j] - largest) - logTotal }
    }

    /// softmax of a plain array.
    public static func probabilities(_ values: [Float]) -> [Float] {
        var result = values
        normalizeRow(&result, offset: 0, count: values.count)
        return result
    }
}
