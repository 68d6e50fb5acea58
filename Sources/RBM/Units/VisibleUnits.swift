/// The visible units of a model: one kind (`VisibleUnitType`) with its parameter. A value
/// type that configs, checkpoints and the trainer pass around; every question that depends on
/// the kind is answered by the kind's own type.
///
/// The kinds, one file each in this folder:
/// - `bernoulli` (`BernoulliUnits`): v ∈ {0, 1}ⁿ;
/// - `gaussian` (`GaussianUnits`): v ∈ ℝⁿ with unit variance, for standardised data;
/// - `categorical(states: q)` (`CategoricalUnits`): one-hot groups of q;
/// - `binomial(trials: n)` (`BinomialUnits`): counts 0 … n.
public struct VisibleUnits: Sendable, Hashable, CustomStringConvertible {
    /// Every kind there is: the one list, in the order messages name them.
    public static let registered: [any VisibleUnitType.Type] = [
        BernoulliUnits.self, GaussianUnits.self, CategoricalUnits.self, BinomialUnits.self,
    ]

    /// The kind's type, with its parameter.
    public let unitType: any VisibleUnitType

    /// True for Bernoulli units, whose conditional means and draws — once and once per row in
    /// every Gibbs half-step — are called directly rather than through the protocol: the batch-5
    /// update measured 3–5 % slower that way (six alternating runs, `rbm bench --hidden 128
    /// --batch-size 5 --shards 1 --workers 1`). The same functions run either way.
    @usableFromInline let callsBernoulliDirectly: Bool

    public init(_ unitType: any VisibleUnitType) {
        self.unitType = unitType
        self.callsBernoulliDirectly = unitType is BernoulliUnits
    }

    /// Units of `kind` with `parameter` (states, trials; read only by kinds that have one,
    /// and raised to the kind's minimum).
    public init(kind: Kind, parameter: Int) {
        let type = kind.unitType
        self.init(type.init(parameter: type.parameter.map { max($0.range.lowerBound, parameter) } ?? 0))
    }

    /// The kind alone, as configs (`model.visible`) and checkpoints (`visible_units`) name it.
    public struct Kind: RawRepresentable, CaseIterable, Sendable, Hashable {
        public let rawValue: String
        /// The type of the kind.
        public let unitType: any VisibleUnitType.Type

        /// The kind named `rawValue`, if there is one.
        public init?(rawValue: String) {
            guard let type = VisibleUnits.registered.first(where: { $0.name == rawValue }) else { return nil }
            self.init(type)
        }

        public init(_ type: any VisibleUnitType.Type) {
            self.rawValue = type.name
            self.unitType = type
        }

        public static var allCases: [Kind] { VisibleUnits.registered.map(Kind.init) }

        public static func == (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

        /// The number this kind needs besides its name, or nil.
        public var parameter: VisibleUnitParameter? { unitType.parameter }
    }

    /// The kind of these units.
    public var kind: Kind { Kind(type(of: unitType)) }

    /// "bernoulli", "gaussian", "categorical", "binomial".
    public var name: String { type(of: unitType).name }

    /// The number these units were made with (states, trials), and what it is; nil for kinds
    /// without one.
    public var parameter: (VisibleUnitParameter, Int)? {
        type(of: unitType).parameter.map { ($0, unitType.parameterValue) }
    }

    public var description: String {
        parameter.map { "\(name) (\($0.0.configKey) \($0.1))" } ?? name
    }

    public static func == (lhs: VisibleUnits, rhs: VisibleUnits) -> Bool {
        lhs.name == rhs.name && lhs.unitType.parameterValue == rhs.unitType.parameterValue
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(unitType.parameterValue)
    }
}

// MARK: Asking the kind

/// The kind's answers (see `VisibleUnitType` for what each means).
extension VisibleUnits {
    @inlinable
    public func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        if callsBernoulliDirectly {
            BernoulliUnits.means(values, rows: rows, columns: columns, bias: bias)
        } else {
            unitType.applyMeans(to: values, rows: rows, columns: columns, bias: bias)
        }
    }

    public func applyTemperedMeans(to values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>,
                                   beta: Float) {
        unitType.applyTemperedMeans(to: values, columns: columns, bias: bias, beta: beta)
    }

    @inlinable
    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        if callsBernoulliDirectly {
            BernoulliUnits.draw(stream, row: row, probabilities: means, count: count, into: output)
        } else {
            unitType.sample(stream, row: row, means: means, count: count, into: output)
        }
    }

    public func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double { unitType.freeEnergyTerm(v, bias: bias) }
    public func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double {
        unitType.summedOut(a, bias: bias, count: count)
    }
    public func logPartitionConstant(visibleCount: Int) -> Double { unitType.logPartitionConstant(visibleCount: visibleCount) }
    public func annealedSummedOutDifference(_ a: UnsafePointer<Float>, count: Int, from beta0: Float, to beta1: Float,
                                            base: [Float], modelBias: [Float], scratch: UnsafeMutablePointer<Float>) -> Double {
        unitType.annealedSummedOutDifference(a, count: count, from: beta0, to: beta1, base: base, modelBias: modelBias,
                                             scratch: scratch)
    }
    public func annealedSummedOutDifferences(_ a: UnsafePointer<Float>, rows: Int, count: Int, from beta0: Float,
                                             to beta1: Float, base: [Float], modelBias: [Float],
                                             scratch: UnsafeMutablePointer<Float>, into differences: UnsafeMutablePointer<Double>) {
        unitType.annealedSummedOutDifferences(a, rows: rows, count: count, from: beta0, to: beta1, base: base,
                                              modelBias: modelBias, scratch: scratch, into: differences)
    }
    public func annealedSummedOut(_ a: UnsafePointer<Float>, rows: Int, count: Int, beta: Float, base: [Float],
                                  modelBias: [Float], scratch: UnsafeMutablePointer<Float>,
                                  into values: UnsafeMutablePointer<Double>) {
        unitType.annealedSummedOut(a, rows: rows, count: count, beta: beta, base: base, modelBias: modelBias,
                                   scratch: scratch, into: values)
    }
    public var isBinary: Bool { unitType.isBinary }
    public var hasDensity: Bool { unitType.hasDensity }
    public var hasPseudoLikelihood: Bool { unitType.hasPseudoLikelihood }
    public var learnsVariance: Bool { unitType.learnsVariance }
    public func logConditional(variable: Int, visible: UnsafePointer<Float>, hiddenInput: UnsafePointer<Float>, base: Double,
                               weights: UnsafePointer<Float>, visibleBias: [Float], hiddenCount: Int,
                               scratch: UnsafeMutablePointer<Float>) -> Double {
        unitType.logConditional(variable: variable, visible: visible, hiddenInput: hiddenInput, base: base, weights: weights,
                                visibleBias: visibleBias, hiddenCount: hiddenCount, scratch: scratch)
    }
    public var oneHotStates: Int? { unitType.oneHotStates }
    public var takesUnitInterval: Bool { unitType.takesUnitInterval }
    public var integerValues: (range: ClosedRange<Int>, reason: String)? { unitType.integerValues }
    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? {
        unitType.impossibleChainValue(chains, rowLength: rowLength)
    }
    public func layoutProblem(visibleCount: Int) -> String? { unitType.layoutProblem(visibleCount: visibleCount) }
    public func variableCount(visibleCount: Int) -> Int { unitType.variableCount(visibleCount: visibleCount) }
    public func displayValues(_ vector: [Float]) -> [Float] { unitType.displayValues(vector) }
    public func scalesEachTile(mappedBack: Bool) -> Bool { unitType.scalesEachTile(mappedBack: mappedBack) }
    public func initialBias(marginal: Float, clip: Float) -> Float { unitType.initialBias(marginal: marginal, clip: clip) }
    public func baseBias(marginals: [Float], clip: Float = 1e-3) -> [Float] { unitType.baseBias(marginals: marginals, clip: clip) }
    public func baseLogPartition(bias: [Float]) -> Double { unitType.baseLogPartition(bias: bias) }
    public func baseParameters(means: [Float], variances: [Float]?, clip: Float = 1e-3) -> [Float] {
        unitType.baseParameters(means: means, variances: variances, clip: clip)
    }
    public func baseLogPartition(base: [Float], visibleCount: Int) -> Double {
        unitType.baseLogPartition(base: base, visibleCount: visibleCount)
    }
    public func drawAnnealed(_ stream: RandomStream, rows: Int, count: Int, streamRow: (Int) -> Int,
                             input: UnsafeMutablePointer<Float>, beta: Float, base: [Float], modelBias: [Float],
                             into output: UnsafeMutablePointer<Float>) -> Bool {
        unitType.drawAnnealed(stream, rows: rows, count: count, streamRow: streamRow, input: input, beta: beta, base: base,
                              modelBias: modelBias, into: output)
    }
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        unitType.annealingTerm(v, count: count, modelBias: modelBias, base: base, biasDifference: biasDifference)
    }

    /// The layer exact log Z enumerates: the smaller one for binary units (2ⁿ states), else
    /// the hidden one (the visible layer is summed out).
    public func enumeratedLayerSize(visibleCount: Int, hiddenCount: Int) -> Int {
        isBinary ? min(visibleCount, hiddenCount) : hiddenCount
    }
}
