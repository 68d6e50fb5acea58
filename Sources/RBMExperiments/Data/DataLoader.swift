import RBM
import RBMData
import RBMStore
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// Opens the data a config names, whatever their format, as splits of rows (`RowSource`s):
/// IDX folders (in memory), HDF5 files (each dataset copied to a `.npy` by a child process —
/// libhdf5 may crash on damaged files — then mapped), `.npy` and `.npz` files (mapped) and CSV
/// files (in memory). Nothing is checked here beyond shapes and counts: `DataScan` checks the
/// values.
public enum DataLoader {
    /// The splits of `data`: train, validation (from the file, or the last `data.validation`
    /// training rows) and test, with what the source lacks said in `notes`.
    public static func load(_ data: ExperimentConfig.Data) throws -> DatasetSplits {
        var splits: DatasetSplits
        switch format(of: data) {
        case .idx, .auto:
            splits = try IDXFolder.load(folder: data.path, validationCount: 0)
        case .npy:
            splits = try npySplits(data)
        case .npz:
            splits = try npzSplits(data)
        case .csv:
            splits = try csvSplits(data)
        case .hdf5:
            splits = try hdf5Splits(data)
        }
        return try holdOutValidation(splits, data)
    }

    /// The training split cut to its first `data.train_samples` rows (0: all): what training
    /// trains on and what `rbm features` writes as the train split, so that the two agree.
    public static func limitTraining(_ splits: DatasetSplits, _ data: ExperimentConfig.Data) -> DatasetSplits {
        guard data.trainSamples > 0 && data.trainSamples < splits.train.count else { return splits }
        var splits = splits
        splits.train = TrainingRows(base: splits.train, count: data.trainSamples)
        return splits
    }

    /// The format `data.format` names, or the one the path says.
    public static func format(of data: ExperimentConfig.Data) -> ExperimentConfig.DataFormat {
        if data.format != .auto { return data.format }
        let lower = data.path.lowercased()
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") || lower.hasSuffix(".he5") { return .hdf5 }
        if lower.hasSuffix(".npy") { return .npy }
        if lower.hasSuffix(".npz") { return .npz }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".csv.txt") { return .csv }
        return .idx
    }

    /// The last `data.validation` training rows become the validation split (the literature's
    /// convention for MNIST), unless the file has a validation split of its own.
    static func holdOutValidation(_ splits: DatasetSplits, _ data: ExperimentConfig.Data) throws -> DatasetSplits {
        var splits = splits
        let count = splits.train.count
        guard data.validation > 0 else { return splits }
        guard splits.validation == nil else {
            throw DataError.notEnoughData(detail: "\(data.path) has a validation split of its own: set data.validation to 0 (it holds out training rows)")
        }
        guard data.validation < count else {
            throw DataError.notEnoughData(
                detail: "\(data.path): a validation split of \(data.validation) leaves no training data (the training set has \(count) samples)")
        }
        let cut = count - data.validation
        splits.validation = splits.train.rows(cut..<count)
        splits.train = TrainingRows(base: splits.train, count: cut)
        return splits
    }

    static func imageShape(_ data: ExperimentConfig.Data, fallback: [Int]? = nil) -> (rows: Int, columns: Int)? {
        let shape = data.imageShape.count == 2 ? data.imageShape : (fallback ?? [])
        return shape.count == 2 ? (shape[0], shape[1]) : nil
    }

    /// A path named in the config, relative to the data file's folder unless absolute.
    static func besideData(_ name: String, _ data: ExperimentConfig.Data) -> String {
        name.hasPrefix("/") ? name : parentFolder(of: data.path) + "/" + name
    }

    // MARK: NumPy

    static func npySplits(_ data: ExperimentConfig.Data) throws -> DatasetSplits {
        func split(_ path: String, labels: String) throws -> any RowSource {
            try NPYSource(values: NPYArray(path: path), labels: labels.isEmpty ? nil : NPYArray(path: besideData(labels, data)),
                          scale: Float(data.scale), imageShape: imageShape(data), source: path)
        }
        var notes: [String] = []
        if data.labelsKey.isEmpty { notes.append("\(data.path): no labels (data.labels_key names a .npy of them); features.h5 carries none") }
        return DatasetSplits(
            train: try split(data.path, labels: data.labelsKey),
            validation: data.validationKey.isEmpty ? nil : try split(besideData(data.validationKey, data), labels: data.validationLabelsKey),
            test: data.testKey.isEmpty ? nil : try split(besideData(data.testKey, data), labels: data.testLabelsKey),
            notes: notes + (data.testKey.isEmpty ? ["\(data.path): no test split (data.test_key names one)"] : []))
    }

    static func npzSplits(_ data: ExperimentConfig.Data) throws -> DatasetSplits {
        let archive = try NPZArchive(path: data.path)
        let names = archive.entries.keys.sorted()
        // One obvious layout: arrays named train, validation, test (with <split>_labels), or a
        // single 2-D array (with an array named labels).
        var trainKey = data.trainKey
        if trainKey.isEmpty {
            if names.contains("train") { trainKey = "train" } else if names.count == 1 || (names.count == 2 && names.contains("labels")) {
                trainKey = names.first { $0 != "labels" }!
            } else {
                throw DataError.badHeader(path: data.path, detail: "name the training array with data.train_key (it has \(names.joined(separator: ", ")))")
            }
        }
        func key(_ given: String, _ conventional: String) -> String? {
            !given.isEmpty ? given : (names.contains(conventional) ? conventional : nil)
        }
        func split(_ name: String, labels: String?) throws -> any RowSource {
            try NPYSource(values: archive.array(name), labels: try labels.map { try archive.array($0) }, scale: Float(data.scale),
                          imageShape: imageShape(data), source: "\(data.path):\(name)")
        }
        let trainLabels = key(data.labelsKey, trainKey == "train" ? "train_labels" : "labels")
        let validation = key(data.validationKey, "validation")
        let test = key(data.testKey, "test")
        var notes: [String] = []
        if trainLabels == nil { notes.append("\(data.path): no labels for \(trainKey) (data.labels_key names an array of them)") }
        if test == nil { notes.append("\(data.path): no test split (no array named test)") }
        return DatasetSplits(
            train: try split(trainKey, labels: trainLabels),
            validation: try validation.map { try split($0, labels: key(data.validationLabelsKey, "validation_labels")) },
            test: try test.map { try split($0, labels: key(data.testLabelsKey, "test_labels")) }, notes: notes)
    }

    // MARK: CSV

    static func csvSplits(_ data: ExperimentConfig.Data) throws -> DatasetSplits {
        func split(_ path: String, labels: String) throws -> any RowSource {
            try CSVTable.read(path: path, header: data.csvHeader, labelColumn: labels, scale: Float(data.scale),
                              imageShape: imageShape(data))
        }
        let train = try split(data.path, labels: data.labelsKey)
        var notes: [String] = []
        if !train.hasLabels { notes.append("\(data.path): no label column (data.labels_key names one); features.h5 carries no labels") }
        if data.testKey.isEmpty { notes.append("\(data.path): no test split (data.test_key names a CSV file of one)") }
        return DatasetSplits(
            train: train,
            validation: data.validationKey.isEmpty ? nil : try split(besideData(data.validationKey, data), labels: data.validationLabelsKey.isEmpty ? data.labelsKey : data.validationLabelsKey),
            test: data.testKey.isEmpty ? nil : try split(besideData(data.testKey, data), labels: data.testLabelsKey.isEmpty ? data.labelsKey : data.testLabelsKey),
            notes: notes)
    }
}

/// The first `count` rows of a split, keeping its name (the training rows before a held-out
/// validation tail).
struct TrainingRows: DerivedRowSource {
    let base: any RowSource
    let count: Int

    func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        try base.copyRows(indices, into: destination)
    }
}

// MARK: HDF5

extension DataLoader {
    /// HDF5 data: the datasets `data.*_key` name, or the file's obvious layout (this project's
    /// feature files, `/<split>/features` with `/<split>/labels`; or a single 2-D dataset, with
    /// a 1-D `labels` dataset beside it). Each is copied by a child process to a `.npy` file in
    /// a private temporary folder, mapped, and unlinked at once (the mapping keeps the data; a
    /// data set of N bytes needs N bytes of temporary disk while the run lasts).
    static func hdf5Splits(_ data: ExperimentConfig.Data) throws -> DatasetSplits {
        let layout = try IsolatedRead.layout(path: data.path)
        let names = Set(layout.datasets.map(\.name))
        func normalized(_ key: String) -> String? { key.isEmpty ? nil : (key.hasPrefix("/") ? key : "/" + key) }
        func existing(_ name: String) -> String? { names.contains(name) ? name : nil }
        var keys: (train: String, labels: String?, validation: String?, validationLabels: String?, test: String?, testLabels: String?)
        if let train = normalized(data.trainKey) {
            keys = (train, normalized(data.labelsKey), normalized(data.validationKey), normalized(data.validationLabelsKey),
                    normalized(data.testKey), normalized(data.testLabelsKey))
        } else if names.contains("/train/features") {
            keys = ("/train/features", normalized(data.labelsKey) ?? existing("/train/labels"),
                    normalized(data.validationKey) ?? existing("/validation/features"),
                    normalized(data.validationLabelsKey) ?? existing("/validation/labels"),
                    normalized(data.testKey) ?? existing("/test/features"), normalized(data.testLabelsKey) ?? existing("/test/labels"))
        } else {
            let matrices = layout.datasets.filter { $0.shape.count == 2 }
            guard matrices.count == 1 else {
                let listing = layout.datasets.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
                throw DataError.badHeader(path: data.path, detail: matrices.isEmpty
                    ? "no 2-D dataset (samples × features) to train on" + (listing.isEmpty ? "" : "; it has \(listing)")
                    : "name the training dataset with data.train_key (2-D datasets: \(matrices.map(\.name).joined(separator: ", ")))")
            }
            keys = (matrices[0].name, normalized(data.labelsKey) ?? existing("/labels"), normalized(data.validationKey),
                    normalized(data.validationLabelsKey), normalized(data.testKey), normalized(data.testLabelsKey))
        }
        for name in [keys.train, keys.labels, keys.validation, keys.validationLabels, keys.test, keys.testLabels].compactMap({ $0 })
        where !names.contains(name) {
            throw DataError.missingArray(path: data.path, name: name, available: layout.datasets.map(\.name))
        }
        let folder = try makeTemporaryFolder()
        defer { rmdir(folder) }
        func mapped(_ name: String) throws -> NPYArray {
            let copy = folder + "/" + String(name.map { $0 == "/" ? "_" : $0 }) + ".npy"
            defer { unlink(copy) }
            do { try IsolatedRead.exportNPY(path: data.path, dataset: name, to: copy) } catch {
                unlink(copy)
                throw error
            }
            return try NPYArray(path: copy, name: "\(data.path):\(name)")
        }
        let shape = imageShape(data, fallback: layout.imageShape)
        func split(_ name: String, labels: String?) throws -> any RowSource {
            try NPYSource(values: mapped(name), labels: try labels.map(mapped), scale: Float(data.scale), imageShape: shape,
                          source: "\(data.path):\(name)")
        }
        var splits = DatasetSplits(
            train: try split(keys.train, labels: keys.labels),
            validation: try keys.validation.map { try split($0, labels: keys.validationLabels) },
            test: try keys.test.map { try split($0, labels: keys.testLabels) })
        if keys.labels == nil { splits.notes.append("\(data.path): no labels for \(keys.train); features.h5 carries none") }
        if keys.test == nil { splits.notes.append("\(data.path): no test split (data.test_key names one)") }
        if layout.format == "rbm-features" {
            splits.inputCheckpoint = layout.checkpoint
            splits.inputCheckpointSHA256 = layout.checkpointSHA256
        }
        return splits
    }

    /// A new private folder under $TMPDIR (or /tmp) for data copied out of HDF5 files.
    static func makeTemporaryFolder() throws -> String {
        try makePrivateTemporaryFolder(prefix: "rbm-data")
    }
}

// MARK: What the visible units read

extension DataLoader {
    /// The splits as visible units of kind `units` read them: categorical codes as one-hot
    /// groups of q units (with `quantize`, intensities in [0, 1] cut into q equal levels, as for
    /// an IDX folder's pixels), counts checked to be integers in range (with `quantize`,
    /// intensities scaled to the largest count); with `standardize`, every split standardised by `standardization`, or
    /// when that is nil by the training split's own per-feature mean and standard deviation
    /// (returned, to be stored in the checkpoint).
    public static func forUnits(_ splits: DatasetSplits, units: VisibleUnits, standardize: Bool,
                                standardization: Standardization? = nil, quantize: Bool = false) throws -> (DatasetSplits, Standardization?) {
        var splits = splits
        func each(_ transform: (any RowSource) -> any RowSource) {
            splits.train = transform(splits.train)
            splits.validation = splits.validation.map(transform)
            splits.test = splits.test.map(transform)
        }
        if let states = units.oneHotStates { each { OneHotRows(base: $0, states: states, quantize: quantize) } }
        if let integers = units.integerValues {
            each { IntegerRows(base: $0, range: integers.range, reason: integers.reason, quantize: quantize) }
        }
        guard standardize else { return (splits, nil) }
        let chosen: Standardization
        if let standardization {
            guard standardization.mean.count == splits.train.featureCount else {
                throw DataError.badDimensions(path: splits.train.source,
                    detail: "the checkpoint standardises \(standardization.mean.count) features, the data have \(splits.train.featureCount)")
            }
            chosen = standardization
        } else {
            let (mean, deviation) = try DataScan.meanAndStandardDeviation(of: splits.train)
            chosen = Standardization(mean: mean, standardDeviation: deviation)
        }
        each { StandardizedRows(base: $0, mean: chosen.mean, standardDeviation: chosen.standardDeviation) }
        return (splits, chosen)
    }

    /// A checkpoint's data (`data`) as its model reads them: its visible units, and the
    /// standardisation stored with it — exactly when training standardised (`data.standardize`
    /// decided, and the checkpoint holds the mean and deviation it used), never otherwise.
    public static func load(_ data: ExperimentConfig.Data, for checkpoint: Checkpoint) throws -> DatasetSplits {
        let units = checkpoint.model.visibleUnits
        let standardize = checkpoint.standardization != nil
        return try forUnits(load(data), units: units, standardize: standardize,
                            standardization: checkpoint.standardization, quantize: format(of: data) == .idx).0
    }
}
