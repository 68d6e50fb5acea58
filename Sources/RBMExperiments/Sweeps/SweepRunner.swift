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
        for index in points.indices {
            let best = ranked(outcomes).first.flatMap { outcome in
                outcome.value(of: spec.metric).map { "best so far \(outcome.point.id): \(spec.metric.rawValue) \(format($0, 3))" }
            }
            announce(index, best: best)
            do {
                outcomes.append(try outcome(ofRun: index))
            } catch {
                try writeResults(outcomes)
                throw error
            }
            try writeResults(outcomes)
        }
        return ranked(outcomes)
    }

    /// "[3/8] lr0.01-h200 (training.learning_rate=0.01, …)", and the best so far.
    func announce(_ index: Int, best: String?) {
        let point = spec.points[index]
        let description = point.values.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        log("[\(index + 1)/\(spec.points.count)] \(point.id)" + (description.isEmpty ? "" : " (\(description))") + (best.map { " · \($0)" } ?? ""))
    }

    /// Trains run `index` of the sweep (continuing it from its checkpoint when it has one),
    /// or skips it when its checkpoint already holds every epoch. A failing run is an outcome;
    /// only a stop request (Ctrl-C, SIGTERM) is thrown, after the run's checkpoint is written.
    func outcome(ofRun index: Int) throws -> SweepOutcome {
        let point = spec.points[index]
        let config = try spec.config(for: point, outputRoot: outputRoot)
        let runFolder = RunFolder(parent: folder, name: point.id)
        if let previous = try? IsolatedRead.checkpoint(path: runFolder.checkpoint),
           previous.epoch >= config.training.epochs, previous.batchInEpoch == 0 {
            log("    finished earlier; skipped")
            // The outcome the run recorded (exact values), else its checkpoint's history (float32).
            if let text = try? readText(path: runFolder.file(SweepOutcome.file)),
               var recorded = SweepOutcome(message: text.trimmingSpaces, point: point), recorded.status != .failed {
                recorded.status = .skipped
                return recorded
            }
            let history = EpochMetrics.metrics(from: previous.history)
            return SweepOutcome(point: point, status: .skipped, history: history, seconds: history.reduce(0) { $0 + $1.seconds })
        }
        var run = TrainingRun(config: config, resume: fileExists(runFolder.checkpoint), log: { _ in }, progress: progress)
        run.timeBudget = spec.secondsBudget
        run.stopRequest = stopRequest
        let start = monotonicSeconds()
        let outcome: SweepOutcome
        do {
            let result = try run.run()
            outcome = SweepOutcome(point: point, status: result.stoppedByBudget ? .budget : .done,
                                   history: result.history, seconds: monotonicSeconds() - start)
            log("    \(outcome.status.rawValue) in \(formatDuration(outcome.seconds)): \(spec.metric.rawValue) "
                + (outcome.value(of: spec.metric).map { format($0, 3) } ?? "–"))
        } catch {
            if case .interrupted = error { throw error }
            outcome = SweepOutcome(point: point, status: .failed, history: [], seconds: monotonicSeconds() - start,
                                   error: "\(error)")
            log("    failed: \(error)")
        }
        // Recorded beside the run, for `--collect` (the run may be on another machine).
        try writeTextAtomically(outcome.message() + "\n", to: runFolder.file(SweepOutcome.file))
        return outcome
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
