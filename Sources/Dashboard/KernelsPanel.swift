/// Throughput of the 1-bit kernels against float GEMM, images/s, and the per-op latency table (bit path
/// against float path) from the `kernels` events. One binary MAC counts as 2 bit-ops, as one float MAC
/// counts as 2 FLOPs, so the ratio compares like with like.
enum KernelsPanel {
    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState) {
        let inner = canvas.panel(rect, title: "kernels")
        guard !inner.isEmpty else { return }
        let label = canvas.style(.label), value = canvas.style(.foreground, bold: true)
        let bitOps = state.kernels.map(\.bitOpsPerSecond)
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
