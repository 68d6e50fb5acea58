#if canImport(Glibc)
import Glibc
#endif

/// Reads an IDX folder in the MNIST layout: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each plain or with `.gz`.
public enum IDXFolder {
    /// The training file, split into train and validation (its last `validationCount`
    /// samples), and the test file when the folder has one. Every split present is read and
    /// checked the same way, and must have the training split's sample shape: a damaged test
    /// file is an error before training, not a split dropped in silence. What is absent by
    /// design (no test file, no label file) is said in `notes`.
    public static func load(folder: String, validationCount: Int) throws -> DatasetSplits {
        var notes: [String] = []
        let train = try loadPair(folder: folder, prefix: "train", notes: &notes)
        var test: Dataset?
        if (try? locate(folder: folder, name: "t10k-images-idx3-ubyte")) != nil {
            let loaded = try loadPair(folder: folder, prefix: "t10k", notes: &notes)
            guard loaded.featureCount == train.featureCount else {
                throw DataError.badDimensions(
                    path: loaded.source,
                    detail: "test samples have \(describeShape(loaded)) but training samples have \(describeShape(train)) (\(train.source))")
            }
            test = loaded
        } else {
            notes.append("\(folder): no test split (no t10k-images-idx3-ubyte[.gz]); evaluation and features use train and validation")
        }
        guard validationCount >= 0, validationCount < train.count else {
            throw DataError.notEnoughData(
                detail: "\(folder): a validation split of \(validationCount) leaves no training data (the training set has \(train.count) samples)")
        }
        if validationCount == 0 {
            return DatasetSplits(train: train, validation: nil, test: test, notes: notes)
        }
        // The literature's convention: the last samples of the training file validate.
        let cut = train.count - validationCount
        var trainPart = train.slice(0..<cut)
        trainPart.source = train.source
        return DatasetSplits(train: trainPart, validation: train.slice(cut..<train.count), test: test, notes: notes)
    }

    /// "784 values (28×28)" or "36 values".
    static func describeShape(_ dataset: Dataset) -> String {
        "\(dataset.featureCount) values" + (dataset.imageShape.map { " (\($0.rows)×\($0.columns))" } ?? "")
    }

    /// Images and labels of one split, checked against each other; a missing label file is
    /// said in `notes`.
    public static func loadPair(folder: String, prefix: String, notes: inout [String]) throws -> Dataset {
        let dataset = try loadPair(folder: folder, prefix: prefix)
        if dataset.labels == nil {
            notes.append("\(folder): no \(prefix)-labels-idx1-ubyte[.gz]; the \(prefix == "t10k" ? "test" : "training") samples have no labels (features.h5 carries none for them)")
        }
        return dataset
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
