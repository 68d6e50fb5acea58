import RBM
import RBMData
import RBMStore
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

extension Benchmark {
    /// One way of feeding the trainer, measured.
    public struct SourceRow: Sendable {
        public var label: String
        public var loadSeconds: Double
        public var samplesPerSecond: Double
    }

    /// `rbm bench --formats`: the same training data (the IDX folder's training file, or
    /// synthetic images) fed to CD-1 updates from memory, from HDF5 files (contiguous, and
    /// chunked with gzip), from a mapped .npy (float32, and bytes with scale 255) and streamed
    /// in blocks from the .npy; samples/s of each, best of `repetitions` rounds, and the ratio to
    /// memory.
    public func measureSources(folder: String, workers: Int, progress: (String) -> Void) throws -> [SourceRow] {
        try writeFormats(to: folder)
        var variants: [(String, ExperimentConfig.Data)] = []
        func data(_ file: String, _ change: (inout ExperimentConfig.Data) -> Void = { _ in }) -> ExperimentConfig.Data {
            var data = ExperimentConfig.Data()
            data.path = folder + "/" + file
            data.validation = 0
            change(&data)
            return data
        }
        variants.append(("HDF5, contiguous float32", data("contiguous.h5")))
        variants.append(("HDF5, chunked + gzip float32", data("gzip.h5")))
        variants.append((".npy float32, mapped", data("data.npy")))
        variants.append((".npy uint8 (scale 255), mapped", data("bytes.npy") { $0.scale = 255 }))
        variants.append((".npy uint8, streamed (block_rows 10000)", data("bytes.npy") { $0.scale = 255; $0.blockRows = 10_000 }))
        var sources: [(label: String, source: any RowSource, blockRows: Int, loadSeconds: Double)] = [
            ("in memory (IDX loaded)", self.data, 0, 0),
        ]
        for (label, data) in variants {
            let start = monotonicSeconds()
            let train = try DataLoader.load(data).train
            _ = try DataScan.marginals(of: train, binarization: .stochastic)
            sources.append((label, train, data.blockRows, monotonicSeconds() - start))
        }
        // Round robin: every source once per round, best of the rounds, so that the machine's
        // drift (shared cores, clocks) falls on all of them alike.
        var best = [Double](repeating: 0, count: sources.count)
        for round in 1...max(repetitions, 1) {
            for (index, entry) in sources.enumerated() {
                best[index] = max(best[index], speed(source: entry.source, blockRows: entry.blockRows, workers: workers))
            }
            progress("round \(round): " + zip(sources, best).map { "\($0.0.label) \(format($0.1, 0))" }.joined(separator: "; "))
        }
        return zip(sources, best).map { SourceRow(label: $0.0.label, loadSeconds: $0.0.loadSeconds, samplesPerSecond: $0.1) }
    }

    /// CD-1 updates fed as training feeds them (`EpochBatches`): samples/s over `updates`.
    func speed(source: any RowSource, blockRows: Int, workers: Int) -> Double {
        let model = RBMModel.initialized(visibleCount: visibleCount, hiddenCount: hiddenCount, seed: 1,
                                             visibleMarginals: data.featureMeans)
        let trainer = DataParallelTrainer(model: model, configuration: TrainerConfiguration(
            batchSize: batchSize, shards: shards, workers: workers, sampler: .contrastiveDivergence, gibbsSteps: 1,
            weightDecay: 1e-4, seed: 1))
        var config = ExperimentConfig()
        config.training.batchSize = batchSize
        config.data.blockRows = blockRows
        let batches = EpochBatches(source, config: config, epoch: 0)
        let perEpoch = source.count / batchSize
        let hyper = UpdateHyperparameters(learningRate: 0.01, momentum: 0.5)
        func update(_ index: Int) {
            // A streamed epoch is read in order: wrap around by starting it again.
            switch try? batches.minibatch(index % perEpoch) {
            case let .whole(batch)?: trainer.update(batch: batch, hyperparameters: hyper)
            case let .streamed(batch)?: trainer.update(batch: batch, hyperparameters: hyper)
            case nil: break
            }
        }
        for index in 0..<20 { update(index) }
        let start = monotonicSeconds()
        for index in 20..<(20 + updates) { update(index) }
        return Double(updates * batchSize) / (monotonicSeconds() - start)
    }

    /// The training data as .npy (float32 and bytes) and HDF5 (contiguous and chunked gzip).
    func writeFormats(to folder: String) throws {
        try makeWritableFolder(folder)
        let values = data.values, rows = data.count, columns = data.featureCount
        try writeNPY(folder + "/data.npy", descr: "<f4", shape: [rows, columns], bytes: values.withUnsafeBytes { Array($0) })
        try writeNPY(folder + "/bytes.npy", descr: "|u1", shape: [rows, columns], bytes: values.map { UInt8(($0 * 255).rounded()) })
        for (name, storage) in [("contiguous.h5", HDF5File.Storage.contiguous), ("gzip.h5", .init(chunkRows: 1024, gzipLevel: 4))] {
            let file = try HDF5File.create(path: folder + "/" + name)
            try file.write("/train", floats: values, shape: [rows, columns], storage: storage)
            try file.flush()
        }
    }

    func writeNPY(_ path: String, descr: String, shape: [Int], bytes: [UInt8]) throws {
        try AtomicFile.write(HDF5File.npyHeader(descr: descr, shape: shape) + bytes, to: path)
    }

    /// The results as a Markdown table.
    public static func sourceTable(_ rows: [SourceRow]) -> String {
        let memory = rows.first?.samplesPerSecond ?? .nan
        return (["| data | loaded and checked in | samples/s | of in-memory |", "|---|---:|---:|---:|"] + rows.map { row in
            "| \(row.label) | \(format(row.loadSeconds, 2)) s | \(format(row.samplesPerSecond, 0)) | \(format(100 * row.samplesPerSecond / memory, 1))% |"
        }).joined(separator: "\n")
    }
}
