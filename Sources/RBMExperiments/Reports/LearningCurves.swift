import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// Learning curves as a standalone SVG: one panel per quantity, epochs on the x axis.
public enum LearningCurves {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
    }

    public struct Panel: Sendable {
        public var title: String
        public var series: [Series]
    }

    /// The panels a run's history supports: reconstruction error, free-energy gap, and the
    /// log-likelihood and pseudo-likelihood when they were evaluated.
    public static func panels(_ history: [EpochMetrics]) -> [Panel] {
        func series(_ name: String, _ color: String, _ value: (EpochMetrics) -> Double?) -> Series {
            Series(name: name, points: history.compactMap { m in value(m).flatMap { $0.isFinite ? (Double(m.epoch), $0) : nil } },
                   color: color)
        }
        var panels = [
            Panel(title: "reconstruction error (per sample)", series: [
                series("train", "#1f77b4", { $0.reconstructionError }),
                series("validation", "#ff7f0e", { $0.validationReconstructionError }),
            ]),
            Panel(title: "free energy gap F(validation) − F(train)", series: [series("gap", "#2ca02c", { $0.freeEnergyGap })]),
        ]
        if history.contains(where: { $0.logLikelihood != nil }) {
            panels.append(Panel(title: "average log-likelihood (nats)", series: [
                series("log-likelihood", "#d62728", { $0.logLikelihood }),
            ]))
        }
        if history.contains(where: { $0.pseudoLikelihood != nil }) {
            panels.append(Panel(title: "pseudo-log-likelihood (nats)", series: [
                series("pseudo-likelihood", "#9467bd", { $0.pseudoLikelihood }),
            ]))
        }
        return panels.map { Panel(title: $0.title, series: $0.series.filter { !$0.points.isEmpty }) }
            .filter { !$0.series.isEmpty }
    }

    public static func svg(_ panels: [Panel], width: Double = 640, panelHeight: Double = 200) -> String {
        let margin = (left: 70.0, right: 20.0, top: 28.0, bottom: 34.0)
        var body: [String] = []
        for (index, panel) in panels.enumerated() {
            let top = Double(index) * panelHeight
            let plotWidth = width - margin.left - margin.right
            let plotHeight = panelHeight - margin.top - margin.bottom
            let points = panel.series.flatMap(\.points)
            var (xLow, xHigh) = (points.map(\.x).min() ?? 0, points.map(\.x).max() ?? 1)
            var (yLow, yHigh) = (points.map(\.y).min() ?? 0, points.map(\.y).max() ?? 1)
            if xHigh == xLow { xLow -= 1; xHigh += 1 }
            if yHigh == yLow { yLow -= 1; yHigh += 1 }
            let pad = (yHigh - yLow) * 0.05
            yLow -= pad; yHigh += pad
            func px(_ x: Double) -> Double { margin.left + (x - xLow) / (xHigh - xLow) * plotWidth }
            func py(_ y: Double) -> Double { top + margin.top + (1 - (y - yLow) / (yHigh - yLow)) * plotHeight }
            body.append("<text x=\"\(margin.left)\" y=\"\(format(top + 18, 1))\" font-size=\"13\" font-weight=\"bold\">\(escape(panel.title))</text>")
            body.append("<rect x=\"\(margin.left)\" y=\"\(format(top + margin.top, 1))\" width=\"\(format(plotWidth, 1))\" height=\"\(format(plotHeight, 1))\" fill=\"none\" stroke=\"#999\"/>")
            let yTicks = ticks(from: yLow, to: yHigh)
            for y in yTicks.values {
                body.append("<text x=\"\(format(margin.left - 6, 1))\" y=\"\(format(py(y) + 4, 1))\" font-size=\"10\" text-anchor=\"end\">\(format(y, yTicks.decimals))</text>")
                body.append("<line x1=\"\(margin.left)\" x2=\"\(format(margin.left + plotWidth, 1))\" y1=\"\(format(py(y), 1))\" y2=\"\(format(py(y), 1))\" stroke=\"#eee\"/>")
            }
            // Epochs are whole numbers: their ticks are too.
            let xTicks = ticks(from: xLow, to: xHigh, minimumStep: 1)
            for x in xTicks.values {
                body.append("<text x=\"\(format(px(x), 1))\" y=\"\(format(top + panelHeight - 18, 1))\" font-size=\"10\" text-anchor=\"middle\">\(format(x, xTicks.decimals))</text>")
            }
            body.append("<text x=\"\(format(margin.left + plotWidth / 2, 1))\" y=\"\(format(top + panelHeight - 4, 1))\" font-size=\"10\" text-anchor=\"middle\">epoch</text>")
            for (seriesIndex, series) in panel.series.enumerated() {
                let path = series.points.map { "\(format(px($0.x), 1)),\(format(py($0.y), 1))" }.joined(separator: " ")
                body.append("<polyline fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.8\" points=\"\(path)\"/>")
                for point in series.points where series.points.count <= 60 {
                    body.append("<circle cx=\"\(format(px(point.x), 1))\" cy=\"\(format(py(point.y), 1))\" r=\"2\" fill=\"\(series.color)\"/>")
                }
                let legendX = margin.left + plotWidth - 110
                let legendY = top + margin.top + 14 + Double(seriesIndex) * 14
                body.append("<line x1=\"\(format(legendX, 1))\" x2=\"\(format(legendX + 16, 1))\" y1=\"\(format(legendY - 4, 1))\" y2=\"\(format(legendY - 4, 1))\" stroke=\"\(series.color)\" stroke-width=\"2\"/>")
                body.append("<text x=\"\(format(legendX + 20, 1))\" y=\"\(format(legendY, 1))\" font-size=\"10\">\(escape(series.name))</text>")
            }
        }
        let height = Double(max(panels.count, 1)) * panelHeight
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(format(width, 0))" height="\(format(height, 0))" viewBox="0 0 \(format(width, 0)) \(format(height, 0))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    /// Axis ticks at round numbers: a step of 1, 2 or 5 × 10^k (at least `minimumStep`) that
    /// gives about five ticks inside [low, high], and the decimals their labels need.
    static func ticks(from low: Double, to high: Double, minimumStep: Double = 0) -> (values: [Double], decimals: Int) {
        let span = high - low
        guard span > 0, span.isFinite else { return ([low], 0) }
        let rough = span / 5
        let power = pow(10, (log10(rough)).rounded(.down))
        // The round step nearest the rough one on a log scale.
        let candidates = [1.0, 2, 5, 10].map { $0 * power }
        let nearest = candidates.min { abs(log($0 / rough)) < abs(log($1 / rough)) } ?? power
        let step = max(minimumStep, nearest)
        let decimals = max(0, Int(-(log10(step)).rounded(.down)))
        // Multiples of the step, rounded to the decimals shown (no 0.30000000000000004).
        let scale = pow(10, Double(decimals))
        let first = Int((low / step).rounded(.up)), last = Int((high / step + 1e-9).rounded(.down))
        let values = first > last ? [low] : (first...last).map { (Double($0) * step * scale).rounded() / scale }
        return (values, decimals)
    }
}
