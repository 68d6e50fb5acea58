import RBM
import RBMData
import RBMStore
import RBMSystem

extension TrainingRun {
    /// One epoch of updates: the epoch's shuffle, then one data-parallel update per full
    /// minibatch from `schedule.firstBatch` on. A stop request (Ctrl-C, SIGTERM) after an
    /// update other than the epoch's last writes a checkpoint of that exact state and ends the run.
    func trainEpoch(_ schedule: EpochSchedule, _ session: TrainingSession) throws(TrainingError) -> EpochTiming {
        let epochStart = monotonicSeconds()
        let batches = EpochBatches(session.splits.train, config: config, epoch: schedule.epoch)
        for batchIndex in schedule.firstBatch..<session.batchesPerEpoch {
            switch try batches.minibatch(batchIndex) {
            case let .whole(batch): session.trainer.update(batch: batch, hyperparameters: schedule.hyperparameters)
            case let .streamed(batch): session.trainer.update(batch: batch, hyperparameters: schedule.hyperparameters)
            }
            afterBatch(schedule.epoch, batchIndex + 1)
            // Every rank stops after the same update: the largest signal any rank received.
            // After the epoch's last update the stop waits for the epoch's measurements
            // (`trainAll`), so that the checkpoint records a whole epoch, not batch = batches.
            if batchIndex + 1 < session.batchesPerEpoch, let signal = agreedStopRequest() {
                progress.clear()
                try checkFinite(session.trainer.model.isFinite, schedule)
                try writeCheckpoint(session, schedule, epochsDone: schedule.epoch, batchesDone: batchIndex + 1)
                // The other ranks wait until rank 0's checkpoint is on disk, then all end together.
                _ = ranks.maximum(0)
                throw .interrupted(signal: signal, completedEpochs: schedule.epoch, runFolder: runFolder)
            }
            progress.update(progressText(schedule, batch: batchIndex + 1, of: session.batchesPerEpoch,
                                         epochStart: epochStart, runStart: session.started))
        }
        return EpochTiming(started: epochStart, trainingSeconds: monotonicSeconds() - epochStart)
    }

    /// The epoch's monitors on the fixed training and validation sets, and the periodic
    /// evaluation when it is due. A model that is no longer finite ends the run.
    func measure(_ schedule: EpochSchedule, _ session: TrainingSession,
                 _ timing: EpochTiming) throws(TrainingError) -> EpochMetrics {
        let model = session.trainer.model
        try checkFinite(model.isFinite, schedule)
        // Every rank holds the same parameters and measures the same numbers (the monitors are
        // small); the periodic evaluation's log Z is split between the ranks. Rank 0 records.
        let workers = session.workers
        func reconstructionError(_ set: MonitorSet) -> Double {
            Monitoring.reconstructionError(model: model, visible: set.values, rows: set.rows, workers: workers)
        }
        func freeEnergy(_ set: MonitorSet) -> Double {
            Monitoring.meanFreeEnergy(model: model, visible: set.values, rows: set.rows, workers: workers)
        }
        let updates = (session.batchesPerEpoch - schedule.firstBatch) * config.training.batchSize
        var metrics = EpochMetrics(
            epoch: schedule.epoch + 1,
            reconstructionError: reconstructionError(session.monitorTrain),
            validationReconstructionError: session.monitorValidation.map(reconstructionError),
            freeEnergyTrain: freeEnergy(session.monitorTrain),
            freeEnergyValidation: session.monitorValidation.map(freeEnergy),
            learningRate: schedule.learningRate, momentum: schedule.momentum,
            samplesPerSecond: Double(updates) / timing.trainingSeconds,
            // The epoch's time so far: its updates and the monitors (not the evaluation).
            seconds: monotonicSeconds() - timing.started)
        try checkFinite(metrics.freeEnergyTrain.isFinite, schedule)
        if session.trainer.configuration.chainsPerRow > 1 {
            // Collective under several ranks; every pair's rate goes to tempering.csv.
            metrics.swapAcceptancePerPair = session.trainer.takeSwapAcceptanceRates()
            if ranks.isRoot { try recordSwapRates(metrics, session) }
        }
        if session.trainer.configuration.langevinAdjusted {
            // Collective under several ranks. Chains that rarely move leave the negative phase
            // where it was: say so while there is time to lower the step.
            let rate = session.trainer.takeLangevinAcceptanceRate()
            metrics.langevinAcceptance = rate
            if rate < 0.1 {
                log("note: epoch \(schedule.epoch + 1): only \(format(100 * rate, 1))% of the Langevin proposals were accepted; "
                    + "the chains barely move (lower training.langevin_step_size)")
            }
        }
        if let evaluationSet = session.evaluationSet, evaluationDue(after: schedule.epoch) {
            progress.update("evaluating on \(config.evaluation.split.rawValue) (\(evaluationSet.rows) samples)…", force: true)
            let report: EvaluationReport
            do {
                report = try ModelEvaluation.evaluate(
                    model: model, split: config.evaluation.split.rawValue, visible: evaluationSet.values,
                    rows: evaluationSet.rows, baseMarginals: session.baseMarginals, baseVariances: session.baseVariances,
                    options: config.evaluationOptions(workers: workers), ranks: ranks)
            } catch {
                throw .evaluation("\(error)")
            }
            metrics.pseudoLikelihood = report.pseudoLikelihood
            metrics.logPartitionFunction = report.logPartitionFunction
            metrics.logLikelihood = report.averageLogLikelihood
            metrics.logLikelihoodLower = report.averageLogLikelihoodLower
            metrics.logLikelihoodUpper = report.averageLogLikelihoodUpper
            metrics.reverseLogPartitionFunction = report.reverseLogPartitionFunction
            metrics.conservativeLogLikelihood = report.conservativeLogLikelihood
            if report.bracketDisagrees, let width = report.bracketWidth {
                log("note: epoch \(schedule.epoch + 1): AIS and reverse AIS \(width > 0 ? "disagree" : "cross") by "
                    + "\(format(abs(width), 2)) nats (more than evaluation.bracket_warning, \(format(report.bracketWarning, 2))): "
                    + "more evaluation.ais_betas usually helps")
            } else if report.bracketUncertain, let width = report.bracketWidth, let noise = report.bracketWidthNoise {
                log("note: epoch \(schedule.epoch + 1): AIS and reverse AIS are \(format(abs(width), 2)) nats apart, but two "
                    + "standard errors of that width are \(format(noise, 2)) nats (evaluation.bracket_warning "
                    + "\(format(report.bracketWarning, 2))): more evaluation.ais_runs narrow them")
            }
        }
        return metrics
    }
}

extension TrainingRun {
    /// Appends the epoch's swap acceptance per pair of temperatures to tempering.csv, which
    /// `writeConfigAndMetrics` has started with its header (`appendLine` refuses a link).
    func recordSwapRates(_ metrics: EpochMetrics, _ session: TrainingSession) throws(TrainingError) {
        do {
            try appendLine(([String(metrics.epoch)] + (metrics.swapAcceptancePerPair ?? []).map { "\($0)" })
                .joined(separator: ","), to: folder.tempering)
        } catch {
            throw .file(error)
        }
    }

    /// `stopRequest()`, agreed by all ranks (a single process just asks).
    func agreedStopRequest() -> Int32? {
        let local = stopRequest()
        guard ranks.size > 1 else { return local }
        let agreed = ranks.maximum(Int(local ?? 0))
        return agreed > 0 ? Int32(agreed) : nil
    }
}

/// When an epoch started (`monotonicSeconds`) and how long its updates took.
struct EpochTiming {
    var started: Double
    var trainingSeconds: Double
}

/// The minibatches of one epoch: the whole split shuffled (`data.block_rows` 0), or the split
/// streamed in shuffled blocks (`BlockOrder`).
struct EpochBatches {
    enum Batch {
        case whole(SourceMinibatch)
        case streamed(GatheredMinibatch)
    }

    let source: any RowSource
    let batchSize: Int
    let binarization: Binarization
    let seed: UInt64
    let epoch: Int
    let order: [Int]
    let streamed: StreamedEpoch?

    init(_ source: any RowSource, config: ExperimentConfig, epoch: Int) {
        self.source = source
        batchSize = config.training.batchSize
        binarization = config.data.binarization
        seed = config.training.seed
        self.epoch = epoch
        if config.data.blockRows > 0 {
            order = []
            streamed = StreamedEpoch(source: source, order: BlockOrder(count: source.count, blockRows: config.data.blockRows,
                                                                       seed: seed, epoch: epoch),
                                     batchSize: batchSize, binarization: binarization)
        } else {
            order = shuffledOrder(count: source.count, seed: seed, epoch: epoch)
            streamed = nil
        }
    }

    func minibatch(_ index: Int) throws(TrainingError) -> Batch {
        if let streamed {
            do { return .streamed(try streamed.minibatch(index)) } catch { throw .data(error, hint: nil) }
        }
        let start = index * batchSize
        return .whole(SourceMinibatch(source: source, order: order[start..<(start + batchSize)], binarization: binarization,
                                      epoch: epoch, seed: seed))
    }
}
