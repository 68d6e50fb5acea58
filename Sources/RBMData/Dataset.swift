/// Rows of visible values in [0, 1] (n_samples × n_features, row-major float32), with
/// optional integer labels and the shape of one sample when it is an image.
public struct Dataset: Sendable {
    public var values: [Float]
    public var count: Int
    public var featureCount: Int
    public var labels: [Int32]?
    /// (rows, columns) of one sample when the data are images, for pictures of filters.
    public var imageShape: (rows: Int, columns: Int)?
    /// Where the data came from, for messages and provenance.
    public var source: String

    public init(values: [Float], count: Int, featureCount: Int, labels: [Int32]? = nil,
                imageShape: (rows: Int, columns: Int)? = nil, source: String) {
        precondition(values.count == count * featureCount)
        precondition(labels == nil || labels!.count == count)
        self.values = values
        self.count = count
        self.featureCount = featureCount
        self.labels = labels
        self.imageShape = imageShape
        self.source = source
    }

    /// Samples `range` as a new dataset (e.g. the last 10,000 as a validation split).
    public func slice(_ range: Range<Int>) -> Dataset {
        Dataset(values: Array(values[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)]),
                count: range.count, featureCount: featureCount,
                labels: labels.map { Array($0[range]) }, imageShape: imageShape,
                source: "\(source)[\(range.lowerBound)..<\(range.upperBound)]")
    }

    /// The first `n` samples (or all of them when there are fewer).
    public func prefix(_ n: Int) -> Dataset { slice(0..<min(n, count)) }

    /// The mean of each feature over all samples: the visible marginals p_i.
    public var featureMeans: [Float] {
        var sums = [Double](repeating: 0, count: featureCount)
        for sample in 0..<count {
            let base = sample * featureCount
            for i in 0..<featureCount { sums[i] += Double(values[base + i]) }
        }
        return sums.map { Float($0 / Double(max(count, 1))) }
    }
}

/// The splits of a data set: train, and validation and test when there are any. Each is a
/// `RowSource` (in memory, or a file read on demand).
public struct DatasetSplits: Sendable {
    public var train: any RowSource
    public var validation: (any RowSource)?
    public var test: (any RowSource)?
    /// What the source lacks by design (no test split, no labels), to be said once.
    public var notes: [String]
    /// When the data are another RBM's features: the checkpoint that made them and its
    /// SHA-256, for the provenance of what is trained on them.
    public var inputCheckpoint: String?
    public var inputCheckpointSHA256: String?

    public init(train: any RowSource, validation: (any RowSource)?, test: (any RowSource)?, notes: [String] = []) {
        self.train = train
        self.validation = validation
        self.test = test
        self.notes = notes
    }
}
