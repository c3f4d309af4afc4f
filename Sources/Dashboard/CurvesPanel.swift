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
        // Losses start at 0 unless a log holds negative ones.
        let bottom = low < 0 ? low - pad : max(0, low - pad)
        let loss = LineChart(title: "loss", series: [
            .init(name: "train", color: .trainLoss, points: state.curve.map { (Double($0.step), $0.trainLoss) }),
            .init(name: "val", color: .validationLoss, points: state.curve.map { (Double($0.step), $0.validationLoss) }),
        ], yRange: bottom...(high + pad), xRange: xRange)
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
