/// One kind of visible unit, with every piece of math that depends on it. The hidden units are
/// always Bernoulli; with x = Wh (the hidden layer's input to the visible one) and b the visible
/// biases, a kind fixes the visible term of the energy, hence
///
/// - the conditional P(v | h) (`applyMeans`, `sample`),
/// - the free energy's visible term (`freeEnergyTerm`) and log Σ_v of the visible layer given
///   x (`summedOut`, `logPartitionConstant`), from which exact log Z and AIS follow,
/// - AIS's base model (`baseBias`, `baseLogPartition`, `annealingTerm`),
/// - the starting biases (`initialBias`), the values the data and chains may hold, and how
///   pictures show them.
///
/// In every kind P(h_j = 1 | v) = σ(c_j + (vᵀW)_j) and the log-likelihood gradient is
/// E_data[v hᵀ] − E_model[v hᵀ]: the trainer is one engine for all of them.
///
/// A kind is one file in this folder (a type conforming here) and one entry in
/// `VisibleUnits.registered`; nothing outside the folder asks which kind it has.
public protocol VisibleUnitType: Sendable {
    /// The name configs (`model.visible`) and checkpoints (`visible_units`) use.
    static var name: String { get }
    /// The number this kind needs besides its name (states, trials), or nil.
    static var parameter: VisibleUnitParameter? { get }
    /// Units of this kind; `parameter` is the value of `Self.parameter` (0 when there is none),
    /// already checked against its minimum.
    init(parameter: Int)
    /// The value of `Self.parameter` these units were made with (0 when there is none).
    var parameterValue: Int { get }

    // MARK: Conditionals

    /// Turns the visible pre-activations hWᵀ (rows × `columns`, in place) into the conditional
    /// means E[v | h] given the biases `bias`.
    func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>)
    /// The same for one chain of parallel tempering at inverse temperature β: the conditional
    /// means of p_β(v, h) ∝ m(v)·exp(β(bᵀv + cᵀh + vᵀWh)), the model with its linear terms
    /// (biases and weights) scaled by β and the kind's base measure m kept (Gaussian: e^(−|v|²/2);
    /// one-hot groups; the binomial coefficients), which are the kind's means at pre-activations
    /// β(hWᵀ + b). For binary units p_β ∝ exp(−β·E). β = 1 is `applyMeans`.
    func applyTemperedMeans(to values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>, beta: Float)
    /// Draws v ~ P(v | h) for one row of `count` units from its conditional means, into
    /// `output` (which may be `means`), with the uniforms of row `row` of `stream` (the same
    /// draws for the same row whatever the worker).
    func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                into output: UnsafeMutablePointer<Float>)

    // MARK: Energies and log Z

    /// The free energy's visible term for one row of `bias.count` units (double precision).
    func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double
    /// log Σ_v exp(−E_v(v) + aᵀv) of the visible layer given the hidden layer's input a = Wh,
    /// less `logPartitionConstant`.
    func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double
    /// log Σ_v exp(V_β(v) + β·aᵀv) at β₁ less the same at β₀, where V_β = −(1 − β)·E_A(v) −
    /// β·E_B(v) interpolates the visible energies of AIS's base model (biases `base`) and the
    /// model (`modelBias`), and a = Wh is the hidden layer's input of one chain: the visible
    /// layer summed out of the annealing path, for annealing the hidden layer. `scratch` holds
    /// 2·`count` floats.
    func annealedSummedOutDifference(_ a: UnsafePointer<Float>, count: Int, from beta0: Float, to beta1: Float,
                                     base: [Float], modelBias: [Float], scratch: UnsafeMutablePointer<Float>) -> Double
    /// `annealedSummedOutDifference` of `rows` chains at once (inputs `count` floats apart), into
    /// `differences[r]`: where the terms share work across chains (a Gaussian base of its own
    /// variances), it is done once. The default asks chain by chain.
    func annealedSummedOutDifferences(_ a: UnsafePointer<Float>, rows: Int, count: Int, from beta0: Float, to beta1: Float,
                                      base: [Float], modelBias: [Float], scratch: UnsafeMutablePointer<Float>,
                                      into differences: UnsafeMutablePointer<Double>)
    /// log Σ_v exp(V_β(v) + β·aᵀv) of `rows` chains at one β, up to a constant of β alone (the
    /// same for every a): what AIS's mode jump compares between two hidden states. The default
    /// is `annealedSummedOutDifferences` from β = 0; kinds with a cheaper form give it.
    func annealedSummedOut(_ a: UnsafePointer<Float>, rows: Int, count: Int, beta: Float, base: [Float],
                           modelBias: [Float], scratch: UnsafeMutablePointer<Float>, into values: UnsafeMutablePointer<Double>)
    /// The part of log Z that `summedOut` leaves out (0 unless the kind has one).
    func logPartitionConstant(visibleCount: Int) -> Double
    /// True for 0/1 units: what the kernels written for binary states take (visible blocks) and
    /// what exact log Z may enumerate (2ⁿ visible states).
    var isBinary: Bool { get }
    /// True when log-likelihoods are log-densities of real values, not log-probabilities.
    var hasDensity: Bool { get }
    /// True when the pseudo-likelihood has a closed form here (`logConditional`).
    var hasPseudoLikelihood: Bool { get }
    /// True when a learned variance per unit (`model.learn_variance`) makes sense: the units
    /// are real values whose scale `RBMModel+LearnedVariance.swift` can learn.
    var learnsVariance: Bool { get }
    /// log P(v_g | v₋g) of variable `variable` (of `variableCount` per sample) of one sample
    /// `visible`, given its hidden input x = c + vᵀW (`hiddenInput`, n_hidden) and
    /// `base` = Σ_j softplus(x_j): the pseudo-likelihood's term (`PseudoLikelihood`). `scratch`
    /// holds n_hidden floats. NaN for kinds without a closed form.
    func logConditional(variable: Int, visible: UnsafePointer<Float>, hiddenInput: UnsafePointer<Float>, base: Double,
                        weights: UnsafePointer<Float>, visibleBias: [Float], hiddenCount: Int,
                        scratch: UnsafeMutablePointer<Float>) -> Double

    // MARK: Values

    /// States per variable of one-hot coded units, nil for units read as values.
    var oneHotStates: Int? { get }
    /// True when the data's values must be probabilities in [0, 1].
    var takesUnitInterval: Bool { get }
    /// Integers the data's values must be, and why (the config key that sets them), for kinds
    /// that read counts; nil otherwise. An IDX folder's intensities x ∈ [0, 1] are read as
    /// round(x · upper bound).
    var integerValues: (range: ClosedRange<Int>, reason: String)? { get }
    /// What is wrong with the first value a persistent chain of these units cannot hold, or nil
    /// (finiteness is checked apart). `rowLength` is the number of units per chain.
    func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String?
    /// What is wrong with `visibleCount` units of this kind, or nil.
    func layoutProblem(visibleCount: Int) -> String?

    // MARK: Pictures

    /// Values drawn per picture: the visible units, or fewer variables.
    func variableCount(visibleCount: Int) -> Int
    /// One value per visible variable to draw, in [0, 1] unless `scalesEachTile`.
    func displayValues(_ vector: [Float]) -> [Float]
    /// True when the values have no fixed range to draw in: each tile is then scaled to its
    /// own range, unless `mappedBack` to the data's.
    func scalesEachTile(mappedBack: Bool) -> Bool

    // MARK: Starting points and AIS's base model

    /// The visible bias that makes the visible units alone model a data mean `marginal`
    /// (where means are probabilities, clipped to [`clip`, 1 − `clip`]).
    func initialBias(marginal: Float, clip: Float) -> Float
    /// AIS's base-model visible biases from the data's visible means (probabilities clipped
    /// to [`clip`, 1 − `clip`] where they are probabilities).
    func baseBias(marginals: [Float], clip: Float) -> [Float]
    /// AIS's base-model parameters from the data's visible means and, where the kind has use for
    /// them, their variances (Gaussian units: the means followed by per-unit variances); the
    /// kinds without return `baseBias(marginals: means)`. Every base function below reads what
    /// this returns as `base`.
    func baseParameters(means: [Float], variances: [Float]?, clip: Float) -> [Float]
    /// log Σ_v exp(−E_A(v)) of the base model's visible units alone.
    func baseLogPartition(bias: [Float]) -> Double
    /// The same for base parameters `base` of a model of `visibleCount` visible units.
    func baseLogPartition(base: [Float], visibleCount: Int) -> Double
    /// Draws v ~ P_β(v | h) on AIS's path for `rows` chains (row r from stream row
    /// `streamRow(r)`) from `input` = hWᵀ (rows × `count`), when the kind's base needs its own
    /// draw (a Gaussian base of its own variances), and returns true; false leaves it to the
    /// usual draw: the kind's `sample` at the means of biases (1 − β)·b_A + β·(b_B + hWᵀ).
    func drawAnnealed(_ stream: RandomStream, rows: Int, count: Int, streamRow: (Int) -> Int,
                      input: UnsafeMutablePointer<Float>, beta: Float, base: [Float], modelBias: [Float],
                      into output: UnsafeMutablePointer<Float>) -> Bool
    /// The visible part of log p*_k(v) − log p*_{k−1}(v) per unit of Δβ on AIS's path from the
    /// base model (biases `base`) to the model (biases `modelBias`; `biasDifference` = their
    /// difference b_B − b_A).
    func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                       biasDifference: [Double]) -> Double

    // MARK: Rules

    /// Why these units cannot read binarized data ("Gaussian visible units take real values"),
    /// or nil for units that can: `VisibleUnits.Kind.dataProblems` then asks for
    /// data.binarization: none.
    static var refusesBinarization: String? { get }
}

/// A number a kind of unit needs besides its name, and where configs and checkpoints keep it.
public struct VisibleUnitParameter: Sendable, Equatable {
    /// The key under `data:` in a config (`data.<key>`).
    public let configKey: String
    /// The checkpoint's root attribute that stores it.
    public let checkpointAttribute: String
    /// What it is, for messages: "the number of states of every variable".
    public let meaning: String
    /// The smallest value that makes sense, and the largest a config may set.
    public let range: ClosedRange<Int>

    public init(configKey: String, checkpointAttribute: String, meaning: String, range: ClosedRange<Int>) {
        self.configKey = configKey
        self.checkpointAttribute = checkpointAttribute
        self.meaning = meaning
        self.range = range
    }
}

/// What most kinds share; a kind states only where it differs.
extension VisibleUnitType {
    public static var parameter: VisibleUnitParameter? { nil }
    public static var refusesBinarization: String? { nil }
    public var parameterValue: Int { 0 }
    public func logPartitionConstant(visibleCount: Int) -> Double { 0 }

    /// For kinds whose visible energy is −bᵀv plus a base measure that does not depend on b:
    /// V_β(v) + β·aᵀv is the model's at biases (1 − β)·b_A + β·b_B and input β·a, so the
    /// difference of two `summedOut`s.
    public func annealedSummedOutDifference(_ a: UnsafePointer<Float>, count: Int, from beta0: Float, to beta1: Float,
                                            base: [Float], modelBias: [Float],
                                            scratch: UnsafeMutablePointer<Float>) -> Double {
        Self.interpolatedSummedOut(self, a, count: count, beta: beta1, base: base, modelBias: modelBias, scratch: scratch)
            - Self.interpolatedSummedOut(self, a, count: count, beta: beta0, base: base, modelBias: modelBias, scratch: scratch)
    }

    public func annealedSummedOutDifferences(_ a: UnsafePointer<Float>, rows: Int, count: Int, from beta0: Float,
                                             to beta1: Float, base: [Float], modelBias: [Float],
                                             scratch: UnsafeMutablePointer<Float>, into differences: UnsafeMutablePointer<Double>) {
        for r in 0..<rows {
            differences[r] = annealedSummedOutDifference(a + r * count, count: count, from: beta0, to: beta1, base: base,
                                                         modelBias: modelBias, scratch: scratch)
        }
    }

    public func annealedSummedOut(_ a: UnsafePointer<Float>, rows: Int, count: Int, beta: Float, base: [Float],
                                  modelBias: [Float], scratch: UnsafeMutablePointer<Float>,
                                  into values: UnsafeMutablePointer<Double>) {
        annealedSummedOutDifferences(a, rows: rows, count: count, from: 0, to: beta, base: base, modelBias: modelBias,
                                     scratch: scratch, into: values)
    }

    /// `summedOut(β·a, bias: (1 − β)·b_A + β·b_B)`.
    @inlinable
    public static func interpolatedSummedOut(_ units: Self, _ a: UnsafePointer<Float>, count: Int, beta: Float, base: [Float],
                                             modelBias: [Float], scratch: UnsafeMutablePointer<Float>) -> Double {
        let bias = scratch + count
        for i in 0..<count {
            scratch[i] = beta * a[i]
            bias[i] = (1 - beta) * base[i] + beta * modelBias[i]
        }
        return units.summedOut(scratch, bias: bias, count: count)
    }
    /// β(hWᵀ + b), then the means at zero bias.
    public func applyTemperedMeans(to values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>,
                                   beta: Float) {
        if beta == 1 { return applyMeans(to: values, rows: 1, columns: columns, bias: bias) }
        for i in 0..<columns { values[i] = beta * (values[i] + bias[i]) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: columns) { zeros in
            zeros.initialize(repeating: 0)
            applyMeans(to: values, rows: 1, columns: columns, bias: zeros.baseAddress!)
        }
    }

    public func baseParameters(means: [Float], variances: [Float]?, clip: Float) -> [Float] {
        baseBias(marginals: means, clip: clip)
    }
    public func baseLogPartition(base: [Float], visibleCount: Int) -> Double { baseLogPartition(bias: base) }
    public func drawAnnealed(_ stream: RandomStream, rows: Int, count: Int, streamRow: (Int) -> Int,
                             input: UnsafeMutablePointer<Float>, beta: Float, base: [Float], modelBias: [Float],
                             into output: UnsafeMutablePointer<Float>) -> Bool { false }

    public var isBinary: Bool { false }
    public var hasDensity: Bool { false }
    public var hasPseudoLikelihood: Bool { false }
    public var learnsVariance: Bool { false }
    public func logConditional(variable: Int, visible: UnsafePointer<Float>, hiddenInput: UnsafePointer<Float>, base: Double,
                               weights: UnsafePointer<Float>, visibleBias: [Float], hiddenCount: Int,
                               scratch: UnsafeMutablePointer<Float>) -> Double { .nan }
    public var oneHotStates: Int? { nil }
    public var integerValues: (range: ClosedRange<Int>, reason: String)? { nil }
    public func layoutProblem(visibleCount: Int) -> String? { nil }
    public func variableCount(visibleCount: Int) -> Int { visibleCount }
    public func displayValues(_ vector: [Float]) -> [Float] { vector }
    public func scalesEachTile(mappedBack: Bool) -> Bool { false }

    /// Adds the biases: E[v | h] = b + hWᵀ before any link function.
    @inlinable
    public static func addBias(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows {
            let target = values + row * columns
            for i in 0..<columns { target[i] += bias[i] }
        }
    }

    /// Values outside [0, 1]: the first, as an `impossibleChainValue` message, or nil.
    public static func firstOutsideUnitInterval(_ chains: [Float], rowLength: Int) -> String? {
        guard let index = chains.firstIndex(where: { $0.isFinite && !(0...1).contains($0) }) else { return nil }
        return "holds \(chains[index]) at [\(index / max(1, rowLength)), \(index % max(1, rowLength))]; expected values in [0, 1]"
    }

    /// −bᵀv over `bias.count` units (double precision): the visible term of kinds whose energy
    /// is linear in v.
    @inlinable
    public static func linearTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double {
        var energy = 0.0
        for i in 0..<bias.count { energy -= Double(bias[i]) * Double(v[i]) }
        return energy
    }
}
