import RBMSystem

/// Writes a hidden-feature file (**contract**, format_version 1), one split after another,
/// row block by row block, so memory stays bounded whatever the data's size:
///
///     /<split>/features   [n_samples, n_hidden] float32, P(h=1|v); chunked, shuffle + gzip
///     /<split>/labels     [n_samples] int32, when the data have labels
///     root attributes     format = "rbm-features", format_version, created_by, checkpoint,
///                         checkpoint_sha256, n_hidden, dataset, description; and for features
///                         of features (stacked RBMs) input_checkpoint, input_checkpoint_sha256
///
/// The file is written under a temporary name beside the destination and renamed into place by
/// `finish()`, so an error or a crash never leaves a half-written file under the real name.
public final class FeatureFileWriter {
    public static let format = "rbm-features"
    public static let formatVersion = 1
    /// Rows per HDF5 chunk: 256 × 500 hidden floats is 500 KiB, inside the default chunk cache.
    public static let chunkRows = 256

    public let path: String
    private let temporaryPath: String
    private var file: HDF5File?
    private var finished = false

    public struct Provenance: Sendable {
        public var createdBy: String
        public var checkpointPath: String
        public var checkpointSHA256: String
        public var hiddenCount: Int
        public var dataset: String
        /// When the features were computed from another RBM's features (stacked RBMs): that
        /// file's checkpoint and its SHA-256 (root attributes input_checkpoint,
        /// input_checkpoint_sha256; absent otherwise).
        public var inputCheckpoint: String?
        public var inputCheckpointSHA256: String?
        public init(createdBy: String, checkpointPath: String, checkpointSHA256: String, hiddenCount: Int, dataset: String) {
            self.createdBy = createdBy
            self.checkpointPath = checkpointPath
            self.checkpointSHA256 = checkpointSHA256
            self.hiddenCount = hiddenCount
            self.dataset = dataset
        }
    }

    public init(path: String, provenance: Provenance) throws(StoreError) {
        self.path = path
        do { temporaryPath = try AtomicFile.createTemporary(for: path) } catch {
            throw .cannotCreate(path: path, detail: error.reason)
        }
        let file: HDF5File
        do { file = try HDF5File.create(path: temporaryPath) } catch {
            AtomicFile.discard(temporary: temporaryPath)
            throw error
        }
        self.file = file
        try file.setAttribute("format", string: Self.format)
        try file.setAttribute("format_version", int64: Int64(Self.formatVersion))
        try file.setAttribute("created_by", string: provenance.createdBy)
        try file.setAttribute("checkpoint", string: provenance.checkpointPath)
        try file.setAttribute("checkpoint_sha256", string: provenance.checkpointSHA256)
        try file.setAttribute("n_hidden", int64: Int64(provenance.hiddenCount))
        try file.setAttribute("dataset", string: provenance.dataset)
        if let input = provenance.inputCheckpoint {
            try file.setAttribute("input_checkpoint", string: input)
            try file.setAttribute("input_checkpoint_sha256", string: provenance.inputCheckpointSHA256 ?? "")
        }
        try file.setAttribute("description", string: "features: P(h_j = 1 | v) = sigmoid(c_j + (v W)_j) for each sample v; rows follow the data's order")
    }

    deinit {
        if !finished {
            file = nil
            AtomicFile.discard(temporary: temporaryPath)
        }
    }

    /// Declares a split of `rows` samples; its rows are then written with `writeRows`.
    public func beginSplit(_ name: String, rows: Int, hiddenCount: Int, hasLabels: Bool) throws(StoreError) {
        guard let file else { return }
        let storage = HDF5File.Storage(chunkRows: Self.chunkRows, gzipLevel: 4)
        try file.createFloatDataset("/\(name)/features", shape: [rows, hiddenCount], storage: storage)
        if hasLabels {
            try file.createInt32Dataset("/\(name)/labels", shape: [rows], storage: HDF5File.Storage(chunkRows: 4096, gzipLevel: 4))
        }
        try file.setAttribute("n_samples", int64: Int64(rows), on: "/\(name)")
    }

    public func writeRows(split: String, offset: Int, rows: Int, features: [Float], labels: [Int32]?) throws(StoreError) {
        guard let file else { return }
        try file.writeRows("/\(split)/features", rowOffset: offset, rows: rows, floats: features)
        if let labels { try file.writeRows("/\(split)/labels", rowOffset: offset, rows: rows, int32s: labels) }
    }

    /// Closes the file and moves it to `path`.
    public func finish() throws(StoreError) {
        guard let file else { return }
        try file.flush()
        self.file = nil
        finished = true
        try commit(temporary: temporaryPath, to: path)
    }
}
