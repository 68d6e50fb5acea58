import RBM
import RBMData
import RBMStore
import RBMSystem

extension TrainingRun {
    /// Writes the trainer's state to the run folder's checkpoint (atomically): `epochsDone`
    /// complete epochs and `batchesDone` minibatches of the next.
    func writeCheckpoint(_ session: TrainingSession, _ schedule: EpochSchedule, epochsDone: Int,
                         batchesDone: Int) throws(TrainingError) {
        let state = session.trainer.state  // collective under several ranks
        guard ranks.isRoot else { return }
        let checkpoint = Checkpoint(
            state: state, sampler: config.training.sampler, config: ConfigLoader.render(config),
            seed: config.training.seed, epoch: epochsDone, batchInEpoch: batchesDone,
            learningRate: schedule.learningRate, momentum: schedule.momentum,
            history: EpochMetrics.history(session.history), createdBy: rbmVersion,
            imageShape: session.splits.train.imageShape.map { [$0.rows, $0.columns] },
            standardization: session.standardization,
            inverseTemperatures: config.training.sampler == .parallelTempering ? config.inverseTemperatures : nil)
        do { try checkpoint.write(to: checkpointPath) } catch { throw .store(error) }
    }

    /// What a run leaves besides its checkpoint, as the config asks: features.h5, then the
    /// pictures and report.
    func finish(_ session: TrainingSession) throws(TrainingError) {
        let state = session.trainer.state  // collective under several ranks
        let model = state.model
        // Every rank computes its share of the features; rank 0 writes them, and the pictures.
        if config.output.features { try writeFeatures(model: model, splits: session.splits, workers: session.workers) }
        if config.output.pictures && ranks.isRoot { try writePicturesAndReport(session, state: state) }
    }

    /// P(h = 1 | v) of every split, with v the pixel intensities (thresholded for `threshold`
    /// binarization), written to the run folder's features.h5.
    func writeFeatures(model: RBMModel, splits: DatasetSplits, workers: Int) throws(TrainingError) {
        let threshold = config.data.binarization == .threshold
        let sources: [any FeatureSplitSource] = splits.named.map { RowSourceSplit(name: $0.name, source: $0.dataset, threshold: threshold) }
        do {
            let digest = ranks.isRoot && folder.hasCheckpoint ? try SHA256.hex(ofFile: checkpointPath) : ""
            var provenance = FeatureFileWriter.Provenance(
                createdBy: rbmVersion, checkpointPath: checkpointPath, checkpointSHA256: digest,
                hiddenCount: model.hiddenCount, dataset: config.data.path)
            provenance.inputCheckpoint = splits.inputCheckpoint
            provenance.inputCheckpointSHA256 = splits.inputCheckpointSHA256
            try FeatureExtraction.write(
                model: model, splits: sources, to: folder.features, provenance: provenance,
                workers: workers, ranks: ranks) { name, done, total in
                    progress.update("features: \(name) \(done)/\(total)")
                }
            progress.clear()
            log("features: \(folder.features) (\(sources.map { "\($0.name) \($0.count)" }.joined(separator: ", ")))")
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .features("\(error)")
        }
    }

    /// filters.png, reconstructions.png, samples.png, curves.svg and report.html.
    func writePicturesAndReport(_ session: TrainingSession, state: TrainerState) throws(TrainingError) {
        progress.update("pictures: 1,000 Gibbs steps for the samples…", force: true)
        let model = state.model
        let splits = session.splits
        let binarization = config.data.binarization
        let seed = config.training.seed
        let shown: Dataset
        let chainStart: [Float]
        let chainCount = min(100, config.training.batchSize, splits.train.count)
        do {
            shown = try (splits.test ?? splits.validation ?? splits.train).firstRows(20)
            // The chains hold u = v/σ with learned variances.
            chainStart = try state.chainVisible.map { model.dataCoordinates(Array($0.prefix(chainCount * model.visibleCount)), rows: chainCount) }
                ?? binarization.evaluationValues(of: splits.train.firstRows(chainCount), seed: seed)
        } catch {
            throw .pictures("\(error)")
        }
        var inputs = RunReport.Inputs(
            model: model, images: binarization.evaluationValues(of: shown, seed: seed), imageCount: shown.count,
            chainStart: chainStart, chainCount: chainCount, shape: splits.train.imageShape, seed: seed,
            workers: session.workers)
        inputs.standardization = session.standardization
        do {
            let pictures = try RunReport.writePictures(inputs, to: runFolder)
            try RunReport.writeReport(folder: runFolder, title: "RBM run \(config.output.name)",
                                      configYAML: ConfigLoader.render(config), history: session.history, pictures: pictures)
            progress.clear()
            log("pictures: \(pictures.joined(separator: ", ")), \(RunReport.curvesFile), \(RunReport.reportFile)")
        } catch {
            throw .pictures("\(error)")
        }
    }

    /// Ends the run as diverged unless `isFinite` (the last good checkpoint stays).
    func checkFinite(_ isFinite: Bool, _ schedule: EpochSchedule) throws(TrainingError) {
        guard isFinite else {
            progress.clear()
            throw .diverged(epoch: schedule.epoch + 1, learningRate: schedule.learningRate)
        }
    }

    /// True after every `evaluation.every`-th epoch and after the last.
    func evaluationDue(after epoch: Int) -> Bool {
        let every = config.evaluation.every
        return every > 0 && ((epoch + 1) % every == 0 || epoch + 1 == config.training.epochs)
    }

    func progressText(_ schedule: EpochSchedule, batch: Int, of batches: Int, epochStart: Double,
                      runStart: Double) -> String {
        let now = monotonicSeconds()
        let epochs = config.training.epochs
        let fraction = (Double(schedule.epoch) + Double(batch) / Double(batches)) / Double(epochs)
        let speed = Double(batch * config.training.batchSize) / max(now - epochStart, 1e-9)
        let elapsed = now - runStart
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        return "epoch \(schedule.epoch + 1)/\(epochs) \(format(100 * fraction, 1))%  "
            + "\(groupedThousands(speed)) samples/s  ETA \(formatDuration(eta))"
    }
}

extension DatasetSplits {
    /// The splits present, named train, validation and test, in that order.
    public var named: [(name: String, dataset: any RowSource)] {
        [("train", train)] + (validation.map { [("validation", $0)] } ?? []) + (test.map { [("test", $0)] } ?? [])
    }
}
