import RBMStore
import RBMSystem

extension SweepRunner {
    /// results.csv (ranked) and report.html.
    func writeResults(_ outcomes: [SweepOutcome]) throws {
        let keys = spec.keys
        var lines = [(["rank", "id", "status"] + keys + Metric.rankable.map(\.rawValue) + ["epochs", "seconds", "error"]).joined(separator: ",")]
        for (rank, outcome) in ranked(outcomes).enumerated() {
            let values = keys.map { key in outcome.point.values.first { $0.key == key }?.value ?? "" }
            let metrics = Metric.rankable.map { outcome.value(of: $0).map { "\($0)" } ?? "" }
            let fields = [String(rank + 1), outcome.point.id, outcome.status.rawValue] + values + metrics
                + [outcome.final.map { String($0.epoch) } ?? "", format(outcome.seconds, 1), outcome.error ?? ""]
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        try writeTextAtomically(lines.joined(separator: "\n") + "\n", to: folder + "/results.csv")
        try writeTextAtomically(html(ranked(outcomes)), to: folder + "/report.html")
    }

    /// The ranked table as text, for the terminal.
    public func table(_ outcomes: [SweepOutcome]) -> String {
        let keys = spec.keys.map { String($0.split(separator: ".").last ?? "") }
        var rows = [["rank", "id", "status"] + keys + [spec.metric.rawValue, "time"]]
        for (rank, outcome) in outcomes.enumerated() {
            rows.append([String(rank + 1), outcome.point.id, outcome.status.rawValue]
                        + spec.keys.map { key in outcome.point.values.first { $0.key == key }?.value ?? "" }
                        + [outcome.value(of: spec.metric).map { format($0, 3) } ?? "–", formatDuration(outcome.seconds)])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    func html(_ outcomes: [SweepOutcome]) -> String {
        let keys = spec.keys
        let header = (["rank", "run", "status"] + keys + [spec.metric.rawValue, "epochs", "time"]).map { "<th>\(escape($0))</th>" }.joined()
        let rows = outcomes.enumerated().map { rank, outcome -> String in
            let reportPath = RunFolder(path: outcome.point.id).file(RunReport.reportFile)
            let name = fileExists(folder + "/" + reportPath)
                ? "<a href=\"\(escape(reportPath))\">\(escape(outcome.point.id))</a>" : escape(outcome.point.id)
            let cells = [String(rank + 1), name, escape(outcome.status.rawValue + (outcome.error.map { ": " + $0 } ?? ""))]
                + keys.map { key in escape(outcome.point.values.first { $0.key == key }?.value ?? "") }
                + [outcome.value(of: spec.metric).map { format($0, 3) } ?? "–", outcome.final.map { String($0.epoch) } ?? "–",
                   formatDuration(outcome.seconds)]
            return "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>sweep \(escape(spec.name))</title>
            <style>body { font-family: sans-serif; margin: 2em auto; max-width: 72em; } table { border-collapse: collapse; }
            th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: left; } td { font-variant-numeric: tabular-nums; }</style>
            </head><body>
            <h1>Sweep \(escape(spec.name))</h1>
            <p>Ranked by \(escape(spec.metric.rawValue)) (\(spec.maximize ? "higher" : "lower") is better). Each run's name links to its report.</p>
            <table><tr>\(header)</tr>
            \(rows)
            </table></body></html>

            """
    }
}
