#if canImport(Glibc)
import Glibc
#endif

/// Everything that depends on the kind of the visible units, in one place: the conditional
/// means, the visible terms of the free energy and of log Z, the starting biases, and the base
/// model AIS anneals from. Callers (the trainer, the monitors, exact log Z, AIS, the
/// pseudo-likelihood) ask the unit type and never switch on it.
extension VisibleUnits {
    // MARK: Conditionals

    /// Turns the visible pre-activations hWᵀ (rows × `columns`, in place) into the conditional
    /// means E[v | h]: σ(b + hWᵀ) (Bernoulli), b + hWᵀ (Gaussian), the softmax of b + hWᵀ within
    /// each group of `states` units (categorical).
    @inlinable
    public func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        if self == .bernoulli {
            Logistic.applyWithBias(values, rows: rows, columns: columns, bias: bias)
            return
        }
        for row in 0..<rows {
            let target = values + row * columns
            for i in 0..<columns { target[i] += bias[i] }
        }
        guard case let .categorical(states) = self else { return }
        for group in 0..<(rows * columns / states) {
            Self.softmax(values + group * states, count: states)
        }
    }

    /// Replaces `count` logits by their softmax (in double precision, max-shifted).
    @inlinable
    public static func softmax(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var largest = -Float.infinity
        for k in 0..<count { largest = max(largest, values[k]) }
        var sum = 0.0
        for k in 0..<count { sum += _exp(Double(values[k] - largest)) }
        for k in 0..<count { values[k] = Float(_exp(Double(values[k] - largest)) / sum) }
    }

    // MARK: Energies

    /// The free energy's visible term for one row: −bᵀv, or Σ_i (v_i − b_i)²/2 for Gaussian
    /// units (in double precision, unit by unit).
    @inlinable
    public func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double {
        var energy = 0.0
        if self == .gaussian {
            for i in 0..<bias.count {
                let d = Double(v[i]) - Double(bias[i])
                energy += d * d / 2
            }
        } else {
            for i in 0..<bias.count { energy -= Double(bias[i]) * Double(v[i]) }
        }
        return energy
    }

    /// True for binary units (Bernoulli): what the kernels written for 0/1 states take —
    /// visible blocks and parallel tempering's chains — and what exact log Z may enumerate (2ⁿ
    /// states; otherwise it enumerates the hidden layer and sums the visible one out).
    public var isBinary: Bool { self == .bernoulli }

    /// log Σ_v exp(bᵀv + aᵀv) of the visible layer given the hidden layer's input a = Wh (without
    /// the bias), over `bias.count` units: Σ softplus(b + a) (Bernoulli), Σ_i (b_i a_i + a_i²/2)
    /// (Gaussian, less the constant `logPartitionConstant`), Σ_groups logsumexp(b + a)
    /// (categorical).
    public func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double {
        switch self {
        case .bernoulli:
            return Logistic.softplusSum(a, offset: bias, count: count)
        case .gaussian:
            var sum = 0.0
            for i in 0..<count { sum += Double(bias[i]) * Double(a[i]) + Double(a[i]) * Double(a[i]) / 2 }
            return sum
        case let .categorical(states):
            var sum = 0.0
            for group in 0..<(count / states) {
                sum += logSumExp((0..<states).map { Double(bias[group * states + $0]) + Double(a[group * states + $0]) })
            }
            return sum
        }
    }

    /// The part of log Z that `summedOut` leaves out: (n/2)·log 2π for Gaussian units, else 0.
    public func logPartitionConstant(visibleCount: Int) -> Double {
        self == .gaussian ? Double(visibleCount) / 2 * _log(2 * Double.pi) : 0
    }

    /// True when the data's values must be probabilities in [0, 1] (Bernoulli units, and the
    /// one-hot columns of categorical ones); Gaussian units take any finite value.
    public var takesUnitInterval: Bool { self != .gaussian }

    /// True when log-likelihoods are log-densities of real values (Gaussian units), not log-
    /// probabilities of discrete states.
    public var hasDensity: Bool { self == .gaussian }

    /// The layer exact log Z enumerates: the smaller one for binary units, else the hidden one.
    public func enumeratedLayerSize(visibleCount: Int, hiddenCount: Int) -> Int {
        isBinary ? min(visibleCount, hiddenCount) : hiddenCount
    }

    /// Values a persistent chain of these units can hold: what is wrong with the first that it
    /// cannot (Bernoulli: outside [0, 1]; categorical: outside [0, 1], or a group whose states sum
    /// past 1 — one-hot groups, all zeros before the first update), or nil. Finiteness is
    /// checked apart.
    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? {
        guard self != .gaussian else { return nil }
        if let index = chains.firstIndex(where: { $0.isFinite && !(0...1).contains($0) }) {
            return "holds \(chains[index]) at [\(index / max(1, rowLength)), \(index % max(1, rowLength))]; expected values in [0, 1]"
        }
        guard let states = oneHotStates else { return nil }
        if let group = stride(from: 0, to: chains.count, by: states).first(where: { start in
            let sum = chains[start..<min(chains.count, start + states)].reduce(0, +)
            return sum.isFinite && sum > 1.001
        }) {
            return "row \(group / max(1, rowLength)) has a group of \(states) states summing to more than 1; expected one-hot groups"
        }
        return nil
    }

    // MARK: Pictures

    /// Values drawn per picture: the visible units, or the variables of categorical units.
    public func variableCount(visibleCount: Int) -> Int { visibleCount / (oneHotStates ?? 1) }

    /// One value per visible variable to draw: the values themselves, or for categorical units
    /// the expected level Σ_a a·v_a / (q − 1) of each group (its states weighted by the values).
    public func displayValues(_ vector: [Float]) -> [Float] {
        guard let states = oneHotStates else { return vector }
        return (0..<(vector.count / states)).map { group in
            (0..<states).reduce(Float(0)) { $0 + Float($1) * vector[group * states + $1] } / Float(states - 1)
        }
    }

    /// True when the values have no fixed range to draw in (Gaussian units' standardised or raw
    /// values): each tile is then scaled to its own range, unless `mappedBack` to the data's.
    public func scalesEachTile(mappedBack: Bool) -> Bool { self == .gaussian && !mappedBack }

    /// True when the pseudo-likelihood has a closed form (not for Gaussian units, whose
    /// conditional density needs an integral of softplus terms).
    public var hasPseudoLikelihood: Bool { self != .gaussian }

    // MARK: Starting points

    /// The visible bias that makes the visible units alone model a marginal p (the mean of the
    /// unit's values; `clipped` is p clipped to [ε, 1 − ε]): log(p/(1 − p)) for Bernoulli units,
    /// the mean itself for Gaussian ones, log p for categorical ones (a group's softmax is then
    /// its frequencies).
    public func initialBias(marginal: Float, clipped p: Float) -> Float {
        switch self {
        case .bernoulli: return Float(_log(Double(p) / Double(1 - p)))
        case .gaussian: return marginal
        case .categorical: return Float(_log(Double(p)))
        }
    }

    // MARK: AIS's base model

    /// The base model's visible biases from the data's visible marginals p: log(p / (1 − p))
    /// (p clipped to [ε, 1 − ε]) for Bernoulli units, the means themselves for Gaussian ones,
    /// log p (p clipped to [ε, 1]) for categorical ones.
    public func baseBias(marginals: [Float], clip: Float = 1e-3) -> [Float] {
        switch self {
        case .bernoulli:
            return marginals.map { p in
                let q = Double(min(max(p, clip), 1 - clip))
                return Float(_log(q / (1 - q)))
            }
        case .gaussian: return marginals
        case .categorical: return marginals.map { Float(_log(Double(min(max($0, clip), 1)))) }
        }
    }

    /// log Σ_v exp(−E_A(v)) of the base model's visible units alone.
    public func baseLogPartition(bias: [Float]) -> Double {
        switch self {
        case .bernoulli:
            return bias.reduce(0.0) { $0 + softplus(Double($1)) }
        case .gaussian:
            return Double(bias.count) / 2 * _log(2 * Double.pi)
        case let .categorical(states):
            return (0..<(bias.count / states)).reduce(0.0) { sum, group in
                sum + logSumExp((0..<states).map { Double(bias[group * states + $0]) })
            }
        }
    }

    /// The visible part of log p*_k(v) − log p*_{k−1}(v) per unit of Δβ on AIS's path from the
    /// base model (biases `base`) to the model (biases `modelBias`): (b_B − b_A)ᵀv for Bernoulli
    /// and (one-hot) categorical units (`biasDifference` = b_B − b_A), |v − b_A|²/2 − |v − b_B|²/2
    /// for Gaussian ones.
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        var term = 0.0
        if self == .gaussian {
            for i in 0..<count {
                let fromBase = Double(v[i]) - Double(base[i]), fromModel = Double(v[i]) - Double(modelBias[i])
                term += (fromBase * fromBase - fromModel * fromModel) / 2
            }
        } else {
            for i in 0..<count where v[i] != 0 { term += biasDifference[i] }
        }
        return term
    }
}
