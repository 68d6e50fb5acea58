import RBM
import RBMCluster
import RBMData
import RBMStore
import RBMSystem

extension FeatureExtraction {
    /// `rbm features CHECKPOINT --data D`: P(h=1|v) of every split of `data` (a config: its
    /// train, validation and test splits; an IDX folder: the whole training file and the test
    /// file), streamed a block at a time, written to `out` (default: features.h5 beside the
    /// checkpoint). Returns the file written. Under `mpirun`, rank 0 reads the checkpoint and
    /// sends it to the others, every rank reads the data and computes its share of each block's
    /// rows, and rank 0 writes the file.
    @discardableResult
    public static func extract(checkpoint path: String, data: String, out: String?, workers: Int?,
                               log givenLog: @escaping (String) -> Void = { print($0) }) throws -> String {
        let ranks = Cluster.world()
        let log: (String) -> Void = { line in if ranks.isRoot { givenLog(line) } }
        let saved = try Checkpoint.readChecked(path: try ranks.localCopy(of: path))
        let trained = (try? ConfigLoader.parse(saved.config, file: path))?.data ?? ExperimentConfig.Data()
        let chosen = try ExperimentConfig.Data.named(data, replacing: trained, wholeTrainingFile: true)
        let threshold = chosen.binarization == .threshold
        var provenance = FeatureFileWriter.Provenance(createdBy: rbmVersion, checkpointPath: path,
                                                      checkpointSHA256: ranks.isRoot ? try SHA256.hex(ofFile: path) : "",
                                                      hiddenCount: saved.model.hiddenCount, dataset: chosen.path)
        let splits: [any FeatureSplitSource]
        if DataLoader.format(of: chosen) == .idx && saved.model.visibleUnits.isBinary {
            // IDX files are streamed from the (gzip) file itself: memory stays at one block.
            splits = try streamedSplits(folder: chosen.path, validation: chosen.validation, trainSamples: chosen.trainSamples,
                                        threshold: threshold)
        } else {
            let loaded = DataLoader.limitTraining(try DataLoader.load(chosen, for: saved), chosen)
            splits = loaded.named.map { RowSourceSplit(name: $0.name, source: $0.dataset, threshold: threshold) }
            provenance.inputCheckpoint = loaded.inputCheckpoint
            provenance.inputCheckpointSHA256 = loaded.inputCheckpointSHA256
        }
        let output = out ?? RunFolder(holding: path).features
        let progress = ProgressLine(enabled: ranks.isRoot && standardErrorIsTerminal)
        try write(model: saved.model, splits: splits, to: output, provenance: provenance,
                  workers: DataParallel.workers(workers), ranks: ranks) { name, done, count in
            progress.update("\(name): \(done)/\(count) samples")
        }
        progress.clear()
        log("wrote \(output): " + splits.map { "\($0.name) \($0.count)×\(saved.model.hiddenCount)" }.joined(separator: ", ")
            + (chosen.trainSamples > 0 ? " (train: the first \(splits.first?.count ?? 0) training rows, data.train_samples)" : ""))
        return output
    }

    /// The splits of an IDX folder as streams: train (less the last `validation` rows, cut to
    /// the first `trainSamples` when not 0, as training does), validation (those last rows)
    /// when asked for, and test when the folder has a test file.
    static func streamedSplits(folder: String, validation: Int, trainSamples: Int = 0, threshold: Bool) throws -> [any FeatureSplitSource] {
        let imagesPath = try IDXFolder.locate(folder: folder, name: "train-images-idx3-ubyte")
        let total = try IDXRowReader(path: imagesPath).count
        guard validation < total else {
            throw DataError.notEnoughData(detail: "\(folder): a validation split of \(validation) leaves no training data")
        }
        var splits: [any FeatureSplitSource] = [
            try IDXSplitStream(name: "train", folder: folder, prefix: "train",
                               rows: 0..<(trainSamples > 0 ? min(trainSamples, total - validation) : total - validation), threshold: threshold),
        ]
        if validation > 0 {
            splits.append(try IDXSplitStream(name: "validation", folder: folder, prefix: "train",
                                             rows: (total - validation)..<total, threshold: threshold))
        }
        if (try? IDXFolder.locate(folder: folder, name: "t10k-images-idx3-ubyte")) != nil {
            splits.append(try IDXSplitStream(name: "test", folder: folder, prefix: "t10k", rows: nil, threshold: threshold))
        }
        return splits
    }
}
