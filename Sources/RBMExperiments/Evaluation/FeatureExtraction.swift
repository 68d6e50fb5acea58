import RBM
import RBMData
import RBMStore
import RBMSystem

/// Writes hidden features P(h = 1 | v) of one or more splits to an HDF5 feature file, a block
/// of rows at a time (memory stays bounded), each block computed in parallel over chunks.
public enum FeatureExtraction {
    /// Rows read, computed and written together.
    public static let blockRows = 4096

    /// P(h = 1 | v) for `rows` visible vectors, computed over chunks of 256 rows on `workers`.
    public static func hiddenProbabilities(model: RBMModel, values: [Float], rows: Int, workers: Int) -> [Float] {
        var output = [Float](repeating: 0, count: rows * model.hiddenCount)
        output.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { input in
                model.weights.withUnsafeBufferPointer { weights in
                    let transfer = UnsafeTransfer((out.baseAddress!, input.baseAddress!, weights.baseAddress!, model))
                    let chunk = 256
                    let chunks = (rows + chunk - 1) / chunk
                    BLAS.useSingleThread()
                    DataParallel.forEach(items: chunks, workers: workers) { index in
                        let (out, input, weights, model) = transfer.value
                        let start = index * chunk
                        let n = min(chunk, rows - start)
                        RBMKernels.hiddenProbabilities(
                            visible: input + start * model.visibleCount, rows: n, weights: weights,
                            hiddenBias: model.hiddenBias, visibleCount: model.visibleCount,
                            hiddenCount: model.hiddenCount, into: out + start * model.hiddenCount)
                    }
                }
            }
        }
        return output
    }

    /// Computes and writes the features of every split; the file appears at `path` only when
    /// all of them are written.
    public static func write(
        model: RBMModel, splits: [any FeatureSplitSource], to path: String,
        provenance: FeatureFileWriter.Provenance, workers: Int,
        progress: (String, Int, Int) -> Void = { _, _, _ in }
    ) throws {
        for split in splits where split.featureCount != model.visibleCount {
            throw FeatureError.visibleMismatch(source: split.sourceDescription, dataFeatures: split.featureCount,
                                               modelVisible: model.visibleCount)
        }
        // Room for the features uncompressed (gzip only makes them smaller) and the labels, and
        // 1 MB for HDF5's own structures: a full disk is said before anything is written.
        let upperBound = splits.reduce(1 << 20) { $0 + $1.count * (model.hiddenCount + 1) * 4 }
        try AtomicFile.checkFreeSpace(for: path, bytes: upperBound)
        let writer = try FeatureFileWriter(path: path, provenance: provenance)
        for split in splits {
            try writer.beginSplit(split.name, rows: split.count, hiddenCount: model.hiddenCount, hasLabels: split.hasLabels)
            var offset = 0
            while let block = try split.next(maximum: blockRows) {
                let rows = block.values.count / split.featureCount
                let features = hiddenProbabilities(model: model, values: block.values, rows: rows, workers: workers)
                try writer.writeRows(split: split.name, offset: offset, rows: rows, features: features, labels: block.labels)
                offset += rows
                progress(split.name, offset, split.count)
            }
        }
        try writer.finish()
    }
}
