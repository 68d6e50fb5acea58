import RBM
import RBMSystem

/// A training run's complete state (**contract**, format_version 3; version 1 files, which
/// have no visible_units attribute and are Bernoulli, and version 2 files, which have no
/// learned variances, are still read):
///
///     /model/weights                          [n_visible, n_hidden] float32
///     /model/visible_bias, /model/hidden_bias [n_visible], [n_hidden]
///     /model/visible_log_variance             [n_visible] z = log σ² (Gaussian units with
///                                             learned variances, version 3; the model is the
///                                             unit-variance RBM on u = v/σ, so
///                                             P(h|v) = σ(c + (v/σ)ᵀW), E[v|h] = σ(b + Wh))
///     /optimizer/weight_velocity, /optimizer/visible_bias_velocity, /optimizer/hidden_bias_velocity
///     /optimizer/visible_log_variance_velocity [n_visible] (learned variances)
///     /optimizer attributes                   step, learning_rate, momentum
///     /sampler/persistent_chains              [n_chains, n_visible]   (PCD, FPCD, PT; as u = v/σ
///                                             with learned variances)
///     /sampler/persistent_hidden_probabilities [n_chains, n_hidden]   (PCD, FPCD, PT)
///     /sampler/inverse_temperatures           [M]  (PT: chain r·M + t runs at β_t)
///     /sampler/fast_weights, fast_visible_bias, fast_hidden_bias    (FPCD)
///     /centering/visible_offsets, /centering/hidden_offsets  [n_visible], [n_hidden]
///                                             (centering; /model holds the plain
///                                             parameters all the same)
///     /history/<metric>                       [n_epochs] float32 per-epoch series
///     /data/mean, /data/std                   [n_features] (Gaussian units' standardisation;
///                                             v = (x − mean) / std)
///     root attributes                         format, format_version, created_by, config (YAML),
///                                             seed, epoch, batch, step, sampler, rng,
///                                             visible_units (bernoulli, gaussian, categorical,
///                                             binomial), visible_states (q, categorical only),
///                                             visible_trials (n, binomial only)
///
/// `epoch` counts completed epochs and `batch` the minibatches done in the epoch in progress
/// (0 at an epoch boundary). With counter-based random numbers, (seed, step, epoch, batch) is
/// the whole random state: the shuffle of an epoch and every sample are recomputed from them.
public struct Checkpoint: Sendable, Equatable {
    public static let format = "rbm-checkpoint"
    public static let formatVersion = 3

    public var state: TrainerState
    public var sampler: SamplerKind
    public var config: String
    public var seed: UInt64
    public var epoch: Int
    public var batchInEpoch: Int
    public var learningRate: Double
    public var momentum: Double
    public var history: History
    public var createdBy: String
    /// [rows, columns] of one sample when the data are images (optional attributes
    /// image_rows, image_columns), for pictures of the model.
    public var imageShape: [Int]?
    /// The per-feature mean and standard deviation the training data were standardised with
    /// (Gaussian units), so that features of new data use the same transform.
    public var standardization: Standardization?
    /// Parallel tempering: β of each chain of a row (/sampler/inverse_temperatures).
    public var inverseTemperatures: [Float]?

    public init(state: TrainerState, sampler: SamplerKind, config: String, seed: UInt64, epoch: Int,
                batchInEpoch: Int, learningRate: Double, momentum: Double, history: History,
                createdBy: String, imageShape: [Int]? = nil, standardization: Standardization? = nil,
                inverseTemperatures: [Float]? = nil) {
        self.inverseTemperatures = inverseTemperatures
        self.imageShape = imageShape
        self.standardization = standardization
        self.state = state
        self.sampler = sampler
        self.config = config
        self.seed = seed
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.learningRate = learningRate
        self.momentum = momentum
        self.history = history
        self.createdBy = createdBy
    }

    public var model: RBMModel { state.model }

    /// Builds the file in memory, then writes its bytes to a temporary file beside `path`
    /// (after checking the free space), flushes them to disk and renames the file into place:
    /// a crash at any moment leaves either the old checkpoint or the new one, and a full disk
    /// is an error naming the path and the reason, never a crash inside libhdf5.
    public func write(to path: String) throws(StoreError) {
        let bytes: [UInt8]
        do {
            let file = try HDF5File.createInMemory(name: path)
            try writeContents(to: file)
            bytes = try file.image()
        }
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw .writeFailed(path: path, detail: error.reason)
        }
    }

    func writeContents(to file: HDF5File) throws(StoreError) {
        let model = state.model
        let nv = model.visibleCount, nh = model.hiddenCount
        try file.setAttribute("format", string: Self.format)
        try file.setAttribute("format_version", int64: Int64(Self.formatVersion))
        try file.setAttribute("created_by", string: createdBy)
        try file.setAttribute("config", string: config)
        try file.setAttribute("seed", uint64: seed)
        try file.setAttribute("epoch", int64: Int64(epoch))
        try file.setAttribute("batch", int64: Int64(batchInEpoch))
        try file.setAttribute("step", int64: Int64(state.step))
        try file.setAttribute("sampler", string: sampler.rawValue)
        try file.setAttribute("rng", string: "philox4x32-10 counters; the state is (seed, step, epoch, batch)")
        if let imageShape, imageShape.count == 2 {
            try file.setAttribute("image_rows", int64: Int64(imageShape[0]))
            try file.setAttribute("image_columns", int64: Int64(imageShape[1]))
        }

        try file.setAttribute("visible_units", string: model.visibleUnits.name)
        if let (parameter, value) = model.visibleUnits.parameter {
            try file.setAttribute(parameter.checkpointAttribute, int64: Int64(value))
        }
        if let standardization {
            try file.write("/data/mean", floats: standardization.mean, shape: [standardization.mean.count])
            try file.write("/data/std", floats: standardization.standardDeviation, shape: [standardization.standardDeviation.count])
        }
        try file.write("/model/weights", floats: model.weights, shape: [nv, nh])
        try file.write("/model/visible_bias", floats: model.visibleBias, shape: [nv])
        try file.write("/model/hidden_bias", floats: model.hiddenBias, shape: [nh])
        if let logVariance = model.visibleLogVariance {
            try file.write("/model/visible_log_variance", floats: logVariance, shape: [nv])
        }

        try file.write("/optimizer/weight_velocity", floats: state.weightVelocity, shape: [nv, nh])
        try file.write("/optimizer/visible_bias_velocity", floats: state.visibleBiasVelocity, shape: [nv])
        try file.write("/optimizer/hidden_bias_velocity", floats: state.hiddenBiasVelocity, shape: [nh])
        if let velocity = state.logVarianceVelocity {
            try file.write("/optimizer/visible_log_variance_velocity", floats: velocity, shape: [nv])
        }
        try file.setAttribute("step", int64: Int64(state.step), on: "/optimizer")
        try file.setAttribute("learning_rate", double: learningRate, on: "/optimizer")
        try file.setAttribute("momentum", double: momentum, on: "/optimizer")

        if let chains = state.chainVisible, let hidden = state.chainHiddenProbabilities {
            let count = chains.count / nv
            try file.write("/sampler/persistent_chains", floats: chains, shape: [count, nv])
            try file.write("/sampler/persistent_hidden_probabilities", floats: hidden, shape: [count, nh])
        } else {
            try file.createGroup("/sampler")
        }
        if let inverseTemperatures {
            try file.write("/sampler/inverse_temperatures", floats: inverseTemperatures, shape: [inverseTemperatures.count])
        }
        if let fast = state.fastParameters {
            try file.write("/sampler/fast_weights", floats: fast.weights, shape: [nv, nh])
            try file.write("/sampler/fast_visible_bias", floats: fast.visibleBias, shape: [nv])
            try file.write("/sampler/fast_hidden_bias", floats: fast.hiddenBias, shape: [nh])
        }
        if let visibleOffsets = state.visibleOffsets, let hiddenOffsets = state.hiddenOffsets {
            try file.write("/centering/visible_offsets", floats: visibleOffsets, shape: [nv])
            try file.write("/centering/hidden_offsets", floats: hiddenOffsets, shape: [nh])
        }

        try file.createGroup("/history")
        for column in history.columns {
            try file.write("/history/\(column.name)", floats: column.values.map { Float($0) },
                           shape: [column.values.count])
        }
    }

    /// Reads and checks a checkpoint: its format, version and every dataset's shape as it
    /// reads, then its whole state (`problems()`): a checkpoint with any problem is refused with
    /// `StoreError.invalidCheckpoint`, naming each dataset or attribute and what was expected.
    public static func read(path: String) throws(StoreError) -> Checkpoint {
        let checkpoint = try readContents(path: path)
        let problems = checkpoint.problems()
        guard problems.isEmpty else { throw .invalidCheckpoint(path: path, problems: problems) }
        return checkpoint
    }

    /// Reads a checkpoint, checking its format, version and shapes but not its values
    /// (`rbm inspect` lists what is wrong with them instead).
    public static func readContents(path: String) throws(StoreError) -> Checkpoint {
        let file = try HDF5File.openReadOnly(path: path)
        try FileHeader.check(file, expectedFormat: format, supportedVersion: formatVersion)
        guard let weightShape = file.shape(of: "/model/weights") else {
            throw .missing(path: path, object: "dataset /model/weights")
        }
        guard weightShape.count == 2, weightShape.allSatisfy({ $0 > 0 }) else {
            throw .wrongShape(path: path, object: "/model/weights", expected: [-1, -1], found: weightShape)
        }
        let nv = weightShape[0], nh = weightShape[1]
        let units = try visibleUnits(file, visibleCount: nv)
        var model = RBMModel(
            visibleCount: nv, hiddenCount: nh,
            weights: try file.readFloats("/model/weights").values,
            visibleBias: try file.readFloats("/model/visible_bias", expectedShape: [nv]).values,
            hiddenBias: try file.readFloats("/model/hidden_bias", expectedShape: [nh]).values, visibleUnits: units)
        if file.exists("/model/visible_log_variance") {
            guard units.learnsVariance else {
                throw .wrongType(path: path, object: "/model/visible_log_variance",
                                 expected: "no learned variances: they are for Gaussian units, and visible_units is \(units.name)")
            }
            model.visibleLogVariance = try file.readFloats("/model/visible_log_variance", expectedShape: [nv]).values
        }
        var standardization: Standardization?
        if file.exists("/data/mean") {
            let mean = try file.readFloats("/data/mean").values
            standardization = Standardization(
                mean: mean, standardDeviation: try file.readFloats("/data/std", expectedShape: [mean.count]).values)
        }
        let samplerName = try file.stringAttribute("sampler")
        guard let sampler = SamplerKind(rawValue: samplerName) else {
            throw .wrongType(path: path, object: "attribute sampler", expected: SamplerKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var chainVisible: [Float]?
        var chainHidden: [Float]?
        if sampler.isPersistent {
            let chains = try file.readFloats("/sampler/persistent_chains")
            guard chains.shape.count == 2, chains.shape[1] == nv else {
                throw .wrongShape(path: path, object: "/sampler/persistent_chains",
                                  expected: [chains.shape.first ?? 0, nv], found: chains.shape)
            }
            chainVisible = chains.values
            chainHidden = try file.readFloats("/sampler/persistent_hidden_probabilities",
                                              expectedShape: [chains.shape[0], nh]).values
        }
        let step = Int(try file.int64Attribute("step"))
        var state = TrainerState(
            model: model,
            weightVelocity: try file.readFloats("/optimizer/weight_velocity", expectedShape: [nv, nh]).values,
            visibleBiasVelocity: try file.readFloats("/optimizer/visible_bias_velocity", expectedShape: [nv]).values,
            hiddenBiasVelocity: try file.readFloats("/optimizer/hidden_bias_velocity", expectedShape: [nh]).values,
            step: step, chainVisible: chainVisible, chainHiddenProbabilities: chainHidden)
        if sampler == .fastPersistentContrastiveDivergence {
            state.fastParameters = FastParameters(
                weights: try file.readFloats("/sampler/fast_weights", expectedShape: [nv, nh]).values,
                visibleBias: try file.readFloats("/sampler/fast_visible_bias", expectedShape: [nv]).values,
                hiddenBias: try file.readFloats("/sampler/fast_hidden_bias", expectedShape: [nh]).values)
        }
        if file.exists("/optimizer/visible_log_variance_velocity") {
            state.logVarianceVelocity = try file.readFloats("/optimizer/visible_log_variance_velocity", expectedShape: [nv]).values
        }
        if file.exists("/centering/visible_offsets") {
            state.visibleOffsets = try file.readFloats("/centering/visible_offsets", expectedShape: [nv]).values
            state.hiddenOffsets = try file.readFloats("/centering/hidden_offsets", expectedShape: [nh]).values
        }
        let inverseTemperatures = file.exists("/sampler/inverse_temperatures")
            ? try file.readFloats("/sampler/inverse_temperatures").values : nil
        var history = History()
        for name in file.children(of: "/history") {
            let values = try file.readFloats("/history/\(name)").values.map(Double.init)
            history.columns.append((name, values))
        }
        history.sortColumns()
        return Checkpoint(
            state: state, sampler: sampler, config: try file.stringAttribute("config"),
            seed: try file.uint64Attribute("seed"), epoch: Int(try file.int64Attribute("epoch")),
            batchInEpoch: Int(try file.int64Attribute("batch")),
            learningRate: try file.doubleAttribute("learning_rate", on: "/optimizer"),
            momentum: try file.doubleAttribute("momentum", on: "/optimizer"),
            history: history, createdBy: try file.stringAttribute("created_by"),
            imageShape: file.hasAttribute("image_rows") && file.hasAttribute("image_columns")
                ? [Int(try file.int64Attribute("image_rows")), Int(try file.int64Attribute("image_columns"))] : nil,
            standardization: standardization, inverseTemperatures: inverseTemperatures)
    }

    /// The visible_units attribute (absent in version-1 files: Bernoulli), checked.
    static func visibleUnits(_ file: HDF5File, visibleCount: Int) throws(StoreError) -> VisibleUnits {
        guard file.hasAttribute("visible_units") else { return .bernoulli }
        guard let kind = VisibleUnits.Kind(rawValue: try file.stringAttribute("visible_units")) else {
            throw .wrongType(path: file.path, object: "attribute visible_units",
                             expected: VisibleUnits.Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let parameter = kind.parameter else { return VisibleUnits(kind: kind, parameter: 0) }
        let attribute = parameter.checkpointAttribute
        let value = file.hasAttribute(attribute) ? Int(try file.int64Attribute(attribute)) : 0
        guard parameter.range.contains(value) else {
            throw .wrongType(path: file.path, object: "attribute \(attribute)",
                             expected: "\(parameter.meaning), \(parameter.range.lowerBound) to \(parameter.range.upperBound)")
        }
        let units = VisibleUnits(kind: kind, parameter: value)
        if let problem = units.layoutProblem(visibleCount: visibleCount) {
            throw .wrongType(path: file.path, object: "attribute \(attribute)", expected: "units that fit n_visible (\(problem))")
        }
        return units
    }
}

/// The root attributes every file of this project carries: format, format_version, created_by.
enum FileHeader {
    static func check(_ file: HDF5File, expectedFormat: String, supportedVersion: Int) throws(StoreError) {
        guard file.hasAttribute("format") else {
            throw .missing(path: file.path, object: "the 'format' attribute (not a file written by rbm?)")
        }
        let format = try file.stringAttribute("format")
        guard format == expectedFormat else {
            throw .wrongFormat(path: file.path, expected: expectedFormat, found: format)
        }
        let version = Int(try file.int64Attribute("format_version"))
        guard version <= supportedVersion else {
            throw .newerVersion(path: file.path, found: version, supported: supportedVersion)
        }
    }
}

/// v = (x − mean) / std, per feature: Gaussian visible units expect standardised data.
public struct Standardization: Sendable, Equatable {
    public var mean: [Float]
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }
}
