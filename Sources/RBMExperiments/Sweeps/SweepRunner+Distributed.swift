import RBMCluster
import RBMStore
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// A share of a sweep's runs: part `index` (1-based) of `count`.
public struct SweepPart: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// Parses "K/N" with 1 ≤ K ≤ N.
    public init?(_ text: String) {
        let pieces = text.split(separator: "/")
        guard pieces.count == 2, let index = Int(pieces[0]), let count = Int(pieces[1]),
              count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Runs K−1, K−1+N, K−1+2N, … (0-based): a fixed, deterministic share, whatever machine
    /// or array task runs it.
    public func runs(of total: Int) -> [Int] { Array(stride(from: index - 1, to: total, by: count)) }

    public var description: String { "\(index)/\(count)" }
}

extension SweepRunner {
    /// `--part K/N`: trains this part's share of the runs (each in its own run folder, which
    /// its lock keeps to one trainer). Writes no results.csv: `--collect` does, once the parts
    /// are done.
    public func runPart(_ part: SweepPart) throws -> [SweepOutcome] {
        try makeWritableFolder(folder)
        let share = part.runs(of: spec.points.count)
        log("sweep \(spec.name), part \(part): \(share.count) of \(spec.points.count) run(s); writing \(folder) (rbm sweep --collect merges the parts)")
        var outcomes: [SweepOutcome] = []
        for index in share {
            announce(index, best: nil)
            outcomes.append(try outcome(ofRun: index))
        }
        return ranked(outcomes)
    }

    /// `--collect`: every run's outcome read from its folder (the outcome.txt its trainer left,
    /// else its checkpoint's history), written as results.csv and report.html as a whole sweep
    /// would.
    public func collect() throws -> [SweepOutcome] {
        let lock = try FolderLock(folder: folder, purpose: "sweep \(spec.name) (collect)")
        defer { withExtendedLifetime(lock) {} }
        var outcomes: [SweepOutcome] = []
        for point in spec.points {
            let runFolder = RunFolder(parent: folder, name: point.id)
            let epochs = try spec.config(for: point, outputRoot: outputRoot).training.epochs
            if let text = try? readText(path: runFolder.file(SweepOutcome.file)),
               let outcome = SweepOutcome(message: text.trimmingSpaces, point: point) {
                outcomes.append(outcome)
            } else if let checkpoint = try? IsolatedRead.checkpoint(path: runFolder.checkpoint) {
                let history = EpochMetrics.metrics(from: checkpoint.history)
                let finished = checkpoint.epoch >= epochs && checkpoint.batchInEpoch == 0
                let budget = !finished && spec.secondsBudget != nil && checkpoint.batchInEpoch == 0
                outcomes.append(SweepOutcome(point: point, status: finished ? .done : budget ? .budget : .incomplete,
                                             history: history, seconds: history.reduce(0) { $0 + $1.seconds }))
            } else {
                outcomes.append(SweepOutcome(point: point, status: .missing, history: [], seconds: 0))
            }
        }
        try writeResults(outcomes)
        let missing = outcomes.filter { $0.status == .missing || $0.status == .incomplete }.count
        log("collected \(spec.points.count) run(s)" + (missing > 0 ? "; \(missing) not finished (run their parts again)" : ""))
        return ranked(outcomes)
    }
}

/// The hand-out of a sweep's runs over MPI ranks: rank 0 keeps the list and results.csv and
/// trains runs itself; every rank asks for its next run when it is free, sending the outcome
/// of the last one with the request. Each run trains on one rank with all of that rank's cores.
extension SweepRunner {
    static let requestTag = 11
    static let assignmentTag = 12

    /// Rank 0's side: trains runs and, between its own updates, answers the other ranks.
    func runAsCoordinator(_ world: MPIRanks) throws -> [SweepOutcome] {
        try makeWritableFolder(folder)
        let lock = try FolderLock(folder: folder, purpose: "sweep \(spec.name)")
        defer { withExtendedLifetime(lock) {} }
        let points = spec.points
        log("sweep \(spec.name): \(points.count) run(s) over \(spec.keys.joined(separator: ", ")) on \(world.size) ranks, ranked by \(spec.metric.rawValue) (\(spec.maximize ? "higher" : "lower") is better); writing \(folder)")
        let dispatcher = RunDispatcher(world: world, count: points.count)
        var outcomes: [Int: SweepOutcome] = [:]
        func record() throws { try writeResults(outcomes.keys.sorted().compactMap { outcomes[$0] }) }
        func serve() throws {
            for (index, message) in dispatcher.serve() {
                guard let outcome = SweepOutcome(message: message, point: points[index]) else { continue }
                outcomes[index] = outcome
                log("    \(points[index].id) (on rank \(dispatcher.lastSource)): \(outcome.status.rawValue), \(spec.metric.rawValue) "
                    + (outcome.value(of: spec.metric).map { format($0, 3) } ?? "–"))
                try record()
            }
        }
        var runner = self
        let ask = stopRequest
        runner.stopRequest = {
            try? serve()
            return ask()
        }
        while let index = dispatcher.take() {
            runner.announce(index, best: nil)
            do {
                outcomes[index] = try runner.outcome(ofRun: index)
            } catch {
                try record()
                throw error
            }
            try record()
            try serve()
        }
        while !dispatcher.allReleased {
            if let signal = stopRequest() { throw TrainingError.interrupted(signal: signal, completedEpochs: 0, runFolder: folder) }
            try serve()
            usleep(20_000)
        }
        try record()
        return ranked(points.indices.compactMap { outcomes[$0] })
    }

    /// Every other rank: asks for a run, trains it, sends the outcome with the next request.
    func runAsWorker(_ world: MPIRanks) throws {
        var lastOutcome: (Int, SweepOutcome)?
        while true {
            let request = lastOutcome.map { "run \($0.0)\n" + $0.1.message() } ?? ""
            world.send(Array(request.utf8), to: 0, tag: Self.requestTag)
            let reply = String(decoding: world.receive(from: 0, tag: Self.assignmentTag), as: UTF8.self)
            guard let index = Int(reply), index >= 0 else { return }
            lastOutcome = (index, try outcome(ofRun: index))
        }
    }
}

/// Rank 0's book of which runs are handed out.
final class RunDispatcher {
    let world: MPIRanks
    let count: Int
    private var next = 0
    private var released = 0
    private(set) var lastSource = 0

    init(world: MPIRanks, count: Int) {
        self.world = world
        self.count = count
    }

    /// The next run nobody has, or nil.
    func take() -> Int? {
        guard next < count else { return nil }
        defer { next += 1 }
        return next
    }

    /// True when every other rank has been told there is no run left.
    var allReleased: Bool { released == world.size - 1 }

    /// Answers every waiting request with the next run (or −1: none left) and returns the
    /// outcomes the requests carried, as (run index, message).
    func serve() -> [(Int, String)] {
        var outcomes: [(Int, String)] = []
        while let source = world.pendingMessage(tag: SweepRunner.requestTag) {
            let text = String(decoding: world.receive(from: source, tag: SweepRunner.requestTag), as: UTF8.self)
            lastSource = source
            if let newline = text.firstIndex(of: "\n"), text.hasPrefix("run "), let index = Int(text[text.index(text.startIndex, offsetBy: 4)..<newline]) {
                outcomes.append((index, String(text[text.index(after: newline)...])))
            }
            let assignment = take() ?? -1
            if assignment < 0 { released += 1 }
            world.send(Array(String(assignment).utf8), to: source, tag: SweepRunner.assignmentTag)
        }
        return outcomes
    }
}
