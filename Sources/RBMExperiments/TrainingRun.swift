import RBM
import RBMData

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

    /// F(validation) − F(train): growing means the model is overfitting.
    public var freeEnergyGap: Double? { freeEnergyValidation.map { $0 - freeEnergyTrain } }

    public static let csvHeader = "epoch,reconstruction_error,validation_reconstruction_error,free_energy_train,free_energy_validation,free_energy_gap,learning_rate,momentum,samples_per_second,seconds"

    public var csvLine: String {
        func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return [String(epoch), field(reconstructionError), field(validationReconstructionError),
                field(freeEnergyTrain), field(freeEnergyValidation), field(freeEnergyGap),
                field(learningRate), field(momentum), field(samplesPerSecond), field(seconds)]
            .joined(separator: ",")
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
        return parts.joined(separator: "  ")
    }
}

/// A training run that stopped before its last epoch, or could not start.
public enum TrainingError: Error, CustomStringConvertible {
    case data(DataError, hint: String?)
    case file(FileError)
    case shapeMismatch(String)
    case diverged(epoch: Int, learningRate: Double)
    case interrupted(signal: Int32, completedEpochs: Int, runFolder: String)

    public var description: String {
        switch self {
        case let .data(error, hint):
            return "\(error)" + (hint.map { "\n\($0)" } ?? "")
        case let .file(error):
            return "\(error)"
        case let .shapeMismatch(detail):
            return detail
        case let .diverged(epoch, learningRate):
            return "training diverged in epoch \(epoch): the parameters are no longer finite numbers. Try a lower training.learning_rate (now \(learningRate)), e.g. --set training.learning_rate=\(learningRate / 10)"
        case let .interrupted(signal, epochs, folder):
            let name = signal == 2 ? "Ctrl-C" : "signal \(signal)"
            return "stopped by \(name) after \(epochs) complete epoch(s); metrics so far are in \(folder)"
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
}

/// The training loop, top to bottom: load the data, build the model and trainer, then for each
/// epoch shuffle, update on every full minibatch, measure, report and record.
public struct TrainingRun {
    public var config: ExperimentConfig
    /// Prints a line (epoch summaries, notices); the progress line goes to standard error.
    public var log: (String) -> Void
    public var progress: ProgressLine

    public init(config: ExperimentConfig, log: @escaping (String) -> Void = { print($0) },
                progress: ProgressLine = ProgressLine()) {
        self.config = config
        self.log = log
        self.progress = progress
    }

    public var runFolder: String { config.output.folder + "/" + config.output.name }

    public func run() throws(TrainingError) -> RunResult {
        let started = monotonicSeconds()
        let splits = try loadData()
        let train = splits.train
        let seed = config.training.seed

        // The run folder comes first: a run that cannot write its results must not start.
        let folder = runFolder
        let metricsPath = folder + "/metrics.csv"
        do {
            try makeWritableFolder(folder)
            try writeTextAtomically(ConfigLoader.render(config), to: folder + "/config.yaml")
            try writeTextAtomically(EpochMetrics.csvHeader + "\n", to: metricsPath)
        } catch {
            throw .file(error)
        }

        // Model: W ~ N(0, σ²), b from the training marginals (Hinton's guide), c = 0.
        let binarization = config.data.binarization
        let marginals: [Float]? = config.model.visibleBiasInit == .data
            ? (binarization == .threshold ? thresholdedMeans(train) : train.featureMeans) : nil
        let model = BernoulliRBM.initialized(
            visibleCount: train.featureCount, hiddenCount: config.model.hidden, seed: seed,
            weightStandardDeviation: Float(config.model.weightStd), visibleMarginals: marginals)
        let trainerConfiguration = config.trainerConfiguration()
        let trainer = DataParallelTrainer(model: model, configuration: trainerConfiguration)
        let workers = trainerConfiguration.workers

        // Fixed monitoring sets, binarized once with the evaluation stream.
        let monitorTrain = train.prefix(config.evaluation.monitorSamples)
        let monitorTrainValues = binarization.evaluationValues(of: monitorTrain, seed: seed)
        let monitorValidation = splits.validation?.prefix(config.evaluation.monitorSamples)
        let monitorValidationValues = monitorValidation.map { binarization.evaluationValues(of: $0, seed: seed) }

        let batchSize = config.training.batchSize
        let batchesPerEpoch = train.count / batchSize
        let epochs = config.training.epochs
        log("training \(config.output.name): \(train.count) samples × \(train.featureCount) visible → \(config.model.hidden) hidden, "
            + "\(trainerConfiguration.sampler == .contrastiveDivergence ? "CD" : "PCD")-\(config.training.gibbsSteps), "
            + "batch \(batchSize) in \(trainerConfiguration.shards) shards on \(workers) worker(s), \(epochs) epochs; writing \(folder)")
        if train.count % batchSize != 0 {
            log("note: \(train.count % batchSize) samples left over each epoch (the shuffle changes which)")
        }

        var history: [EpochMetrics] = []
        for epoch in 0..<epochs {
            let epochStart = monotonicSeconds()
            let learningRate = config.learningRate(epoch: epoch)
            let momentum = config.momentum(epoch: epoch)
            let hyperparameters = UpdateHyperparameters(learningRate: Float(learningRate), momentum: Float(momentum))
            let order = shuffledOrder(count: train.count, seed: seed, epoch: epoch)
            for batchIndex in 0..<batchesPerEpoch {
                let start = batchIndex * batchSize
                let batch = DatasetMinibatch(dataset: train, order: order[start..<(start + batchSize)],
                                             binarization: binarization, epoch: epoch, seed: seed)
                trainer.update(batch: batch, hyperparameters: hyperparameters)
                if let signal = Interruption.signal {
                    progress.clear()
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
            let metrics = EpochMetrics(
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
                samplesPerSecond: Double(batchesPerEpoch * batchSize) / trainingSeconds,
                seconds: monotonicSeconds() - epochStart)
            guard metrics.freeEnergyTrain.isFinite else {
                progress.clear()
                throw .diverged(epoch: epoch + 1, learningRate: learningRate)
            }
            history.append(metrics)
            do { try appendLine(metrics.csvLine, to: metricsPath) } catch { throw .file(error) }
            progress.clear()
            log("epoch \(pad(epoch + 1, to: epochs))/\(epochs)  \(metrics.summary)")
        }
        return RunResult(folder: folder, model: trainer.model, history: history,
                         seconds: monotonicSeconds() - started)
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

    func thresholdedMeans(_ dataset: Dataset) -> [Float] {
        let values = Binarization.threshold.evaluationValues(of: dataset, seed: 0)
        return Dataset(values: values, count: dataset.count, featureCount: dataset.featureCount,
                       source: dataset.source).featureMeans
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
