import RBM
import RBMData
import RBMStore

/// One epoch's monitors, as printed and as written to `metrics.csv`.
public struct EpochMetrics: Sendable, Equatable {
    public var epoch: Int
    /// Mean squared one-step reconstruction error per sample (sum over visible units).
    public var reconstructionError: Double
    public var validationReconstructionError: Double?
    /// Mean free energy of the monitored training and validation samples.
    public var freeEnergyTrain: Double
    public var freeEnergyValidation: Double?
    public var learningRate: Double
    public var momentum: Double
    public var samplesPerSecond: Double
    public var seconds: Double
    /// From periodic evaluation (`evaluation.every`), on `evaluation.split`; nil otherwise.
    public var pseudoLikelihood: Double? = nil
    public var logPartitionFunction: Double? = nil
    public var logLikelihood: Double? = nil
    public var logLikelihoodLower: Double? = nil
    public var logLikelihoodUpper: Double? = nil

    /// F(validation) − F(train): growing means the model is overfitting.
    public var freeEnergyGap: Double? { freeEnergyValidation.map { $0 - freeEnergyTrain } }

    public static let csvHeader = "epoch,reconstruction_error,validation_reconstruction_error,free_energy_train,free_energy_validation,free_energy_gap,learning_rate,momentum,samples_per_second,seconds,pseudo_likelihood,log_z,log_likelihood,log_likelihood_low,log_likelihood_high"

    public var csvLine: String {
        func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return [String(epoch), field(reconstructionError), field(validationReconstructionError),
                field(freeEnergyTrain), field(freeEnergyValidation), field(freeEnergyGap),
                field(learningRate), field(momentum), field(samplesPerSecond), field(seconds),
                field(pseudoLikelihood), field(logPartitionFunction), field(logLikelihood),
                field(logLikelihoodLower), field(logLikelihoodUpper)]
            .joined(separator: ",")
    }

    /// The values in `csvHeader` order.
    var columns: [Double] {
        [Double(epoch), reconstructionError, validationReconstructionError ?? .nan, freeEnergyTrain,
         freeEnergyValidation ?? .nan, freeEnergyGap ?? .nan, learningRate, momentum, samplesPerSecond, seconds,
         pseudoLikelihood ?? .nan, logPartitionFunction ?? .nan, logLikelihood ?? .nan,
         logLikelihoodLower ?? .nan, logLikelihoodUpper ?? .nan]
    }

    static var columnNames: [String] { csvHeader.split(separator: ",").map(String.init) }

    /// Per-epoch series for a checkpoint's /history group.
    public static func history(_ metrics: [EpochMetrics]) -> History {
        History(columns: columnNames.enumerated().map { index, name in (name, metrics.map { $0.columns[index] }) })
    }

    /// The epochs recorded in a checkpoint's history.
    public static func metrics(from history: History) -> [EpochMetrics] {
        (0..<history.epochCount).map { row in
            let value = { (name: String) -> Double? in
                guard let column = history[name], row < column.count, !column[row].isNaN else { return nil }
                return column[row]
            }
            return EpochMetrics(
                epoch: Int(value("epoch") ?? Double(row + 1)), reconstructionError: value("reconstruction_error") ?? .nan,
                validationReconstructionError: value("validation_reconstruction_error"),
                freeEnergyTrain: value("free_energy_train") ?? .nan, freeEnergyValidation: value("free_energy_validation"),
                learningRate: value("learning_rate") ?? .nan, momentum: value("momentum") ?? .nan,
                samplesPerSecond: value("samples_per_second") ?? .nan, seconds: value("seconds") ?? .nan,
                pseudoLikelihood: value("pseudo_likelihood"), logPartitionFunction: value("log_z"),
                logLikelihood: value("log_likelihood"), logLikelihoodLower: value("log_likelihood_low"),
                logLikelihoodUpper: value("log_likelihood_high"))
        }
    }

    public var summary: String {
        var parts = ["recon \(format(reconstructionError, 3))"]
        if let validation = validationReconstructionError { parts.append("(valid \(format(validation, 3)))") }
        parts.append("F(train) \(format(freeEnergyTrain, 2))")
        if let validation = freeEnergyValidation, let gap = freeEnergyGap {
            parts.append("F(valid) \(format(validation, 2))  gap \(format(gap, 2))")
        }
        parts.append("lr \(format(learningRate, 4))  μ \(format(momentum, 2))")
        parts.append("\(groupedThousands(samplesPerSecond)) samples/s  \(format(seconds, 1)) s")
        var line = parts.joined(separator: "  ")
        if let logLikelihood {
            line += "\n        log-likelihood \(format(logLikelihood, 2)) nats (log Z \(format(logPartitionFunction ?? .nan, 2)))"
        }
        if let pseudoLikelihood { line += (logLikelihood == nil ? "\n       " : "") + "  pseudo-LL \(format(pseudoLikelihood, 2))" }
        return line
    }
}

/// A training run that stopped before its last epoch, or could not start.
public enum TrainingError: Error, CustomStringConvertible {
    case data(DataError, hint: String?)
    case file(FileError)
    case shapeMismatch(String)
    case store(StoreError)
    case cannotResume(String)
    case diverged(epoch: Int, learningRate: Double)
    case interrupted(signal: Int32, completedEpochs: Int, runFolder: String)
    case features(String)
    case evaluation(String)
    case pictures(String)

    public var description: String {
        switch self {
        case let .data(error, hint):
            return "\(error)" + (hint.map { "\n\($0)" } ?? "")
        case let .file(error):
            return "\(error)"
        case let .shapeMismatch(detail), let .cannotResume(detail), let .features(detail), let .evaluation(detail),
             let .pictures(detail):
            return detail
        case let .store(error):
            return "\(error)"
        case let .diverged(epoch, learningRate):
            return "training diverged in epoch \(epoch): the parameters are no longer finite numbers. The last good checkpoint is kept. Try a lower training.learning_rate (now \(learningRate)), e.g. --set training.learning_rate=\(learningRate / 10)"
        case let .interrupted(signal, epochs, folder):
            let name = signal == 2 ? "Ctrl-C" : "signal \(signal)"
            return "stopped by \(name) after \(epochs) complete epoch(s); the checkpoint in \(folder) holds the state after the last minibatch. Continue with: rbm resume \(folder)"
        }
    }

    /// The process exit status this error should end with.
    public var exitStatus: Int32 {
        if case let .interrupted(signal, _, _) = self { return 128 + signal }
        return 1
    }
}

/// What a finished run leaves behind.
public struct RunResult: Sendable {
    public var folder: String
    public var model: BernoulliRBM
    public var history: [EpochMetrics]
    public var seconds: Double
    /// True when `timeBudget` ended the run before its last epoch.
    public var stoppedByBudget = false
}

/// The version written into every file's `created_by`.
public let rbmVersion = "rbm 0.2.0"

/// The training loop, top to bottom: load the data, build (or restore) the model and trainer,
/// then for each epoch shuffle, update on every full minibatch, measure, report, record and
/// checkpoint; at the end write the hidden features.
public struct TrainingRun {
    public var config: ExperimentConfig
    /// Continue from the run folder's checkpoint instead of starting afresh.
    public var resume = false
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

    public init(config: ExperimentConfig, resume: Bool = false, log: @escaping (String) -> Void = { print($0) },
                progress: ProgressLine = ProgressLine()) {
        self.config = config
        self.resume = resume
        self.log = log
        self.progress = progress
    }

    public var runFolder: String { config.output.folder + "/" + config.output.name }
    public var checkpointPath: String { runFolder + "/checkpoint.h5" }

    public func run() throws(TrainingError) -> RunResult {
        let started = monotonicSeconds()
        let splits = try loadData()
        let train = splits.train
        let seed = config.training.seed
        let folder = runFolder
        let metricsPath = folder + "/metrics.csv"
        let trainerConfiguration = config.trainerConfiguration()
        let workers = trainerConfiguration.workers
        let binarization = config.data.binarization

        // Restore the trainer from the checkpoint, or build a fresh model:
        // W ~ N(0, σ²), b from the training marginals (Hinton's guide), c = 0.
        let trainer: DataParallelTrainer
        var history: [EpochMetrics] = []
        var startEpoch = 0
        var startBatch = 0
        if resume {
            let checkpoint = try loadCheckpointForResume(visibleCount: train.featureCount)
            trainer = DataParallelTrainer(state: checkpoint.state, configuration: trainerConfiguration)
            history = EpochMetrics.metrics(from: checkpoint.history)
            startEpoch = checkpoint.epoch
            startBatch = checkpoint.batchInEpoch
        } else {
            let marginals: [Float]? = config.model.visibleBiasInit == .data ? binarization.marginals(of: train) : nil
            let model = BernoulliRBM.initialized(
                visibleCount: train.featureCount, hiddenCount: config.model.hidden, seed: seed,
                weightStandardDeviation: Float(config.model.weightStd), visibleMarginals: marginals)
            trainer = DataParallelTrainer(model: model, configuration: trainerConfiguration)
        }

        // The run folder comes before any training: a run that cannot write must not start.
        do {
            try makeWritableFolder(folder)
            try writeTextAtomically(ConfigLoader.render(config), to: folder + "/config.yaml")
            try writeTextAtomically(([EpochMetrics.csvHeader] + history.map(\.csvLine)).joined(separator: "\n") + "\n",
                                    to: metricsPath)
        } catch {
            throw .file(error)
        }

        // Fixed monitoring sets, binarized once with the evaluation stream.
        let monitorTrain = train.prefix(config.evaluation.monitorSamples)
        let monitorTrainValues = binarization.evaluationValues(of: monitorTrain, seed: seed)
        let monitorValidation = splits.validation?.prefix(config.evaluation.monitorSamples)
        let monitorValidationValues = monitorValidation.map { binarization.evaluationValues(of: $0, seed: seed) }

        // The periodic evaluation's split, binarized once, and the base rates for AIS.
        let evaluationSet = try evaluationData(splits)
        let baseMarginals = binarization.marginals(of: train)

        let batchSize = config.training.batchSize
        let batchesPerEpoch = train.count / batchSize
        let epochs = config.training.epochs
        let samplerName = (trainerConfiguration.sampler == .contrastiveDivergence ? "CD" : "PCD") + "-\(config.training.gibbsSteps)"
        log("training \(config.output.name): \(train.count) samples × \(train.featureCount) visible → \(trainer.hiddenCount) hidden, "
            + "\(samplerName), batch \(batchSize) in \(trainerConfiguration.shards) shards on \(workers) worker(s), \(epochs) epochs; writing \(folder)")
        if resume {
            log("resuming after epoch \(startEpoch)" + (startBatch > 0 ? " and \(startBatch) of its \(batchesPerEpoch) minibatches" : "")
                + " (update \(trainer.step))")
        }
        if train.count % batchSize != 0 {
            log("note: \(train.count % batchSize) samples left over each epoch (the shuffle changes which)")
        }

        for epoch in startEpoch..<max(startEpoch, epochs) {
            let epochStart = monotonicSeconds()
            let firstBatch = epoch == startEpoch ? startBatch : 0
            let learningRate = config.learningRate(epoch: epoch)
            let momentum = config.momentum(epoch: epoch)
            let hyperparameters = UpdateHyperparameters(learningRate: Float(learningRate), momentum: Float(momentum))
            let order = shuffledOrder(count: train.count, seed: seed, epoch: epoch)
            for batchIndex in firstBatch..<batchesPerEpoch {
                let start = batchIndex * batchSize
                let batch = DatasetMinibatch(dataset: train, order: order[start..<(start + batchSize)],
                                             binarization: binarization, epoch: epoch, seed: seed)
                trainer.update(batch: batch, hyperparameters: hyperparameters)
                afterBatch(epoch, batchIndex + 1)
                if let signal = stopRequest() {
                    progress.clear()
                    guard trainer.model.isFinite else { throw .diverged(epoch: epoch + 1, learningRate: learningRate) }
                    try writeCheckpoint(trainer, epoch: epoch, batch: batchIndex + 1, learningRate: learningRate,
                                        momentum: momentum, history: history, imageShape: train.imageShape)
                    throw .interrupted(signal: signal, completedEpochs: epoch, runFolder: folder)
                }
                progress.update(progressText(epoch: epoch, batch: batchIndex + 1, of: batchesPerEpoch,
                                             epochStart: epochStart, runStart: started))
            }
            let trainingSeconds = monotonicSeconds() - epochStart
            let current = trainer.model
            guard current.isFinite else {
                progress.clear()
                throw .diverged(epoch: epoch + 1, learningRate: learningRate)
            }
            var metrics = EpochMetrics(
                epoch: epoch + 1,
                reconstructionError: Monitoring.reconstructionError(
                    model: current, visible: monitorTrainValues, rows: monitorTrain.count, workers: workers),
                validationReconstructionError: monitorValidationValues.map {
                    Monitoring.reconstructionError(model: current, visible: $0, rows: monitorValidation!.count, workers: workers)
                },
                freeEnergyTrain: Monitoring.meanFreeEnergy(
                    model: current, visible: monitorTrainValues, rows: monitorTrain.count, workers: workers),
                freeEnergyValidation: monitorValidationValues.map {
                    Monitoring.meanFreeEnergy(model: current, visible: $0, rows: monitorValidation!.count, workers: workers)
                },
                learningRate: learningRate, momentum: momentum,
                samplesPerSecond: Double((batchesPerEpoch - firstBatch) * batchSize) / trainingSeconds,
                seconds: monotonicSeconds() - epochStart)
            guard metrics.freeEnergyTrain.isFinite else {
                progress.clear()
                throw .diverged(epoch: epoch + 1, learningRate: learningRate)
            }
            let every = config.evaluation.every
            if let evaluationSet, every > 0, (epoch + 1) % every == 0 || epoch + 1 == epochs {
                progress.update("evaluating on \(config.evaluation.split.rawValue) (\(evaluationSet.rows) samples)…", force: true)
                var options = EvaluationOptions()
                options.logLikelihood = config.evaluation.logLikelihood
                options.aisRuns = config.evaluation.aisRuns
                options.aisBetas = config.evaluation.aisBetas
                options.pseudoLikelihood = config.evaluation.pseudoLikelihood
                options.seed = seed
                options.workers = workers
                do {
                    let report = try ModelEvaluation.evaluate(
                        model: current, split: config.evaluation.split.rawValue, visible: evaluationSet.values,
                        rows: evaluationSet.rows, baseMarginals: baseMarginals, options: options)
                    metrics.pseudoLikelihood = report.pseudoLikelihood
                    metrics.logPartitionFunction = report.logPartitionFunction
                    metrics.logLikelihood = report.averageLogLikelihood
                    metrics.logLikelihoodLower = report.averageLogLikelihoodLower
                    metrics.logLikelihoodUpper = report.averageLogLikelihoodUpper
                } catch {
                    throw .evaluation("\(error)")
                }
            }
            history.append(metrics)
            do { try appendLine(metrics.csvLine, to: metricsPath) } catch { throw .file(error) }
            let checkpointEvery = config.output.checkpointEvery
            if epoch + 1 == epochs || (checkpointEvery > 0 && (epoch + 1) % checkpointEvery == 0) {
                try writeCheckpoint(trainer, epoch: epoch + 1, batch: 0, learningRate: learningRate,
                                    momentum: momentum, history: history, imageShape: train.imageShape)
            }
            progress.clear()
            log("epoch \(pad(epoch + 1, to: epochs))/\(epochs)  \(metrics.summary)")
            if let timeBudget, epoch + 1 < epochs, monotonicSeconds() - started >= timeBudget {
                if !(checkpointEvery > 0 && (epoch + 1) % checkpointEvery == 0) {
                    try writeCheckpoint(trainer, epoch: epoch + 1, batch: 0, learningRate: learningRate,
                                        momentum: momentum, history: history, imageShape: train.imageShape)
                }
                log("time budget of \(formatDuration(timeBudget)) reached after epoch \(epoch + 1)")
                var result = RunResult(folder: folder, model: trainer.model, history: history,
                                       seconds: monotonicSeconds() - started)
                result.stoppedByBudget = true
                return result
            }
        }
        if startEpoch >= epochs && startBatch == 0 {
            log("the checkpoint already holds \(startEpoch) epoch(s); nothing to train (raise training.epochs to continue)")
        }
        if config.output.features {
            try writeFeatures(model: trainer.model, splits: splits, workers: workers)
        }
        if config.output.pictures {
            try writePicturesAndReport(trainer: trainer, splits: splits, history: history, workers: workers)
        }
        return RunResult(folder: folder, model: trainer.model, history: history,
                         seconds: monotonicSeconds() - started)
    }

    func writeCheckpoint(_ trainer: DataParallelTrainer, epoch: Int, batch: Int, learningRate: Double,
                         momentum: Double, history: [EpochMetrics],
                         imageShape: (rows: Int, columns: Int)?) throws(TrainingError) {
        let checkpoint = Checkpoint(
            state: trainer.state, sampler: config.training.sampler, config: ConfigLoader.render(config),
            seed: config.training.seed, epoch: epoch, batchInEpoch: batch, learningRate: learningRate,
            momentum: momentum, history: EpochMetrics.history(history), createdBy: rbmVersion,
            imageShape: imageShape.map { [$0.rows, $0.columns] })
        do { try checkpoint.write(to: checkpointPath) } catch { throw .store(error) }
    }

    /// filters.png, reconstructions.png, samples.png, curves.svg and report.html.
    func writePicturesAndReport(trainer: DataParallelTrainer, splits: DatasetSplits, history: [EpochMetrics],
                                workers: Int) throws(TrainingError) {
        progress.update("pictures: 1,000 Gibbs steps for the samples…", force: true)
        let model = trainer.model
        let binarization = config.data.binarization
        let seed = config.training.seed
        let shown = (splits.test ?? splits.validation ?? splits.train).prefix(20)
        let chainCount = min(100, config.training.batchSize, splits.train.count)
        let chainStart = trainer.state.chainVisible.map { Array($0.prefix(chainCount * model.visibleCount)) }
            ?? binarization.evaluationValues(of: splits.train.prefix(chainCount), seed: seed)
        let inputs = RunReport.Inputs(
            model: model, images: binarization.evaluationValues(of: shown, seed: seed), imageCount: shown.count,
            chainStart: chainStart, chainCount: chainCount, shape: splits.train.imageShape, seed: seed, workers: workers)
        do {
            let pictures = try RunReport.writePictures(inputs, to: runFolder)
            try RunReport.writeReport(folder: runFolder, title: "RBM run \(config.output.name)",
                                      configYAML: ConfigLoader.render(config), history: history, pictures: pictures)
            progress.clear()
            log("pictures: \(pictures.joined(separator: ", ")), \(RunReport.curvesFile), \(RunReport.reportFile)")
        } catch {
            throw .pictures("\(error)")
        }
    }

    /// Reads the run folder's checkpoint and checks that it can continue under this config.
    func loadCheckpointForResume(visibleCount: Int) throws(TrainingError) -> Checkpoint {
        guard fileExists(checkpointPath) else {
            throw .cannotResume("\(checkpointPath): no checkpoint to resume from (train without --resume first)")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try IsolatedRead.checkpoint(path: checkpointPath) } catch { throw .store(error) }
        let saved: ExperimentConfig
        do { saved = try ConfigLoader.parse(checkpoint.config, file: checkpointPath + " (config attribute)") } catch {
            throw .cannotResume("\(error)")
        }
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
        return checkpoint
    }

    /// P(h = 1 | v) of every split, with v the pixel intensities (thresholded for `threshold`
    /// binarization), written to the run folder's features.h5.
    func writeFeatures(model: BernoulliRBM, splits: DatasetSplits, workers: Int) throws(TrainingError) {
        let threshold = config.data.binarization == .threshold
        var sources: [any FeatureSplitSource] = [DatasetSplitSource(name: "train", dataset: splits.train, threshold: threshold)]
        if let validation = splits.validation {
            sources.append(DatasetSplitSource(name: "validation", dataset: validation, threshold: threshold))
        }
        if let test = splits.test { sources.append(DatasetSplitSource(name: "test", dataset: test, threshold: threshold)) }
        let path = runFolder + "/features.h5"
        do {
            let digest = fileExists(checkpointPath) ? try SHA256.hex(ofFile: checkpointPath) : ""
            try FeatureExtraction.write(
                model: model, splits: sources, to: path,
                provenance: .init(createdBy: rbmVersion, checkpointPath: checkpointPath, checkpointSHA256: digest,
                                  hiddenCount: model.hiddenCount, dataset: config.data.path),
                workers: workers) { name, done, total in
                    progress.update("features: \(name) \(done)/\(total)")
                }
            progress.clear()
            log("features: \(path) (\(sources.map { "\($0.name) \($0.count)" }.joined(separator: ", ")))")
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .features("\(error)")
        }
    }

    /// The split periodic evaluation uses, binarized with the evaluation stream, or nil when
    /// evaluation is off.
    func evaluationData(_ splits: DatasetSplits) throws(TrainingError) -> (values: [Float], rows: Int)? {
        guard config.evaluation.every > 0 else { return nil }
        let split: Dataset?
        switch config.evaluation.split {
        case .train: split = splits.train
        case .validation: split = splits.validation
        case .test: split = splits.test
        }
        guard var dataset = split else {
            throw .shapeMismatch("evaluation.split: \(config.data.path) has no \(config.evaluation.split.rawValue) split"
                + (config.evaluation.split == .validation ? " (data.validation is 0)" : ""))
        }
        if config.evaluation.samples > 0 { dataset = dataset.prefix(config.evaluation.samples) }
        return (config.data.binarization.evaluationValues(of: dataset, seed: config.training.seed), dataset.count)
    }

    func loadData() throws(TrainingError) -> DatasetSplits {
        var splits: DatasetSplits
        do {
            splits = try IDXFolder.load(folder: config.data.path, validationCount: config.data.validation)
        } catch let error as DataError {
            let hint: String? = config.data.path.hasPrefix("/usr/share/datasets/")
                ? "This data set comes from a Debian package: `make deps` installs it." : nil
            throw .data(error, hint: hint)
        } catch {
            throw .data(.readFailed(path: config.data.path, reason: "\(error)"), hint: nil)
        }
        if config.data.trainSamples > 0 && config.data.trainSamples < splits.train.count {
            let source = splits.train.source
            splits.train = splits.train.prefix(config.data.trainSamples)
            splits.train.source = source
        }
        if splits.train.count < config.training.batchSize {
            throw .shapeMismatch("\(config.data.path): \(splits.train.count) training samples cannot fill one batch of \(config.training.batchSize) (training.batch_size)")
        }
        return splits
    }

    func progressText(epoch: Int, batch: Int, of batches: Int, epochStart: Double, runStart: Double) -> String {
        let now = monotonicSeconds()
        let epochs = config.training.epochs
        let fraction = (Double(epoch) + Double(batch) / Double(batches)) / Double(epochs)
        let speed = Double(batch * config.training.batchSize) / max(now - epochStart, 1e-9)
        let elapsed = now - runStart
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        return "epoch \(epoch + 1)/\(epochs) \(format(100 * fraction, 1))%  "
            + "\(groupedThousands(speed)) samples/s  ETA \(formatDuration(eta))"
    }

    func pad(_ value: Int, to maximum: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, String(maximum).count - text.count)) + text
    }
}
