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

/// The splits of a labelled image collection such as MNIST.
public struct DatasetSplits: Sendable {
    public var train: Dataset
    public var validation: Dataset?
    public var test: Dataset?
}

/// Reads an IDX folder in the MNIST layout: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each plain or with `.gz`.
public enum IDXFolder {
    public static func load(folder: String, validationCount: Int) throws -> DatasetSplits {
        let train = try loadPair(folder: folder, prefix: "train")
        let test = try? loadPair(folder: folder, prefix: "t10k")
        guard validationCount >= 0, validationCount < train.count else {
            throw DataError.notEnoughData(
                detail: "\(folder): a validation split of \(validationCount) leaves no training data (the training set has \(train.count) samples)")
        }
        if validationCount == 0 {
            return DatasetSplits(train: train, validation: nil, test: test)
        }
        // The literature's convention: the last samples of the training file validate.
        let cut = train.count - validationCount
        var trainPart = train.slice(0..<cut)
        trainPart.source = train.source
        return DatasetSplits(train: trainPart, validation: train.slice(cut..<train.count), test: test)
    }

    /// Images and labels of one split, checked against each other.
    public static func loadPair(folder: String, prefix: String) throws -> Dataset {
        let imagePath = try locate(folder: folder, name: "\(prefix)-images-idx3-ubyte")
        let images = try IDXArray.read(path: imagePath)
        guard images.dimensions.count >= 2 else {
            throw DataError.badDimensions(path: imagePath,
                                          detail: "expected samples × features (or × rows × columns), found \(images.dimensions)")
        }
        let count = images.dimensions[0]
        let featureCount = images.dimensions.dropFirst().reduce(1, *)
        var labels: [Int32]?
        if let labelPath = try? locate(folder: folder, name: "\(prefix)-labels-idx1-ubyte") {
            let labelArray = try IDXArray.read(path: labelPath)
            guard labelArray.dimensions.count == 1 else {
                throw DataError.badDimensions(path: labelPath,
                                              detail: "labels must be one-dimensional, found \(labelArray.dimensions)")
            }
            guard labelArray.dimensions[0] == count else {
                throw DataError.countMismatch(images: imagePath, labels: labelPath, imageCount: count,
                                              labelCount: labelArray.dimensions[0])
            }
            labels = labelArray.bytes.map { Int32($0) }
        }
        let values = images.bytes.map { Float($0) / 255 }
        let shape = images.dimensions.count == 3 ? (images.dimensions[1], images.dimensions[2]) : nil
        return Dataset(values: values, count: count, featureCount: featureCount, labels: labels,
                       imageShape: shape.map { (rows: $0.0, columns: $0.1) }, source: imagePath)
    }

    public static func locate(folder: String, name: String) throws(DataError) -> String {
        for candidate in [name + ".gz", name] {
            let path = folder.hasSuffix("/") ? folder + candidate : folder + "/" + candidate
            if access(path, R_OK) == 0 { return path }
        }
        throw DataError.missingFile(folder: folder, names: [name + ".gz", name])
    }
}

#if canImport(Glibc)
import Glibc
#endif
