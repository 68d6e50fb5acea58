import RBM
import RBMData
import RBMStore
import RBMSystem

/// Everything `TrainingRun.prepare()` sets up before the first update and the loop carries
/// from epoch to epoch.
final class TrainingSession {
    /// The run folder's lock, held until the session ends (rank 0 only: the others never
    /// touch the run folder).
    let lock: FolderLock?
    let splits: DatasetSplits
    /// Gaussian units: the standardisation the data went through (stored in checkpoints).
    let standardization: Standardization?
    let trainer: DataParallelTrainer
    /// The epochs recorded so far (restored from the checkpoint when resuming).
    var history: [EpochMetrics]
    /// Where training starts: completed epochs, and minibatches done in the next one.
    let startEpoch: Int
    let startBatch: Int
    /// Fixed monitoring sets, binarized once with the evaluation stream.
    let monitorTrain: MonitorSet
    let monitorValidation: MonitorSet?
    /// The periodic evaluation's split, binarized once (nil when evaluation is off), and the
    /// training marginals and variances for AIS's base model (the unit type takes what it uses).
    let evaluationSet: MonitorSet?
    let baseMarginals: [Float]
    let baseVariances: [Float]?
    /// When the run started (`monotonicSeconds`).
    let started: Double
    /// True when `training.layout: auto` chose the layout for this run.
    var layoutWasAutomatic = false

    var batchesPerEpoch: Int { splits.train.count / trainer.configuration.batchSize }
    var workers: Int { trainer.configuration.workers }

    init(lock: FolderLock?, splits: DatasetSplits, standardization: Standardization?, trainer: DataParallelTrainer, history: [EpochMetrics], startEpoch: Int, startBatch: Int,
         monitorTrain: MonitorSet, monitorValidation: MonitorSet?, evaluationSet: MonitorSet?, baseMarginals: [Float],
         baseVariances: [Float]?, started: Double) {
        self.lock = lock
        self.splits = splits
        self.standardization = standardization
        self.trainer = trainer
        self.history = history
        self.startEpoch = startEpoch
        self.startBatch = startBatch
        self.monitorTrain = monitorTrain
        self.monitorValidation = monitorValidation
        self.evaluationSet = evaluationSet
        self.baseMarginals = baseMarginals
        self.baseVariances = baseVariances
        self.started = started
    }
}

/// Visible vectors held fixed for measuring: `rows` × n_visible, already binarized.
struct MonitorSet {
    var values: [Float]
    var rows: Int

    init(_ dataset: Dataset, _ binarization: Binarization, seed: UInt64) {
        values = binarization.evaluationValues(of: dataset, seed: seed)
        rows = dataset.count
    }

    /// The first `rows` rows of a split (all of them when it has fewer).
    init(_ source: any RowSource, rows: Int, _ binarization: Binarization, seed: UInt64) throws(TrainingError) {
        do { self.init(try source.firstRows(rows), binarization, seed: seed) } catch { throw .data(error, hint: nil) }
    }
}

extension TrainingRun {
    /// Loads the data, claims the run folder (its lock; a finished run in it is not
    /// overwritten without `force`), builds the model (or restores it from the checkpoint),
    /// writes config.yaml and the metrics so far, and binarizes the monitoring sets.
    mutating func prepare() throws(TrainingError) -> TrainingSession {
        let started = monotonicSeconds()
        let (splits, standardization) = try loadData()
        let train = splits.train
        // training.layout: auto becomes concrete keys now that the data's width is known: for
        // this machine's cores (every rank takes the largest count, so all settle alike).
        let layoutWasAutomatic = config.training.layout == .auto
        config = config.settlingLayout(visibleCount: train.featureCount, cores: ranks.maximum(availableCores), ranks: ranks.size)
        try checkMemory(splits)
        let seed = config.training.seed
        let binarization = config.data.binarization
        let (marginals, variances) = try checkValues(splits)
        try checkRules(visibleCount: train.featureCount)
        let lock = ranks.isRoot ? try claimRunFolder() : nil

        // Restore the trainer from the checkpoint, or build a fresh model:
        // W ~ N(0, σ²), b from the training marginals (Hinton's guide), c = 0.
        let trainer: DataParallelTrainer
        var history: [EpochMetrics] = []
        var startEpoch = 0, startBatch = 0
        if resume {
            // Rank 0 reads the checkpoint and broadcasts it: only it needs the run folder.
            var point: ResumePoint?
            if ranks.isRoot {
                let checkpoint = try loadCheckpointForResume(visibleCount: train.featureCount, trainingRows: train.count,
                                                             adoptingLayout: layoutWasAutomatic)
                history = EpochMetrics.metrics(from: checkpoint.history)
                point = ResumePoint(state: checkpoint.state, epoch: checkpoint.epoch, batchInEpoch: checkpoint.batchInEpoch)
            }
            if ranks.size > 1 {
                point = ranks.broadcast(point, visibleUnits: config.visibleUnits)
                // An automatic layout continues as the checkpoint's, which rank 0 read.
                if layoutWasAutomatic {
                    let layout = config.training.stepLayout
                    func rootValue(_ value: Int) -> Int { ranks.maximum(ranks.isRoot ? value : 0) }
                    config.training.stepLayout = StepLayout(shards: rootValue(layout.shards), hiddenBlocks: rootValue(layout.hiddenBlocks),
                                                            visibleBlocks: rootValue(layout.visibleBlocks))
                }
            }
            if layoutWasAutomatic { try checkRules(visibleCount: train.featureCount) }
            guard let point else { preconditionFailure("rank 0 always has the resume point") }
            trainer = DataParallelTrainer(state: point.state, configuration: trainerConfiguration(marginals: marginals), ranks: ranks)
            startEpoch = point.epoch
            startBatch = point.batchInEpoch
        } else {
            let model = RBMModel.initialized(
                visibleCount: train.featureCount, hiddenCount: config.model.hidden, seed: seed,
                weightStandardDeviation: Float(config.model.weightStd),
                visibleMarginals: config.model.visibleBiasInit == .data ? marginals : nil, visibleUnits: config.visibleUnits)
            let configuration = trainerConfiguration(marginals: marginals)
            var state = TrainerState.initial(model: model, configuration: configuration)
            if configuration.learnsVariance && standardization == nil {
                // Learned variances on data as given: σ² starts at each feature's variance (at
                // least min_variance) and b at mean/σ, the visible units alone fitting the data.
                let deviations: [Float]
                do { deviations = try DataScan.meanAndStandardDeviation(of: train).standardDeviation } catch {
                    throw .data(error, hint: nil)
                }
                let logVariance = deviations.map { max(Float(_log(Double($0) * Double($0))), Float(_log(Double(configuration.minimumVariance)))) }
                state.model.visibleLogVariance = logVariance
                state.model.visibleBias = zip(state.model.visibleBias, logVariance).map {
                    $0 * RBMModel.inverseStandardDeviation(logVariance: $1)
                }
            }
            // Centering's visible offsets are the training data's mean (as u = v/σ with learned variances).
            if configuration.centering { state.visibleOffsets = state.model.unitVarianceCoordinates(marginals, rows: 1) }
            trainer = DataParallelTrainer(state: state, configuration: configuration, ranks: ranks)
        }

        if ranks.isRoot { try writeConfigAndMetrics(history, startEpoch: startEpoch) }

        let monitorSamples = config.evaluation.monitorSamples
        let session = TrainingSession(
            lock: lock, splits: splits, standardization: standardization, trainer: trainer, history: history, startEpoch: startEpoch, startBatch: startBatch,
            monitorTrain: try MonitorSet(train, rows: monitorSamples, binarization, seed: seed),
            monitorValidation: try splits.validation.map { (split) throws(TrainingError) in
                try MonitorSet(split, rows: monitorSamples, binarization, seed: seed)
            },
            evaluationSet: try evaluationData(splits), baseMarginals: marginals,
            baseVariances: variances, started: started)
        session.layoutWasAutomatic = layoutWasAutomatic
        return session
    }

    /// The trainer's configuration, with parallel tempering's base (`training.tempering_base:
    /// data`) from the training marginals: AIS's base rates b_A, the same numbers on every rank
    /// and on resuming (they are the data's). Learned variances are refused with it (the config's
    /// rules): their chains live in u = v/σ, whose σ moves.
    func trainerConfiguration(marginals: [Float]) -> TrainerConfiguration {
        var configuration = config.trainerConfiguration()
        if config.training.sampler == .parallelTempering && config.training.temperingBase == .data && !configuration.learnsVariance {
            configuration.temperingBase = AnnealedImportanceSampling.baseBias(units: config.visibleUnits, marginals: marginals)
        }
        return configuration
    }

    /// The rule book again, now that the data's width, the ranks and the layout are known.
    func checkRules(visibleCount: Int) throws(TrainingError) {
        if let problem = config.trainerConfiguration().problems(visibleCount: visibleCount, hiddenCount: config.model.hidden,
                                                                visibleUnits: config.visibleUnits, ranks: ranks.size).first {
            throw .shapeMismatch(problem.description)
        }
    }

    /// config.yaml and metrics.csv with the epochs recorded so far, and under parallel
    /// tempering tempering.csv with its header and the rows of the first `startEpoch` epochs.
    /// Each is written anew (temporary file, rename), so a link planted at one of these names is
    /// replaced, never written through, and the epochs after the checkpoint that a killed run
    /// had appended are dropped.
    func writeConfigAndMetrics(_ history: [EpochMetrics], startEpoch: Int) throws(TrainingError) {
        do {
            try writeTextAtomically(ConfigLoader.render(config), to: folder.config)
            try writeTextAtomically(([EpochMetrics.csvHeader] + history.map(\.csvLine)).joined(separator: "\n") + "\n",
                                    to: folder.metrics)
            if config.training.sampler == .parallelTempering {
                let betas = config.inverseTemperatures
                let header = (["epoch"] + zip(betas, betas.dropFirst()).map { "swap_\($0)_\($1)" }).joined(separator: ",")
                var rows: [Substring] = []
                if resume, isRegularFile(folder.tempering), let text = try? readText(path: folder.tempering) {
                    rows = text.split(separator: "\n").dropFirst().filter { line in
                        line.split(separator: ",").first.flatMap { Int($0) }.map { $0 <= startEpoch } ?? false
                    }
                }
                try writeTextAtomically(([Substring(header)] + rows).joined(separator: "\n") + "\n", to: folder.tempering)
            }
        } catch {
            throw .file(error)
        }
    }

    /// Reads every split once, before anything is written: every value must be finite, and in
    /// [0, 1] unless the binarization thresholds; every split must have the training split's
    /// width. Returns the training marginals (for the visible biases and AIS's base rates) and
    /// variances (for a Gaussian base).
    func checkValues(_ splits: DatasetSplits) throws(TrainingError) -> (means: [Float], variances: [Float]) {
        let binarization = config.data.binarization
        // Bernoulli units take probabilities; categorical ones read one-hot groups (their
        // codes were checked on the way); Gaussian ones any finite value.
        let unitInterval = config.visibleUnits.takesUnitInterval
        for (name, split) in splits.named where split.featureCount != splits.train.featureCount {
            throw .shapeMismatch("\(split.source): the \(name) samples have \(split.featureCount) values but the training samples have \(splits.train.featureCount)")
        }
        do {
            for (name, split) in splits.named where name != "train" {
                try DataScan.check(split, unitInterval: unitInterval && binarization != .threshold)
            }
            return try DataScan.moments(of: splits.train, binarization: binarization, unitInterval: unitInterval)
        } catch {
            throw .data(error, hint: nil)
        }
    }

    /// Refuses a run whose estimated memory exceeds what is available, before allocating it.
    /// The estimate counts 4-byte floats: W, its velocity and one W statistic per shard in the
    /// trainer; the copies of W (and the velocity) a checkpoint and the monitors make; the data.
    func checkMemory(_ splits: DatasetSplits) throws(TrainingError) {
        guard let available = availableMemory() else { return }
        let visible = Double(splits.train.featureCount), hidden = Double(config.model.hidden)
        let weightBytes = 4 * visible * hidden
        let copies = Double(config.training.shards) + 9
        // IDX and CSV data are held in memory as float32; mapped files are read on demand.
        let inMemory = [.idx, .csv].contains(DataLoader.format(of: config.data))
        let dataBytes = inMemory ? 4 * visible * Double(splits.named.reduce(0) { $0 + $1.dataset.count }) : 0
        let needed = copies * weightBytes + dataBytes
        guard needed > available else { return }
        throw .tooLarge(needed: needed, available: available,
                        detail: "\(Int(visible)) visible × \(Int(hidden)) hidden weights held \(Int(copies)) times, \(formatBytes(dataBytes)) of data")
    }

    /// Makes the run folder (a run that cannot write must not start) and takes its lock; a
    /// fresh run refuses a folder that holds a checkpoint unless `force` is set.
    func claimRunFolder() throws(TrainingError) -> FolderLock {
        let lock: FolderLock
        do {
            try makeWritableFolder(runFolder)
            lock = try FolderLock(folder: runFolder, purpose: "training \(config.output.name)")
        } catch let error as FolderLockError {
            throw .folderInUse(error)
        } catch let error as FileError {
            throw .file(error)
        } catch {
            throw .file(FileError(path: runFolder, reason: "\(error)"))
        }
        if !resume && !force && folder.hasCheckpoint {
            let epochs = (try? IsolatedRead.checkpoint(path: checkpointPath))?.epoch
            throw .runExists(folder: runFolder, epochs: epochs)
        }
        return lock
    }

    /// The data's splits (`DataLoader`), the training split cut to `data.train_samples`, as the
    /// visible units read them (one-hot codes, standardised values), and the standardisation.
    func loadData() throws(TrainingError) -> (DatasetSplits, Standardization?) {
        var splits: DatasetSplits
        do {
            splits = try DataLoader.load(config.data)
        } catch let error as DataError {
            let hint: String? = config.data.path.hasPrefix("/usr/share/datasets/")
                ? "This data set comes from a Debian package: `make deps` installs it." : nil
            throw .data(error, hint: hint)
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .data(.readFailed(path: config.data.path, reason: "\(error)"), hint: nil)
        }
        splits = DataLoader.limitTraining(splits, config.data)
        if splits.train.count < config.training.batchSize {
            throw .shapeMismatch("\(config.data.path): \(splits.train.count) training samples cannot fill one batch of \(config.training.batchSize) (training.batch_size)")
        }
        do {
            // An IDX folder's values are pixel intensities: categorical units see q grey levels.
            return try DataLoader.forUnits(splits, units: config.visibleUnits, standardize: config.standardizes,
                                           quantize: DataLoader.format(of: config.data) == .idx)
        } catch let error as DataError {
            throw .data(error, hint: nil)
        } catch {
            throw .data(.readFailed(path: config.data.path, reason: "\(error)"), hint: nil)
        }
    }

    /// Reads the run folder's checkpoint, checked whole (`Checkpoint.readChecked`), and checks
    /// that it can continue under this config and these data: the same visible units, and
    /// counters that fit the data's minibatches (batch < minibatches per epoch, and step =
    /// epoch × minibatches per epoch + batch, as every run that wrote it counted).
    ///
    /// `adoptingLayout`: the config's layout was automatic, so the run continues with the
    /// checkpoint's (chosen where the run started, perhaps on another machine).
    mutating func loadCheckpointForResume(visibleCount: Int, trainingRows: Int,
                                          adoptingLayout: Bool = false) throws(TrainingError) -> Checkpoint {
        guard folder.hasCheckpoint else {
            throw .cannotResume("\(checkpointPath): no checkpoint to resume from (train without --resume first)")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.readChecked(path: checkpointPath) } catch { throw .store(error) }
        let saved: ExperimentConfig
        do { saved = try ConfigLoader.parse(checkpoint.config, file: checkpointPath + " (config attribute)") } catch {
            throw .cannotResume("\(error)")
        }
        if adoptingLayout { config.training.stepLayout = saved.training.stepLayout }
        let changed = ConfigLoader.differences(saved, config).filter { !ConfigSchema.resumableChanges.contains($0.key) }
        guard changed.isEmpty else {
            let list = changed.map { "\($0.key): \($0.first) in the checkpoint, \($0.second) now" }.joined(separator: "; ")
            throw .cannotResume("\(checkpointPath): the run cannot continue exactly under a changed config (\(list)). Start a new run with another output.name instead.")
        }
        if saved.training.epochs != config.training.epochs && config.training.learningRateDecay != .none {
            log("note: training.epochs changed from \(saved.training.epochs) to \(config.training.epochs); the learning-rate decay of the remaining epochs follows the new count")
        }
        guard checkpoint.model.visibleCount == visibleCount else {
            throw .cannotResume("\(checkpointPath): the model has \(checkpoint.model.visibleCount) visible units but the data (\(config.data.path)) have \(visibleCount) features")
        }
        let batches = trainingRows / config.training.batchSize
        // batch = batches: a whole epoch whose measurements were not taken (versions before
        // 2026-12-07 wrote that when a signal came during an epoch's last minibatch). Resuming
        // runs no update for it, measures it and goes on.
        if checkpoint.batchInEpoch > batches {
            throw .store(.invalidCheckpoint(path: checkpointPath, problems: [CheckpointProblem(
                "attribute batch", "is \(checkpoint.batchInEpoch), but an epoch of \(config.data.path) has \(batches) minibatch(es) of \(config.training.batchSize): expected 0 to \(batches)")]))
        }
        // The counters come from a file: an epoch count near Int.max must not overflow here.
        let (epochUpdates, overflow) = checkpoint.epoch.multipliedReportingOverflow(by: batches)
        let (expectedStep, overflowAgain) = epochUpdates.addingReportingOverflow(checkpoint.batchInEpoch)
        if overflow || overflowAgain || checkpoint.state.step != expectedStep {
            let made = overflow || overflowAgain ? "more than \(Int.max)" : "\(expectedStep)"
            throw .store(.invalidCheckpoint(path: checkpointPath, problems: [CheckpointProblem(
                "attribute step", "is \(checkpoint.state.step), but \(checkpoint.epoch) epoch(s) of \(batches) minibatch(es) and \(checkpoint.batchInEpoch) more make \(made) updates (were the data changed since?)")]))
        }
        return checkpoint
    }

    /// The split periodic evaluation uses, binarized with the evaluation stream, or nil when
    /// evaluation is off.
    func evaluationData(_ splits: DatasetSplits) throws(TrainingError) -> MonitorSet? {
        guard config.evaluation.every > 0 else { return nil }
        guard let split = splits[config.evaluation.split] else {
            throw .shapeMismatch("evaluation.split: \(config.data.path) has no \(config.evaluation.split.rawValue) split"
                + (config.evaluation.split == .validation ? " (data.validation is 0)" : ""))
        }
        let rows = config.evaluation.samples > 0 ? config.evaluation.samples : split.count
        return try MonitorSet(split, rows: rows, config.data.binarization, seed: config.training.seed)
    }
}

extension DatasetSplits {
    /// The split of that name, nil when the data have none.
    subscript(split: ExperimentConfig.EvaluationSplit) -> (any RowSource)? {
        switch split {
        case .train: return train
        case .validation: return validation
        case .test: return test
        }
    }
}
