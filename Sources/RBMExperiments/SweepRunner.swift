import RBMStore

/// One run's outcome in a sweep.
public struct SweepOutcome: Sendable {
    public enum Status: String, Sendable { case done, budget, failed, skipped = "done (earlier)" }
    public var point: SweepSpec.Point
    public var status: Status
    public var final: EpochMetrics?
    /// The latest evaluated log-likelihood / pseudo-likelihood (they are not computed every epoch).
    public var logLikelihood: Double?
    public var pseudoLikelihood: Double?
    public var seconds: Double
    public var error: String?

    public func value(of metric: String) -> Double? {
        switch metric {
        case "reconstruction_error": return final?.reconstructionError
        case "validation_reconstruction_error": return final?.validationReconstructionError
        case "free_energy_gap": return final?.freeEnergyGap
        case "log_likelihood": return logLikelihood
        case "pseudo_likelihood": return pseudoLikelihood
        default: return nil
        }
    }

    init(point: SweepSpec.Point, status: Status, history: [EpochMetrics], seconds: Double, error: String? = nil) {
        self.point = point
        self.status = status
        final = history.last
        logLikelihood = history.last(where: { $0.logLikelihood != nil })?.logLikelihood
        pseudoLikelihood = history.last(where: { $0.pseudoLikelihood != nil })?.pseudoLikelihood
        self.seconds = seconds
        self.error = error
    }
}

/// Runs a sweep's points one after another, each with all cores, recording every outcome
/// (a failing run is recorded and the sweep goes on) in results.csv as it goes. Running the
/// same sweep again skips finished runs and continues interrupted ones from their checkpoints.
public struct SweepRunner {
    public var spec: SweepSpec
    public var outputRoot: String
    public var log: (String) -> Void = { print($0) }
    public var progress = ProgressLine()
    /// Test hook: asked after every update of every run.
    public var stopRequest: () -> Int32? = { Interruption.signal }

    public init(spec: SweepSpec, outputRoot: String) {
        self.spec = spec
        self.outputRoot = outputRoot
    }

    public var folder: String { outputRoot + "/" + spec.name }

    public func run() throws -> [SweepOutcome] {
        try makeWritableFolder(folder)
        let points = spec.points
        var outcomes: [SweepOutcome] = []
        log("sweep \(spec.name): \(points.count) run(s) over \(spec.keys.joined(separator: ", ")), ranked by \(spec.metric) (\(spec.maximize ? "higher" : "lower") is better); writing \(folder)")
        for (index, point) in points.enumerated() {
            let config = try spec.config(for: point, outputRoot: outputRoot)
            let checkpointPath = "\(folder)/\(point.id)/checkpoint.h5"
            let description = point.values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let best = ranked(outcomes).first.flatMap { outcome in
                outcome.value(of: spec.metric).map { "best so far \(outcome.point.id): \(spec.metric) \(format($0, 3))" }
            }
            log("[\(index + 1)/\(points.count)] \(point.id)" + (description.isEmpty ? "" : " (\(description))") + (best.map { " · \($0)" } ?? ""))

            if let previous = try? IsolatedRead.checkpoint(path: checkpointPath),
               previous.epoch >= config.training.epochs, previous.batchInEpoch == 0 {
                let history = EpochMetrics.metrics(from: previous.history)
                outcomes.append(SweepOutcome(point: point, status: .skipped, history: history,
                                             seconds: history.reduce(0) { $0 + $1.seconds }))
                log("    finished earlier; skipped")
                try writeResults(outcomes)
                continue
            }
            var run = TrainingRun(config: config, resume: fileExists(checkpointPath), log: { _ in }, progress: progress)
            run.timeBudget = spec.secondsBudget
            run.stopRequest = stopRequest
            let start = monotonicSeconds()
            let result: Result<RunResult, TrainingError>
            do { result = .success(try run.run()) } catch { result = .failure(error) }
            switch result {
            case let .success(result):
                let outcome = SweepOutcome(point: point, status: result.stoppedByBudget ? .budget : .done,
                                           history: result.history, seconds: monotonicSeconds() - start)
                outcomes.append(outcome)
                log("    \(outcome.status.rawValue) in \(formatDuration(outcome.seconds)): \(spec.metric) "
                    + (outcome.value(of: spec.metric).map { format($0, 3) } ?? "–"))
            case let .failure(error):
                if case .interrupted = error {
                    try writeResults(outcomes)
                    throw error
                }
                outcomes.append(SweepOutcome(point: point, status: .failed, history: [], seconds: monotonicSeconds() - start,
                                             error: "\(error)"))
                log("    failed: \(error)")
            }
            try writeResults(outcomes)
        }
        return ranked(outcomes)
    }

    /// Best first by the metric; runs without a value (failed, not evaluated) last.
    public func ranked(_ outcomes: [SweepOutcome]) -> [SweepOutcome] {
        outcomes.enumerated().sorted { a, b in
            let x = a.element.value(of: spec.metric).flatMap { $0.isFinite ? $0 : nil }
            let y = b.element.value(of: spec.metric).flatMap { $0.isFinite ? $0 : nil }
            switch (x, y) {
            case let (x?, y?): return x == y ? a.offset < b.offset : (spec.maximize ? x > y : x < y)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }

    static let metricColumns = ["reconstruction_error", "validation_reconstruction_error", "free_energy_gap",
                                "log_likelihood", "pseudo_likelihood"]

    /// results.csv (ranked) and report.html.
    func writeResults(_ outcomes: [SweepOutcome]) throws {
        let keys = spec.keys
        var lines = [(["rank", "id", "status"] + keys + Self.metricColumns + ["epochs", "seconds", "error"]).joined(separator: ",")]
        for (rank, outcome) in ranked(outcomes).enumerated() {
            let values = keys.map { key in outcome.point.values.first { $0.key == key }?.value ?? "" }
            let metrics = Self.metricColumns.map { outcome.value(of: $0).map { "\($0)" } ?? "" }
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
        var rows = [["rank", "id", "status"] + keys + [spec.metric, "time"]]
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
        let header = (["rank", "run", "status"] + keys + [spec.metric, "epochs", "time"]).map { "<th>\(escape($0))</th>" }.joined()
        let rows = outcomes.enumerated().map { rank, outcome -> String in
            let reportPath = "\(outcome.point.id)/\(RunReport.reportFile)"
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
            <p>Ranked by \(escape(spec.metric)) (\(spec.maximize ? "higher" : "lower") is better). Each run's name links to its report.</p>
            <table><tr>\(header)</tr>
            \(rows)
            </table></body></html>

            """
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
}
