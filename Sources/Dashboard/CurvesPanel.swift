/// Training and validation loss and accuracy against steps: two line charts side by side (the loss
/// alone when the panel is narrow).
enum CurvesPanel {
    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState, view: ViewState) {
        let inner = canvas.panel(rect, title: "curves · \(view.glyphs.rawValue) (g)")
        guard !inner.isEmpty else { return }
        guard let last = state.curve.last else {
            canvas.text("waiting for the first step…", x: inner.x, y: inner.y, style: canvas.style(.dim), clip: inner)
            return
        }
        let xRange = Double(state.curve.first?.step ?? 0)...Double(max(last.step, (state.curve.first?.step ?? 0) + 1))
        let losses = state.curve.flatMap { [$0.trainLoss, $0.validationLoss].compactMap { $0 } }.filter(\.isFinite)
        let low = losses.min() ?? 0, high = losses.max() ?? 1
        let pad = max((high - low) * 0.05, 1e-3)
        let loss = LineChart(title: "loss", series: [
            .init(name: "train", color: .trainLoss, points: state.curve.map { (Double($0.step), $0.trainLoss) }),
            .init(name: "val", color: .validationLoss, points: state.curve.map { (Double($0.step), $0.validationLoss) }),
        ], yRange: max(0, low - pad)...(high + pad), xRange: xRange)
        let accuracy = LineChart(title: "acc", series: [
            .init(name: "train", color: .trainAccuracy, points: state.curve.map { (Double($0.step), $0.trainAccuracy) }),
            .init(name: "val", color: .validationAccuracy, points: state.curve.map { (Double($0.step), $0.validationAccuracy) }),
        ], yRange: 0...1, xRange: xRange, yLabel: { "\(Int(($0 * 100).rounded()))%" })
        if inner.width >= 2 * 30 {
            let (left, right) = inner.splitLeft(inner.width / 2)
            loss.draw(canvas, in: Rect(x: left.x, y: left.y, width: left.width - 1, height: left.height))
            accuracy.draw(canvas, in: right)
        } else {
            loss.draw(canvas, in: inner)
        }
    }
}

/// Throughput of the 1-bit kernels against float GEMM, images/s, and the per-op latency table (bit path
/// against float path) from the `kernels` events. One binary MAC counts as 2 bit-ops, as one float MAC
/// counts as 2 FLOPs, so the ratio compares like with like.
enum KernelsPanel {
    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState) {
        let inner = canvas.panel(rect, title: "kernels")
        guard !inner.isEmpty else { return }
        let label = canvas.style(.label), value = canvas.style(.foreground, bold: true)
        let bitOps = state.kernels.map { 2 * $0.binaryMACsPerSecond }
        let flops = state.kernels?.floatFLOPsPerSecond
        let ratio = bitOps.flatMap { bits in flops.flatMap { $0 > 0 ? bits / $0 : nil } }
        let items: [(String, String)] = [
            ("bit", bitOps.map { Format.si($0) + "bit-ops/s" } ?? "–"),
            ("float", flops.map { Format.si($0) + "FLOP/s" } ?? "–"),
            ("ratio", ratio.map { Format.fixed($0, 1) + "x" } ?? "–"),
            ("img/s", state.imagesPerSecond > 0 ? Format.fixed(state.imagesPerSecond, 0) : "–"),
        ]
        var x = inner.x, y = inner.y
        for (name, text) in items {
            let width = name.count + 1 + text.count + 3
            if x > inner.x, x + width > inner.maxX { x = inner.x; y += 1 }
            guard y < inner.maxY else { return }
            x = canvas.text(name + " ", x: x, y: y, style: label, clip: inner)
            x = canvas.text(text + "   ", x: x, y: y, style: value, clip: inner)
        }
        y += 1
        guard y < inner.maxY, let latency = state.latencies else { return }
        let shape = [latency.latencyChannels.map { "C\($0)" }, latency.latencySize.map { "\($0)x\($0)" },
                     latency.latencyBatch.map { "batch \($0)" }].compactMap { $0 }.joined(separator: " ")
        let header = "op".fitted(to: 6) + "bit ms".leftPadded(to: 9) + "float ms".leftPadded(to: 10) + "speed-up".leftPadded(to: 10)
        canvas.text(header + "  " + shape, x: inner.x, y: y, style: label, clip: inner)
        for row in latency.latencies {
            y += 1
            guard y < inner.maxY else { return }
            let speedUp = row.bitMilliseconds > 0 ? Format.fixed(row.floatMilliseconds / row.bitMilliseconds, 1) + "x" : "–"
            let text = row.operation.shortName.fitted(to: 6) + Format.fixed(row.bitMilliseconds, 3).leftPadded(to: 9)
                + Format.fixed(row.floatMilliseconds, 3).leftPadded(to: 10) + speedUp.leftPadded(to: 10)
            canvas.text(text, x: inner.x, y: y, style: canvas.style(.foreground), clip: inner)
        }
    }
}
