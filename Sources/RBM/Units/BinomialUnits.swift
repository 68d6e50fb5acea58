#if canImport(Glibc)
import Glibc
#endif

/// Visible units that count successes out of n trials (n = `data.trials`; e.g. grey levels
/// 0 … 255 as counts of 255):
///
///     E(v, h) = −bᵀv − cᵀh − vᵀWh − Σ_i log C(n, v_i),  v ∈ {0, …, n}ⁿᵛ;
///     v_i | h ~ Binomial(n, σ(b_i + (Wh)_i)),  E[v_i | h] = n·σ(b_i + (Wh)_i).
///
/// The base measure C(n, v) makes the conditional binomial and −F(v) − log Z a log-probability
/// of the counts: the free energy's visible term is −bᵀv − Σ_i log C(n, v_i), and
/// log Σ_v C(n, v) exp((b + a)ᵀv) = n·Σ_i softplus(b_i + a_i). With n = 1 these are Bernoulli
/// units. No pseudo-likelihood: a unit's conditional given the others takes n + 1 free energies.
public struct BinomialUnits: VisibleUnitType {
    public static let name = "binomial"
    public static let parameter: VisibleUnitParameter? = VisibleUnitParameter(
        configKey: "trials", checkpointAttribute: "visible_trials",
        meaning: "the number of trials every count is out of", range: 1...65_535)

    /// n, the trials.
    public let trials: Int
    /// log k! for k = 0 … n, for log C(n, k) = log n! − log k! − log (n − k)!.
    let logFactorials: [Double]

    public init(parameter: Int) {
        trials = parameter
        var table = [Double](repeating: 0, count: parameter + 1)
        for k in stride(from: 2, through: parameter, by: 1) { table[k] = table[k - 1] + _log(Double(k)) }
        logFactorials = table
    }

    public var parameterValue: Int { trials }

    /// log C(n, k) for a count k (rounded and clamped to 0 … n).
    func logBinomialCoefficient(_ value: Float) -> Double {
        let k = Int(min(max(value.rounded(), 0), Float(trials)))
        return logFactorials[trials] - logFactorials[k] - logFactorials[trials - k]
    }

    /// n·σ(b + hWᵀ).
    public func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        Logistic.applyWithBias(values, rows: rows, columns: columns, bias: bias)
        let n = Float(trials)
        for index in 0..<(rows * columns) { values[index] *= n }
    }

    /// One uniform u per unit, turned into a count by inversion: with q = min(p, 1 − p) and the
    /// mode m = ⌊(n + 1)q⌋, the probabilities P(k) are added from m outwards, always taking the
    /// more probable neighbour next (P(k ± 1) from P(k) by the ratio of successive terms), until
    /// they pass u; a draw for q = 1 − p is mirrored to n − k. That is O(√(n p (1 − p))) steps,
    /// and the count depends on (n, p, u) alone: the same on every worker.
    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { uniforms in
            stream.uniforms(row: row, count: count, into: uniforms.baseAddress!)
            for i in 0..<count {
                output[i] = Float(draw(probability: Double(means[i]) / Double(trials), uniform: Double(uniforms[i])))
            }
        }
    }

    /// A Binomial(n, `probability`) count from one uniform in [0, 1) (see `sample`).
    func draw(probability: Double, uniform u: Double) -> Int {
        let n = trials
        guard probability > 0 else { return 0 }
        guard probability < 1 else { return n }
        let mirrored = probability > 0.5
        let q = mirrored ? 1 - probability : probability
        let mode = min(n, Int((Double(n + 1) * q).rounded(.down)))
        let logMode = logFactorials[n] - logFactorials[mode] - logFactorials[n - mode]
            + Double(mode) * _log(q) + Double(n - mode) * _log(1 - q)
        let odds = q / (1 - q)
        var cumulative = _exp(logMode)
        var chosen = mode
        var below = mode - 1, above = mode + 1
        var belowProbability = below >= 0 ? cumulative * Double(mode) / (Double(n - mode + 1) * odds) : 0
        var aboveProbability = above <= n ? cumulative * Double(n - mode) / Double(mode + 1) * odds : 0
        while u >= cumulative && (below >= 0 || above <= n) {
            if above > n || (below >= 0 && belowProbability >= aboveProbability) {
                cumulative += belowProbability
                chosen = below
                belowProbability = below > 0 ? belowProbability * Double(below) / (Double(n - below + 1) * odds) : 0
                below -= 1
            } else {
                cumulative += aboveProbability
                chosen = above
                aboveProbability = above < n ? aboveProbability * Double(n - above) / Double(above + 1) * odds : 0
                above += 1
            }
        }
        return mirrored ? n - chosen : chosen
    }

    /// −bᵀv − Σ_i log C(n, v_i).
    public func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double {
        var energy = Self.linearTerm(v, bias: bias)
        for i in 0..<bias.count { energy -= logBinomialCoefficient(v[i]) }
        return energy
    }

    /// n·Σ_i softplus(b_i + a_i).
    public func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double {
        Double(trials) * Logistic.softplusSum(a, offset: bias, count: count)
    }

    public var takesUnitInterval: Bool { false }
    public var integerValues: (range: ClosedRange<Int>, reason: String)? { (0...trials, "data.trials is \(trials)") }

    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? {
        guard let index = chains.firstIndex(where: { $0.isFinite && ($0 != $0.rounded() || $0 < 0 || $0 > Float(trials)) }) else {
            return nil
        }
        return "holds \(chains[index]) at [\(index / max(1, rowLength)), \(index % max(1, rowLength))]; expected counts 0 to \(trials)"
    }

    /// The fraction of successes v/n.
    public func displayValues(_ vector: [Float]) -> [Float] { vector.map { $0 / Float(trials) } }

    /// b = log(p / (1 − p)) with p = mean/n clipped to [ε, 1 − ε]: the units alone then have
    /// the data's mean counts.
    public func initialBias(marginal: Float, clip: Float) -> Float {
        let p = Double(min(max(marginal / Float(trials), clip), 1 - clip))
        return Float(_log(p / (1 - p)))
    }

    public func baseBias(marginals: [Float], clip: Float) -> [Float] {
        marginals.map { initialBias(marginal: $0, clip: clip) }
    }

    /// n·Σ_i softplus(b_i).
    public func baseLogPartition(bias: [Float]) -> Double {
        Double(trials) * bias.reduce(0.0) { $0 + softplus(Double($1)) }
    }

    /// (b_B − b_A)ᵀv: the base measure is the same all along the path.
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        var term = 0.0
        for i in 0..<count { term += biasDifference[i] * Double(v[i]) }
        return term
    }

    public static let refusesBinarization: String? = "binomial visible units read counts"
}

extension VisibleUnits {
    public static func binomial(trials: Int) -> VisibleUnits { VisibleUnits(BinomialUnits(parameter: trials)) }
}

extension VisibleUnits.Kind {
    public static let binomial = Self(BinomialUnits.self)
}
