import RBM
import RBMData
import RBMStore
import RBMSystem

/// What a finished run leaves behind.
public struct RunResult: Sendable {
    public var folder: String
    public var model: RBMModel
    public var history: [EpochMetrics]
    public var seconds: Double
    /// True when `timeBudget` ended the run before its last epoch.
    public var stoppedByBudget = false
}

/// The version written into every file's `created_by`.
public let rbmVersion = "rbm 0.2.0"

/// The training loop. `run()` reads top to bottom:
///
///     prepare              data, model (fresh or from the checkpoint), run folder, monitor sets
///     for each epoch:
///         train the epoch  shuffle, one data-parallel update per full minibatch
///         measure          reconstruction error, free energies, periodic evaluation
///         record           history and metrics.csv
///         checkpoint       every `output.checkpoint_every` epochs and after the last
///     finish               features.h5, pictures and report
///
/// The pieces live beside it: `TrainingSession` (what `prepare` builds), `TrainingRun+Epoch`
/// (training and measuring one epoch), `TrainingRun+Outputs` (checkpoint, features, pictures).
public struct TrainingRun {
    public var config: ExperimentConfig
    /// Continue from the run folder's checkpoint instead of starting afresh.
    public var resume = false
    /// Start afresh even when the run folder holds a checkpoint (it is overwritten).
    public var force = false
    /// The memory the run may use, in bytes (nil: unknown, no check); a test can lower it.
    public var availableMemory: () -> Double? = { availableMemoryBytes() }
    /// Prints a line (epoch summaries, notices); the progress line goes to standard error.
    public var log: (String) -> Void
    public var progress: ProgressLine
    /// Called after every update with the 0-based epoch and the minibatches done in it.
    public var afterBatch: (Int, Int) -> Void = { _, _ in }
    /// Asked after every update: the signal that asks the run to stop, or nil to go on.
    public var stopRequest: () -> Int32? = { Interruption.signal }
    /// Stop after the first epoch that ends later than this many seconds into the run (the
    /// checkpoint then holds that epoch, so the run can be continued).
    public var timeBudget: Double?
    /// The processes the run's shards are spread over (`Cluster.world()` under mpirun). Rank 0
    /// owns the run folder: it alone reads and writes it, and broadcasts what it read.
    public var ranks: any RankGroup = SingleProcess()

    public init(config: ExperimentConfig, resume: Bool = false, log: @escaping (String) -> Void = { print($0) },
                progress: ProgressLine = ProgressLine()) {
        self.config = config
        self.resume = resume
        self.log = log
        self.progress = progress
    }

    public var folder: RunFolder { RunFolder(parent: config.output.folder, name: config.output.name) }
    public var runFolder: String { folder.path }
    public var checkpointPath: String { folder.checkpoint }

    public func run() throws(TrainingError) -> RunResult {
        // `prepare` settles `training.layout: auto` into this copy's config, which the run
        // then records (config.yaml, the checkpoint) and trains with.
        var run = self
        return try run.trainAll()
    }

    mutating func trainAll() throws(TrainingError) -> RunResult {
        // Until the first update, and again once the last checkpoint is written, a signal ends
        // the process at once (`Interruption`); in between it stops after the current minibatch.
        Interruption.phase = .starting
        defer { Interruption.phase = .starting }
        let session = try prepare()
        announce(session)
        let epochs = config.training.epochs
        Interruption.phase = .training
        for epoch in session.startEpoch..<max(session.startEpoch, epochs) {
            let schedule = EpochSchedule(config, epoch: epoch, firstBatch: epoch == session.startEpoch ? session.startBatch : 0)
            let timing = try trainEpoch(schedule, session)
            let metrics = try measure(schedule, session, timing)

            session.history.append(metrics)
            if ranks.isRoot {
                do { try appendLine(metrics.csvLine, to: folder.metrics) } catch { throw .file(error) }
            }
            let checkpointDue = epoch + 1 == epochs || config.output.checkpointEvery > 0
                && (epoch + 1) % config.output.checkpointEvery == 0
            if checkpointDue { try writeCheckpoint(session, schedule, epochsDone: epoch + 1, batchesDone: 0) }
            progress.clear()
            log("epoch \(pad(epoch + 1, to: epochs))/\(epochs)  \(metrics.summary)")
            // A signal during the epoch's last update or its measurements stops here, with the
            // epoch whole in the checkpoint and metrics.csv.
            if let signal = agreedStopRequest() {
                if !checkpointDue { try writeCheckpoint(session, schedule, epochsDone: epoch + 1, batchesDone: 0) }
                // The other ranks wait until rank 0's checkpoint is on disk, then all end together.
                _ = ranks.maximum(0)
                throw .interrupted(signal: signal, completedEpochs: epoch + 1, runFolder: runFolder)
            }

            // Rank 0's clock decides for every rank.
            let overBudget = timeBudget.map { monotonicSeconds() - session.started >= $0 } ?? false
            if let timeBudget, epoch + 1 < epochs, ranks.maximum(ranks.isRoot && overBudget ? 1 : 0) == 1 {
                if !checkpointDue { try writeCheckpoint(session, schedule, epochsDone: epoch + 1, batchesDone: 0) }
                log("time budget of \(formatDuration(timeBudget)) reached after epoch \(epoch + 1)")
                return result(session, stoppedByBudget: true)
            }
        }
        if session.startEpoch >= epochs && session.startBatch == 0 {
            log("the checkpoint already holds \(session.startEpoch) epoch(s); nothing to train (raise training.epochs to continue)")
        }
        // A signal that came when there was no epoch left to train: the checkpoint is already whole.
        if let signal = agreedStopRequest() {
            progress.clear()
            throw .interrupted(signal: signal, completedEpochs: max(session.startEpoch, epochs), runFolder: runFolder)
        }
        Interruption.phase = .finishing
        try finish(session)
        return result(session, stoppedByBudget: false)
    }

    /// The run's outcome as it stands.
    func result(_ session: TrainingSession, stoppedByBudget: Bool) -> RunResult {
        var result = RunResult(folder: runFolder, model: session.trainer.model, history: session.history,
                               seconds: monotonicSeconds() - session.started)
        result.stoppedByBudget = stoppedByBudget
        return result
    }

    /// The opening lines: what is trained, how, and where it is written.
    func announce(_ session: TrainingSession) {
        let train = session.splits.train
        let trainer = session.trainer.configuration
        let batchSize = config.training.batchSize
        var samplerName = trainer.sampler.label(steps: config.training.gibbsSteps)
        if trainer.sampler == .parallelTempering {
            samplerName += " (\(trainer.chainsPerRow) temperatures, β down to \(format(Double(trainer.inverseTemperatures.last ?? 1), 3))"
                + (trainer.temperingBase == nil ? ")" : ", toward the data's base rates)")
        }
        if trainer.sampler == .fastPersistentContrastiveDivergence {
            samplerName += " (fast ε \(config.training.fastLearningRate), decay \(config.training.fastDecay))"
        }
        if trainer.langevinSteps > 0 {
            samplerName += " (\(trainer.langevinSteps) \(trainer.langevinAdjusted ? "Metropolis-adjusted " : "")Langevin steps of η \(config.training.langevinStepSize) per step"
                + (trainer.chainStart == .noise ? ", chains from noise)" : ")")
        }
        if trainer.centering { samplerName += ", centered" }
        if trainer.learnsVariance { samplerName += ", learned variances" }
        if trainer.clipNorm > 0 { samplerName += ", gradient norm ≤ \(config.training.clipNorm)" }
        log("training \(config.output.name): \(train.count) samples × \(train.featureCount) visible → \(session.trainer.hiddenCount) hidden, "
            + "\(samplerName), batch \(batchSize) in \(trainer.layout)" + (session.layoutWasAutomatic ? (resume ? " (the checkpoint's layout)" : " (layout auto)") : "") + " on "
            + (ranks.size > 1 ? "\(ranks.size) ranks × " : "") + "\(trainer.workers) worker(s), "
            + "\(config.training.epochs) epochs; writing \(runFolder)")
        for note in session.splits.notes { log("note: " + note) }
        if resume {
            log("resuming after epoch \(session.startEpoch)"
                + (session.startBatch > 0 ? " and \(session.startBatch) of its \(session.batchesPerEpoch) minibatches" : "")
                + " (update \(session.trainer.step))")
        }
        if train.count % batchSize != 0 {
            log("note: \(train.count % batchSize) samples left over each epoch (the shuffle changes which)")
        }
    }

    func pad(_ value: Int, to maximum: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, String(maximum).count - text.count)) + text
    }
}

/// One epoch's place in the schedules: ε and μ, and the minibatch it starts at (not 0 only
/// when resuming in the middle of the epoch).
struct EpochSchedule {
    var epoch: Int
    var firstBatch: Int
    var learningRate: Double
    var momentum: Double
    var varianceLearningRate: Double

    init(_ config: ExperimentConfig, epoch: Int, firstBatch: Int) {
        self.epoch = epoch
        self.firstBatch = firstBatch
        learningRate = config.learningRate(epoch: epoch)
        momentum = config.momentum(epoch: epoch)
        varianceLearningRate = config.varianceLearningRate(epoch: epoch)
    }

    var hyperparameters: UpdateHyperparameters {
        UpdateHyperparameters(learningRate: Float(learningRate), momentum: Float(momentum),
                              varianceLearningRate: Float(varianceLearningRate))
    }
}
