/// Binary visible units:
///
///     E(v, h) = −bᵀv − cᵀh − vᵀWh,  v ∈ {0, 1}ⁿ;   P(v_i = 1 | h) = σ(b_i + (Wh)_i).
///
/// Free energy's visible term −bᵀv; log Σ_v exp(bᵀv + aᵀv) = Σ_i softplus(b_i + a_i).
public struct BernoulliUnits: VisibleUnitType {
    public static let name = "bernoulli"

    public init(parameter: Int = 0) {}

    public func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        Self.means(values, rows: rows, columns: columns, bias: bias)
    }

    /// σ(b + hWᵀ), in place.
    @inlinable
    static func means(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        Logistic.applyWithBias(values, rows: rows, columns: columns, bias: bias)
    }

    /// σ(β(b + hWᵀ)): p_β ∝ exp(−β·E).
    public func applyTemperedMeans(to values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>,
                                   beta: Float) {
        Logistic.applyTempered(values, columns: columns, bias: bias, beta: beta)
    }

    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        Self.draw(stream, row: row, probabilities: means, count: count, into: output)
    }

    /// One uniform per unit: v_i = 1 when u_i < P(v_i = 1 | h) (`RandomStream.bernoulli`).
    @inlinable
    static func draw(_ stream: RandomStream, row: UInt32, probabilities: UnsafePointer<Float>, count: Int,
                     into output: UnsafeMutablePointer<Float>) {
        stream.bernoulli(row: row, probabilities: probabilities, count: count, into: output)
    }

    public func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double { Self.linearTerm(v, bias: bias) }

    public func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double {
        Logistic.softplusSum(a, offset: bias, count: count)
    }

    public var isBinary: Bool { true }
    public var hasPseudoLikelihood: Bool { true }

    /// Flipping unit i to ṽ (s = 1 − 2v_i): F(ṽ) − F(v) = −s·b_i − Σ_j [softplus(x_j + s·W_ij) −
    /// softplus(x_j)], and log P(v_i | v₋i) = log σ(F(ṽ) − F(v)).
    public func logConditional(variable i: Int, visible v: UnsafePointer<Float>, hiddenInput x: UnsafePointer<Float>,
                               base: Double, weights: UnsafePointer<Float>, visibleBias: [Float], hiddenCount nh: Int,
                               scratch shifted: UnsafeMutablePointer<Float>) -> Double {
        let sign: Float = v[i] > 0.5 ? -1 : 1
        let weightsRow = weights + i * nh
        for j in 0..<nh { shifted[j] = sign * weightsRow[j] }
        let flipped = Logistic.softplusSum(x, offset: shifted, count: nh)
        let difference = -Double(sign * visibleBias[i]) - (flipped - base)
        return -softplus(-difference)   // log σ(d)
    }
    public var takesUnitInterval: Bool { true }

    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? {
        Self.firstOutsideUnitInterval(chains, rowLength: rowLength)
    }

    /// b = log(p / (1 − p)), with p the clipped marginal.
    public func initialBias(marginal: Float, clip: Float) -> Float {
        let p = min(max(marginal, clip), 1 - clip)
        return Float(_log(Double(p) / Double(1 - p)))
    }

    public func baseBias(marginals: [Float], clip: Float) -> [Float] {
        marginals.map { p in
            let q = Double(min(max(p, clip), 1 - clip))
            return Float(_log(q / (1 - q)))
        }
    }

    /// Σ_i softplus(b_i).
    public func baseLogPartition(bias: [Float]) -> Double { bias.reduce(0.0) { $0 + softplus(Double($1)) } }

    /// (b_B − b_A)ᵀv, v ∈ {0, 1}ⁿ: the differences of the units on, added in ascending order.
    /// Written as products (1·d = d and 0·d = ±0 leave the sum as adding only the ones would)
    /// so that no branch follows the random states: the sum `where v[i] != 0` mispredicted about
    /// every second unit.
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        biasDifference.withUnsafeBufferPointer { difference in
            var term = 0.0
            for i in 0..<count { term += Double(v[i]) * difference[i] }
            return term
        }
    }
}

extension VisibleUnits {
    public static let bernoulli = VisibleUnits(BernoulliUnits())
}

extension VisibleUnits.Kind {
    public static let bernoulli = Self(BernoulliUnits.self)
}
