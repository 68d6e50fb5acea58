import RBMStore
import RBMSystem

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
        // The sweep owns its folder while it runs (each run also takes its own run folder).
        let lock = try FolderLock(folder: folder, purpose: "sweep \(spec.name)")
        defer { withExtendedLifetime(lock) {} }
        let points = spec.points
        var outcomes: [SweepOutcome] = []
        log("sweep \(spec.name): \(points.count) run(s) over \(spec.keys.joined(separator: ", ")), ranked by \(spec.metric.rawValue) (\(spec.maximize ? "higher" : "lower") is better); writing \(folder)")
        for (index, point) in points.enumerated() {
            let config = try spec.config(for: point, outputRoot: outputRoot)
            let checkpointPath = RunFolder(parent: folder, name: point.id).checkpoint
            let description = point.values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let best = ranked(outcomes).first.flatMap { outcome in
                outcome.value(of: spec.metric).map { "best so far \(outcome.point.id): \(spec.metric.rawValue) \(format($0, 3))" }
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
                log("    \(outcome.status.rawValue) in \(formatDuration(outcome.seconds)): \(spec.metric.rawValue) "
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
}
