#if canImport(Glibc)
import Glibc
#endif

/// Real-valued visible units of unit variance, for standardised data (Hinton's guide §13.2
/// with σ = 1):
///
///     E(v, h) = Σ_i (v_i − b_i)²/2 − cᵀh − vᵀWh,  v ∈ ℝⁿ;   v_i | h ~ N(b_i + (Wh)_i, 1).
///
/// log ∫ exp(−Σ(v_i − b_i)²/2 + aᵀv) dv = Σ_i (b_i a_i + a_i²/2) + (n/2)·log 2π. No
/// pseudo-likelihood: the conditional density of a unit given the others needs an integral of
/// softplus terms.
public struct GaussianUnits: VisibleUnitType {
    public static let name = "gaussian"

    public init(parameter: Int = 0) {}

    public func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        Self.addBias(to: values, rows: rows, columns: columns, bias: bias)
    }

    /// Box–Muller from uniforms 2i and 2i + 1 of the row: v_i = μ_i + √(−2 log(1 − u)) cos 2πu'.
    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * count) { uniforms in
            stream.uniforms(row: row, count: 2 * count, into: uniforms.baseAddress!)
            for i in 0..<count {
                let radius = (-2 * Glibc.logf(1 - uniforms[2 * i])).squareRoot()
                output[i] = means[i] + radius * Glibc.cosf(2 * Float.pi * uniforms[2 * i + 1])
            }
        }
    }

    /// Σ_i (v_i − b_i)²/2, unit by unit in double precision.
    public func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double {
        var energy = 0.0
        for i in 0..<bias.count {
            let d = Double(v[i]) - Double(bias[i])
            energy += d * d / 2
        }
        return energy
    }

    public func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += Double(bias[i]) * Double(a[i]) + Double(a[i]) * Double(a[i]) / 2 }
        return sum
    }

    /// (n/2)·log 2π.
    public func logPartitionConstant(visibleCount: Int) -> Double { Double(visibleCount) / 2 * _log(2 * Double.pi) }

    public var hasDensity: Bool { true }
    public var takesUnitInterval: Bool { false }

    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? { nil }

    /// Standardised or raw values have no fixed range.
    public func scalesEachTile(mappedBack: Bool) -> Bool { !mappedBack }

    /// b = the mean itself.
    public func initialBias(marginal: Float, clip: Float) -> Float { marginal }

    public func baseBias(marginals: [Float], clip: Float) -> [Float] { marginals }

    /// (n/2)·log 2π: the base model is N(b_A, I).
    public func baseLogPartition(bias: [Float]) -> Double { Double(bias.count) / 2 * _log(2 * Double.pi) }

    /// |v − b_A|²/2 − |v − b_B|²/2.
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        var term = 0.0
        for i in 0..<count {
            let fromBase = Double(v[i]) - Double(base[i]), fromModel = Double(v[i]) - Double(modelBias[i])
            term += (fromBase * fromBase - fromModel * fromModel) / 2
        }
        return term
    }

    public static let refusesBinarization: String? = "Gaussian visible units take real values"
}

extension VisibleUnits {
    public static let gaussian = VisibleUnits(GaussianUnits())
}

extension VisibleUnits.Kind {
    public static let gaussian = Self(GaussianUnits.self)
}
