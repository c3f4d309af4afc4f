import Foundation
import Network

/// Progress output: a live bar redrawn in place on a terminal, one line per epoch otherwise.
struct ProgressPrinter {
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast

    mutating func step(_ progress: TrainingProgress) {
        guard isTerminal else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || progress.step == progress.stepsPerEpoch else { return }
        lastDraw = now
        let width = 30
        let filled = width * progress.step / max(1, progress.stepsPerEpoch)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "epoch %d/%d %@ %d/%d  loss %.4f  acc %.2f%%  %.0f img/s",
                          progress.epoch + 1, progress.epochs, bar, progress.step, progress.stepsPerEpoch,
                          progress.loss, progress.accuracy * 100, progress.imagesPerSecond)
        print("\r\u{1B}[2K" + line, terminator: "")
        fflush(stdout)
    }

    func epoch(_ metrics: EpochMetrics, of epochs: Int) {
        if isTerminal { print("\r\u{1B}[2K", terminator: "") }
        var line = String(format: "epoch %d/%d  lr %.4f  train loss %.4f  train acc %.2f%%", metrics.epoch + 1, epochs,
                          metrics.learningRate, metrics.trainLoss, metrics.trainAccuracy * 100)
        if let accuracy = metrics.testAccuracy, let loss = metrics.testLoss {
            line += String(format: "  test loss %.4f  test acc %.2f%%", loss, accuracy * 100)
        }
        line += String(format: "  %.0fs  %.0f img/s", metrics.seconds, metrics.imagesPerSecond)
        print(line)
        fflush(stdout)
    }
}
