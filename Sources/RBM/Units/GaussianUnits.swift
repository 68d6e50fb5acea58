import CRBMKernels

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

    /// Box–Muller, both of its outputs: units 2k and 2k + 1 take the row's uniforms 2k (the
    /// radius) and 2k + 1 (the angle), r = √(−2 log(1 − u₂ₖ)), θ = 2πu₂ₖ₊₁, and
    /// v₂ₖ = μ₂ₖ + r cos θ, v₂ₖ₊₁ = μ₂ₖ₊₁ + r sin θ (`boxMuller`). A row's tail is drawn from
    /// the same padded stream, so every unit gets the same value wherever the row is split.
    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        let padded = (count + 15) / 16 * 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: padded) { uniforms in
            stream.uniforms(row: row, count: padded, into: uniforms.baseAddress!)
            Self.boxMuller(uniforms: uniforms.baseAddress!, means: means, count: count, into: output)
        }
    }

    /// output_i = means_i + Box–Muller's draw from `uniforms` (rounded up to a multiple of 16
    /// floats), sixteen units at a time by `Logistic.log8` and `cosSinOfTurns8` (single
    /// precision). Whole blocks of sixteen go to the AVX2 twin of this code (CRBMKernels'
    /// box_muller.c: the same operations and constants, hence the same bits on every x86-64
    /// CPU) where the CPU has it; the rest, and every block elsewhere, are drawn here.
    /// `output` may be `means`.
    public static func boxMuller(uniforms: UnsafePointer<Float>, means: UnsafePointer<Float>, count: Int,
                                 into output: UnsafeMutablePointer<Float>) {
        let blocks = count / 16
        let blocksDone = blocks > 0 && rbm_box_muller_blocks(uniforms, means, blocks, output) == 1
        let raw = UnsafeRawPointer(uniforms)
        for start in stride(from: blocksDone ? 16 * blocks : 0, to: count, by: 16) {
            let pairs = raw.loadUnaligned(fromByteOffset: start * 4, as: SIMD16<Float>.self)
            let radius = (-2 * Logistic.log8(1 - pairs.evenHalf)).squareRoot()
            let (cosine, sine) = Logistic.cosSinOfTurns8(pairs.oddHalf)
            let even = radius * cosine, odd = radius * sine
            for k in 0..<min(8, (count - start + 1) / 2) {
                output[start + 2 * k] = means[start + 2 * k] + even[k]
                if start + 2 * k + 1 < count { output[start + 2 * k + 1] = means[start + 2 * k + 1] + odd[k] }
            }
        }
    }

    /// Forces the Swift code for every block (`true`) or the CPU's best (`false`) on the calling
    /// thread, for tests that hold the two to the same bits (other threads keep their own choice).
    public static func forcePortablePath(_ force: Bool) { rbm_box_muller_portable_only(force ? 1 : 0) }

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

    /// V_β(v) = −(1 − β)|v − b_A|²/2 − β|v − b_B|²/2 = −|v − m_β|²/2 − β(1 − β)|b_B − b_A|²/2 with
    /// m_β = (1 − β)b_A + βb_B: the linear kinds' sum at bias m_β, plus that last term. With a
    /// base of its own variances (`baseParameters`), `annealedSummedOutDifferences` of one chain.
    public func annealedSummedOutDifference(_ a: UnsafePointer<Float>, count: Int, from beta0: Float, to beta1: Float,
                                            base: [Float], modelBias: [Float],
                                            scratch: UnsafeMutablePointer<Float>) -> Double {
        if base.count == 2 * count {
            var difference = 0.0
            annealedSummedOutDifferences(a, rows: 1, count: count, from: beta0, to: beta1, base: base, modelBias: modelBias,
                                         scratch: scratch, into: &difference)
            return difference
        }
        var distance = 0.0
        for i in 0..<count {
            let d = Double(modelBias[i]) - Double(base[i])
            distance += d * d
        }
        let shift = { (beta: Float) in -Double(beta) * (1 - Double(beta)) * distance / 2 }
        return Self.interpolatedSummedOut(self, a, count: count, beta: beta1, base: base, modelBias: modelBias, scratch: scratch)
            - Self.interpolatedSummedOut(self, a, count: count, beta: beta0, base: base, modelBias: modelBias, scratch: scratch)
            + shift(beta1) - shift(beta0)
    }

    /// The base N(μ, diag s²) (base = μ followed by s², r = 1/s²): with τ_β = (1 − β)r + β and
    /// L_β = (1 − β)rμ + β(b + a),
    ///
    ///     log ∫ exp(V_β(v) + β·aᵀv) dv = Σ_i [L²/(2τ) − ((1 − β)rμ² + βb²)/2 − ½ log τ] + (n/2)·log 2π,
    ///
    /// V_β = −(1 − β)·r|v − μ|²/2 − β|v − b|²/2 (at r = 1 the unit-variance base's term). Its
    /// difference between β₀ and β₁ for each chain: the terms without a — and 1/(2τ), (1 − β)rμ —
    /// are the same for every chain and formed once per call; a chain adds L²/(2τ) per unit.
    public func annealedSummedOutDifferences(_ a: UnsafePointer<Float>, rows: Int, count: Int, from beta0: Float,
                                             to beta1: Float, base: [Float], modelBias: [Float],
                                             scratch: UnsafeMutablePointer<Float>, into differences: UnsafeMutablePointer<Double>) {
        guard base.count == 2 * count else {
            for r in 0..<rows {
                differences[r] = annealedSummedOutDifference(a + r * count, count: count, from: beta0, to: beta1, base: base,
                                                             modelBias: modelBias, scratch: scratch)
            }
            return
        }
        let (b0, b1) = (Double(beta0), Double(beta1))
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * count) { buffer in
            let offset0 = buffer.baseAddress!, offset1 = offset0 + count
            let halfInverse0 = offset0 + 2 * count, halfInverse1 = offset0 + 3 * count
            var shared = 0.0
            for i in 0..<count {
                let mean = Double(base[i]), precision = 1 / Double(base[count + i]), bias = Double(modelBias[i])
                let tau0 = (1 - b0) * precision + b0, tau1 = (1 - b1) * precision + b1
                offset0[i] = (1 - b0) * precision * mean
                offset1[i] = (1 - b1) * precision * mean
                halfInverse0[i] = 1 / (2 * tau0)
                halfInverse1[i] = 1 / (2 * tau1)
                shared += (((1 - b0) - (1 - b1)) * precision * mean * mean + (b0 - b1) * bias * bias) / 2 - _log(tau1 / tau0) / 2
            }
            for r in 0..<rows {
                let input = a + r * count
                var sum = 0.0
                for i in 0..<count {
                    let field = Double(modelBias[i]) + Double(input[i])
                    let linear0 = offset0[i] + b0 * field, linear1 = offset1[i] + b1 * field
                    sum += linear1 * linear1 * halfInverse1[i] - linear0 * linear0 * halfInverse0[i]
                }
                differences[r] = sum + shared
            }
        }
    }

    /// With a base of its own variances: v_i = L_i/τ_i + z_i/√τ_i, z ~ N(0, 1) by `sample` at zero
    /// means (the same uniforms a unit-variance draw of the row takes), the visible conditional of
    /// the path at β (`annealedSummedOutDifferences`' τ and L; 1/τ, 1/√τ and (1 − β)rμ formed
    /// once per call). Otherwise the kind's usual draw.
    public func drawAnnealed(_ stream: RandomStream, rows: Int, count: Int, streamRow: (Int) -> Int,
                             input: UnsafeMutablePointer<Float>, beta: Float, base: [Float], modelBias: [Float],
                             into output: UnsafeMutablePointer<Float>) -> Bool {
        guard base.count == 2 * count else { return false }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * count) { buffer in
            let zeros = buffer.baseAddress!, offset = zeros + count, inverseTau = zeros + 2 * count, noiseScale = zeros + 3 * count
            for i in 0..<count {
                let precision = 1 / base[count + i]
                let tau = (1 - beta) * precision + beta
                zeros[i] = 0
                offset[i] = (1 - beta) * precision * base[i]
                inverseTau[i] = 1 / tau
                noiseScale[i] = 1 / tau.squareRoot()
            }
            for r in 0..<rows {
                let row = output + r * count, rowInput = input + r * count
                sample(stream, row: UInt32(streamRow(r)), means: zeros, count: count, into: row)
                for i in 0..<count {
                    row[i] = (offset[i] + beta * (modelBias[i] + rowInput[i])) * inverseTau[i] + row[i] * noiseScale[i]
                }
            }
        }
        return true
    }

    /// (n/2)·log 2π.
    public func logPartitionConstant(visibleCount: Int) -> Double { Double(visibleCount) / 2 * _log(2 * Double.pi) }

    public var hasDensity: Bool { true }
    /// σ per unit, learned with `model.learn_variance` (the model on u = v/σ is this one).
    public var learnsVariance: Bool { true }
    public var takesUnitInterval: Bool { false }

    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? { nil }

    /// Standardised or raw values have no fixed range.
    public func scalesEachTile(mappedBack: Bool) -> Bool { !mappedBack }

    /// b = the mean itself.
    public func initialBias(marginal: Float, clip: Float) -> Float { marginal }

    /// N(mean, 1): the data's means alone.
    public func baseBias(marginals: [Float], clip: Float) -> [Float] { marginals }

    /// The data's means μ followed by the variances s² = max(1, data variance) when they are known:
    /// N(μ, diag s²), as wide as the data but never narrower than the model's own conditionals
    /// (unit variance: the model's marginal variance Var(v_i) = 1 + Var((Wh)_i) is at least 1).
    public func baseParameters(means: [Float], variances: [Float]?, clip: Float) -> [Float] {
        guard let variances else { return means }
        precondition(variances.count == means.count)
        return means + variances.map { $0.isFinite ? max(1, $0) : 1 }
    }

    /// (n/2)·log 2π: the base model is N(b_A, I).
    public func baseLogPartition(bias: [Float]) -> Double { Double(bias.count) / 2 * _log(2 * Double.pi) }

    /// (n/2)·log 2π + Σ ½ log s_i² for a base of its own variances.
    public func baseLogPartition(base: [Float], visibleCount: Int) -> Double {
        guard base.count == 2 * visibleCount else { return baseLogPartition(bias: base) }
        return base[visibleCount...].reduce(Double(visibleCount) / 2 * _log(2 * Double.pi)) { $0 + _log(Double($1)) / 2 }
    }

    /// |v − b_A|²/2 − |v − b_B|²/2 (with a base of its own variances, |v − μ|²/(2s²) − |v − b_B|²/2).
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        let wide = base.count == 2 * count
        var term = 0.0
        for i in 0..<count {
            let fromBase = Double(v[i]) - Double(base[i]), fromModel = Double(v[i]) - Double(modelBias[i])
            let precision = wide ? 1 / Double(base[count + i]) : 1
            term += (precision * fromBase * fromBase - fromModel * fromModel) / 2
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
