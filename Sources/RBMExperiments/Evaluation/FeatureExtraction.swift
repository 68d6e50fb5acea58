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
    /// Under several `ranks` each computes a contiguous range of the chunks and every rank
    /// receives all rows (the same GEMM calls as one process, so the same bits).
    /// With learned variances, P(h = 1 | v) = σ(c + (v/σ)ᵀW).
    public static func hiddenProbabilities(model: RBMModel, values givenValues: [Float], rows: Int, workers: Int,
                                           ranks: any RankGroup = SingleProcess()) -> [Float] {
        let values = model.unitVarianceCoordinates(givenValues, rows: rows)
        var output = [Float](repeating: 0, count: rows * model.hiddenCount)
        let chunk = 256
        let chunks = (rows + chunk - 1) / chunk
        let pieces = (0..<ranks.size).map { evenPiece(of: chunks, parts: ranks.size, index: $0) }
        let mine = pieces[ranks.rank]
        output.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { input in
                model.weights.withUnsafeBufferPointer { weights in
                    let transfer = UnsafeTransfer((out.baseAddress!, input.baseAddress!, weights.baseAddress!, model))
                    BLAS.useSingleThread()
                    DataParallel.forEach(items: mine.count, workers: workers) { index in
                        let (out, input, weights, model) = transfer.value
                        let start = (mine.lowerBound + index) * chunk
                        let n = min(chunk, rows - start)
                        RBMKernels.hiddenProbabilities(
                            visible: input + start * model.visibleCount, rows: n, weights: weights,
                            hiddenBias: model.hiddenBias, visibleCount: model.visibleCount,
                            hiddenCount: model.hiddenCount, into: out + start * model.hiddenCount)
                    }
                }
            }
            if ranks.size > 1 {
                let width = model.hiddenCount
                // A rank may have no chunk of a short block: its range is then empty.
                let rowRanges = pieces.map { min(rows, $0.lowerBound * chunk)..<min(rows, $0.upperBound * chunk) }
                ranks.allGather(out.baseAddress!, counts: rowRanges.map { $0.count * width },
                                offsets: rowRanges.map { $0.lowerBound * width })
            }
        }
        return output
    }

    /// Computes and writes the features of every split; the file appears at `path` only when
    /// all of them are written. Under several `ranks` (every rank calls this, each reading the
    /// same splits) the rows of each block are split between them and rank 0 writes.
    public static func write(
        model: RBMModel, splits: [any FeatureSplitSource], to path: String,
        provenance: FeatureFileWriter.Provenance, workers: Int, ranks: any RankGroup = SingleProcess(),
        progress: (String, Int, Int) -> Void = { _, _, _ in }
    ) throws {
        for split in splits where split.featureCount != model.visibleCount {
            throw FeatureError.visibleMismatch(source: split.sourceDescription, dataFeatures: split.featureCount,
                                               modelVisible: model.visibleCount)
        }
        // Room for the features uncompressed (gzip only makes them smaller) and the labels, and
        // 1 MB for HDF5's own structures: a full disk is said before anything is written.
        let upperBound = splits.reduce(1 << 20) { $0 + $1.count * (model.hiddenCount + 1) * 4 }
        if ranks.isRoot { try AtomicFile.checkFreeSpace(for: path, bytes: upperBound) }
        let writer = ranks.isRoot ? try FeatureFileWriter(path: path, provenance: provenance) : nil
        for split in splits {
            try writer?.beginSplit(split.name, rows: split.count, hiddenCount: model.hiddenCount, hasLabels: split.hasLabels)
            var offset = 0
            while let block = try split.next(maximum: blockRows) {
                let rows = block.values.count / split.featureCount
                let features = hiddenProbabilities(model: model, values: block.values, rows: rows, workers: workers, ranks: ranks)
                try writer?.writeRows(split: split.name, offset: offset, rows: rows, features: features, labels: block.labels)
                offset += rows
                progress(split.name, offset, split.count)
            }
        }
        try writer?.finish()
    }
}
