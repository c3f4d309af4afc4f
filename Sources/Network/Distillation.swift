import Foundation
import Tensor

/// Why a run cannot teach this one, on one line.
public struct TeacherError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Distillation from a real-valued teacher (docs/algorithms.md#training-recipe): the student's loss
/// is (1 - W) CE + W KL(p_teacher || p_student) on the softmax outputs, the teacher a finished
/// full-precision training of the same genotype, run in inference mode on each augmented batch.
public enum Distillation {
    /// W when a run names a teacher and no weight: the teacher's distribution alone, as ReActNet's
    /// distributional loss.
    public static let defaultWeight: Float = 1

    /// (1 - weight) * CE(logits, labels) + weight * KL(softmax(teacherLogits) || softmax(logits)).
    public static func loss(logits: Tensor, labels: [Int32], teacherLogits: Tensor, weight: Float) -> Tensor {
        logits.crossEntropy(labels: labels).scaled(by: 1 - weight) + logits.klDivergence(fromTeacher: teacherLogits).scaled(by: weight)
    }

    /// The network of the finished run at `path`, refused with the reason unless it is a
    /// full-precision training of `genotype` on the student's data set with the student's cells and channels.
    public static func loadTeacher(_ path: String, for student: TrainingConfiguration, genotype: Genotype) throws -> GenotypeNetwork {
        let folder: RunFolder
        do { folder = try RunFolder(existing: path) } catch { throw TeacherError("--teacher \(path): no such run folder") }
        let teacher: TrainingConfiguration
        do { teacher = try TrainingConfiguration.read(from: folder) } catch { throw TeacherError("--teacher \(path) is not a training run: \(error)") }
        guard ["results.json", "model.bnn"].allSatisfy({ FileManager.default.fileExists(atPath: folder.file($0).path) }) else {
            throw TeacherError("--teacher \(path) has not finished (no results.json and model.bnn): finish it with bnas train --resume \(path)")
        }
        guard !teacher.binarization.isBinary else {
            throw TeacherError("--teacher \(path) is binarized (\(teacher.binarization.label)): the teacher must be a --binarize none run")
        }
        guard teacher.dataset == student.dataset else {
            throw TeacherError("--teacher \(path) was trained on \(teacher.dataset), this run trains on \(student.dataset)")
        }
        guard teacher.layers == student.layers, teacher.channels == student.channels else {
            throw TeacherError("--teacher \(path) has \(teacher.layers) cells and C = \(teacher.channels), this run \(student.layers) cells and C = \(student.channels)")
        }
        let network: GenotypeNetwork
        do { network = try ModelFile.read(folder.file("model.bnn")).network } catch { throw TeacherError("--teacher \(path): \(error)") }
        guard network.genotype == genotype else {
            throw TeacherError("--teacher \(path) trained another genotype than this run's \(student.genotype)")
        }
        return network
    }
}
