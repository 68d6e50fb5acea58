#if canImport(Glibc)
import Glibc
#endif

/// The kind of the visible units; the hidden units are always Bernoulli. With x = Wh:
///
/// - `bernoulli`: E(v, h) = −bᵀv − cᵀh − vᵀWh, v ∈ {0, 1}ⁿ;  P(v_i = 1 | h) = σ(b_i + x_i).
/// - `gaussian` (unit variance, for standardised data; Hinton's guide §13.2 with σ = 1):
///   E(v, h) = Σ_i (v_i − b_i)²/2 − cᵀh − vᵀWh, v ∈ ℝⁿ;  v_i | h ~ N(b_i + x_i, 1).
/// - `categorical(states: q)`: each visible variable takes one of q states, coded one-hot in
///   q units (n_visible = variables × q); E as for Bernoulli on the one-hot vector, so
///   P(v_g = a | h) = exp(b_ga + x_ga) / Σ_a' exp(b_ga' + x_ga') (a softmax per group).
///
/// In all three, P(h_j = 1 | v) = σ(c_j + (vᵀW)_j) and the log-likelihood gradient has the same
/// form, E_data[v hᵀ] − E_model[v hᵀ] (v one-hot for categorical units): the trainer is one
/// engine, and only the visible conditional, its sampler and the free energy's visible term
/// depend on the kind.
public enum VisibleUnits: Sendable, Equatable, Hashable {
    case bernoulli
    case gaussian
    case categorical(states: Int)

    /// The kind alone, as configs (`model.visible`) and checkpoints (`visible_units`) name it;
    /// the one list of kinds.
    public enum Kind: String, Sendable, CaseIterable {
        case bernoulli, gaussian, categorical
    }

    /// The kind of these units.
    public var kind: Kind {
        switch self {
        case .bernoulli: return .bernoulli
        case .gaussian: return .gaussian
        case .categorical: return .categorical
        }
    }

    /// Units of `kind`; `states` is read for categorical ones (at least 2).
    public init(kind: Kind, states: Int) {
        switch kind {
        case .bernoulli: self = .bernoulli
        case .gaussian: self = .gaussian
        case .categorical: self = .categorical(states: max(2, states))
        }
    }

    /// States per variable of one-hot coded units (categorical), nil for units read as values.
    public var oneHotStates: Int? {
        if case let .categorical(states) = self { return states }
        return nil
    }

    /// "bernoulli", "gaussian" or "categorical".
    public var name: String { kind.rawValue }

    /// States per variable (2 for Bernoulli, where a unit is a variable; 0 for Gaussian).
    public var states: Int {
        switch self {
        case .bernoulli: return 2
        case .gaussian: return 0
        case let .categorical(states): return states
        }
    }

    /// Draws v ~ P(v | h) for one row from its conditional means (`means`: the probabilities,
    /// the Gaussian means, or each group's softmax), into `output` (which may be `means`).
    /// Bernoulli: one uniform per unit, as `RandomStream.bernoulli`. Gaussian: Box–Muller from
    /// uniforms 2i and 2i+1 of the row. Categorical: uniform g picks the state of group g by
    /// the cumulative probabilities.
    @inlinable
    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        switch self {
        case .bernoulli:
            stream.bernoulli(row: row, probabilities: means, count: count, into: output)
        case .gaussian:
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * count) { uniforms in
                stream.uniforms(row: row, count: 2 * count, into: uniforms.baseAddress!)
                for i in 0..<count {
                    let radius = (-2 * Glibc.logf(1 - uniforms[2 * i])).squareRoot()
                    output[i] = means[i] + radius * Glibc.cosf(2 * Float.pi * uniforms[2 * i + 1])
                }
            }
        case let .categorical(states):
            let groups = count / states
            withUnsafeTemporaryAllocation(of: Float.self, capacity: groups) { uniforms in
                stream.uniforms(row: row, count: groups, into: uniforms.baseAddress!)
                for group in 0..<groups {
                    let base = group * states
                    var chosen = states - 1
                    var cumulative: Float = 0
                    for state in 0..<states {
                        cumulative += means[base + state]
                        if uniforms[group] < cumulative { chosen = state; break }
                    }
                    for state in 0..<states { output[base + state] = state == chosen ? 1 : 0 }
                }
            }
        }
    }
}
