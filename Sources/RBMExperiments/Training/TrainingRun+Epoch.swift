import RBM
import RBMData
import RBMStore
import RBMSystem

extension TrainingRun {
    /// One epoch of updates: the epoch's shuffle, then one data-parallel update per full
    /// minibatch from `schedule.firstBatch` on. A stop request (Ctrl-C, SIGTERM) after an
    /// update writes a checkpoint of that exact state and ends the run.
    func trainEpoch(_ schedule: EpochSchedule, _ session: TrainingSession) throws(TrainingError) -> EpochTiming {
        let epochStart = monotonicSeconds()
        let train = session.splits.train
        let batchSize = config.training.batchSize
        let order = shuffledOrder(count: train.count, seed: config.training.seed, epoch: schedule.epoch)
        for batchIndex in schedule.firstBatch..<session.batchesPerEpoch {
            let start = batchIndex * batchSize
            let batch = DatasetMinibatch(dataset: train, order: order[start..<(start + batchSize)],
                                         binarization: config.data.binarization, epoch: schedule.epoch,
                                         seed: config.training.seed)
            session.trainer.update(batch: batch, hyperparameters: schedule.hyperparameters)
            afterBatch(schedule.epoch, batchIndex + 1)
            if let signal = stopRequest() {
                progress.clear()
                try checkFinite(session.trainer.model.isFinite, schedule)
                try writeCheckpoint(session, schedule, epochsDone: schedule.epoch, batchesDone: batchIndex + 1)
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
        if let evaluationSet = session.evaluationSet, evaluationDue(after: schedule.epoch) {
            progress.update("evaluating on \(config.evaluation.split.rawValue) (\(evaluationSet.rows) samples)…", force: true)
            let report: EvaluationReport
            do {
                report = try ModelEvaluation.evaluate(
                    model: model, split: config.evaluation.split.rawValue, visible: evaluationSet.values,
                    rows: evaluationSet.rows, baseMarginals: session.baseMarginals,
                    options: config.evaluationOptions(workers: workers))
            } catch {
                throw .evaluation("\(error)")
            }
            metrics.pseudoLikelihood = report.pseudoLikelihood
            metrics.logPartitionFunction = report.logPartitionFunction
            metrics.logLikelihood = report.averageLogLikelihood
            metrics.logLikelihoodLower = report.averageLogLikelihoodLower
            metrics.logLikelihoodUpper = report.averageLogLikelihoodUpper
        }
        return metrics
    }
}

/// When an epoch started (`monotonicSeconds`) and how long its updates took.
struct EpochTiming {
    var started: Double
    var trainingSeconds: Double
}
