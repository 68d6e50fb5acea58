/// A Restricted Boltzmann Machine with Bernoulli hidden units and visible units of a
/// `VisibleUnits` kind (Bernoulli by default).
///
/// Energy (Bernoulli visible): E(v, h) = −bᵀv − cᵀh − vᵀWh, with W of shape n_visible × n_hidden
/// stored row-major, b the visible and c the hidden biases. Conditionals:
///
///     P(h_j = 1 | v) = σ(c_j + (vᵀW)_j)        P(v_i = 1 | h) = σ(b_i + (Wh)_i)
///
/// Free energy: F(v) = −bᵀv − Σ_j softplus(c_j + (vᵀW)_j), so that log p(v) = −F(v) − log Z;
/// for Gaussian visible units the first term is Σ_i (v_i − b_i)²/2 instead (see `VisibleUnits`).
public struct RBMModel: Sendable, Equatable {
    public let visibleCount: Int
    public let hiddenCount: Int
    /// The kind of the visible units.
    public var visibleUnits: VisibleUnits = .bernoulli
    /// W, n_visible × n_hidden, row-major.
    public var weights: [Float]
    /// b, n_visible.
    public var visibleBias: [Float]
    /// c, n_hidden.
    public var hiddenBias: [Float]
    /// Gaussian units with learned variances (`model.learn_variance`): z_i = log σ_i², one per
    /// visible unit; nil for unit variances. The model is then the unit-variance RBM (W, b, c)
    /// on u = v/σ (see `RBMModel+LearnedVariance.swift`).
    public var visibleLogVariance: [Float]?

    public init(visibleCount: Int, hiddenCount: Int, weights: [Float], visibleBias: [Float],
                hiddenBias: [Float], visibleUnits: VisibleUnits = .bernoulli) {
        precondition(visibleCount > 0 && hiddenCount > 0, "an RBM needs units in both layers")
        if let problem = visibleUnits.layoutProblem(visibleCount: visibleCount) { preconditionFailure(problem) }
        self.visibleUnits = visibleUnits
        precondition(weights.count == visibleCount * hiddenCount, "weights must be n_visible × n_hidden")
        precondition(visibleBias.count == visibleCount && hiddenBias.count == hiddenCount)
        self.visibleCount = visibleCount
        self.hiddenCount = hiddenCount
        self.weights = weights
        self.visibleBias = visibleBias
        self.hiddenBias = hiddenBias
    }

    /// The usual starting point (Hinton, "A Practical Guide to Training RBMs", 2010):
    /// W ~ N(0, σ²) with σ = `weightStandardDeviation`, c = 0, and b from the training data's
    /// visible marginals p (clipped to [ε, 1 − ε]) so that the visible units alone model them:
    /// b_i = log(p_i / (1 − p_i)) (Bernoulli), b_i = p_i, the mean (Gaussian), b_ga = log p_ga
    /// (categorical: the softmax of a group is then its frequencies); or b = 0.
    public static func initialized(
        visibleCount: Int, hiddenCount: Int, seed: UInt64,
        weightStandardDeviation: Float = 0.01, visibleMarginals: [Float]? = nil,
        marginalClip: Float = 1e-3, visibleUnits: VisibleUnits = .bernoulli
    ) -> RBMModel {
        let stream = RandomStream(seed: seed, purpose: .weightInitialization)
        var weights = [Float](repeating: 0, count: visibleCount * hiddenCount)
        for i in 0..<visibleCount {
            for j in 0..<hiddenCount {
                let draw = stream.normal(row: UInt32(i), index: UInt32(j))
                weights[i * hiddenCount + j] = Float(draw) * weightStandardDeviation
            }
        }
        var visibleBias = [Float](repeating: 0, count: visibleCount)
        if let marginals = visibleMarginals {
            precondition(marginals.count == visibleCount)
            for i in 0..<visibleCount {
                visibleBias[i] = visibleUnits.initialBias(marginal: marginals[i], clip: marginalClip)
            }
        }
        return RBMModel(visibleCount: visibleCount, hiddenCount: hiddenCount, weights: weights,
                        visibleBias: visibleBias, hiddenBias: [Float](repeating: 0, count: hiddenCount),
                        visibleUnits: visibleUnits)
    }

    /// P(h = 1 | v) for `rows` visible vectors stored row-major: σ(vW + c), rows × n_hidden.
    public func hiddenProbabilities(visible: [Float], rows: Int) -> [Float] {
        precondition(visible.count == rows * visibleCount)
        return conditional(given: unitVarianceCoordinates(visible, rows: rows), rows: rows, bias: hiddenBias) { v, w, c, out in
            RBMKernels.hiddenProbabilities(visible: v, rows: rows, weights: w, hiddenBias: c, visibleCount: visibleCount,
                                           hiddenCount: hiddenCount, into: out)
        }
    }

    /// E[v | h] for `rows` hidden vectors stored row-major, rows × n_visible: P(v = 1 | h) =
    /// σ(hWᵀ + b) for Bernoulli units, the mean b + hWᵀ for Gaussian ones, the softmax of each
    /// group for categorical ones.
    public func visibleProbabilities(hidden: [Float], rows: Int) -> [Float] {
        precondition(hidden.count == rows * hiddenCount)
        let means = conditional(given: hidden, rows: rows, bias: visibleBias) { h, w, b, out in
            RBMKernels.visibleMeans(units: visibleUnits, hidden: h, rows: rows, weights: w, visibleBias: b,
                                    visibleCount: visibleCount, hiddenCount: hiddenCount, into: out)
        }
        return dataCoordinates(means, rows: rows)
    }

    /// Runs `kernel(input, W, bias, output)` on the arrays' storage; the output has one row of
    /// `bias.count` values per input row.
    private func conditional(
        given input: [Float], rows: Int, bias: [Float],
        _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        var output = [Float](repeating: 0, count: rows * bias.count)
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                input.withUnsafeBufferPointer { x in
                    output.withUnsafeMutableBufferPointer { out in
                        kernel(x.baseAddress!, w.baseAddress!, b.baseAddress!, out.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    /// F(v) = −bᵀv − Σ_j softplus(c_j + (vᵀW)_j) for each of `rows` visible vectors (with
    /// Σ_i (v_i − b_i)²/2 for −bᵀv when the visible units are Gaussian).
    public func freeEnergies(visible givenVisible: [Float], rows: Int) -> [Double] {
        precondition(givenVisible.count == rows * visibleCount)
        let visible = unitVarianceCoordinates(givenVisible, rows: rows)
        var output = [Double](repeating: 0, count: rows)
        var scratch = [Float](repeating: 0, count: rows * hiddenCount)
        weights.withUnsafeBufferPointer { w in
            visible.withUnsafeBufferPointer { v in
                scratch.withUnsafeMutableBufferPointer { s in
                    output.withUnsafeMutableBufferPointer { out in
                        RBMKernels.freeEnergies(
                            visible: v.baseAddress!, rows: rows, weights: w.baseAddress!,
                            visibleBias: visibleBias, hiddenBias: hiddenBias, units: visibleUnits,
                            scratch: s.baseAddress!, into: out.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    /// True when every parameter is a finite number.
    public var isFinite: Bool {
        weights.allSatisfy(\.isFinite) && visibleBias.allSatisfy(\.isFinite)
            && hiddenBias.allSatisfy(\.isFinite) && (visibleLogVariance?.allSatisfy(\.isFinite) ?? true)
    }
}

extension RBMModel {
    /// The plain RBM with the same distribution as the centred one (Melchior, Fischer &
    /// Wiskott 2016) whose energy is
    ///
    ///     E(v, h) = −(v − μ)ᵀW(h − λ) − bᵀ(v − μ) − cᵀ(h − λ):
    ///
    /// expanding it, W stays, b' = b − Wλ and c' = c − Wᵀμ (the constant μᵀWλ + bᵀμ + cᵀλ
    /// cancels in p). The trainer keeps these plain parameters while it follows the centred
    /// gradient, so checkpoints and features are those of an ordinary RBM.
    public static func fromCentered(weights: [Float], visibleBias: [Float], hiddenBias: [Float],
                                    visibleOffsets: [Float], hiddenOffsets: [Float]) -> RBMModel {
        let nv = visibleBias.count, nh = hiddenBias.count
        precondition(weights.count == nv * nh && visibleOffsets.count == nv && hiddenOffsets.count == nh)
        var plainVisible = visibleBias, plainHidden = hiddenBias
        for i in 0..<nv {
            for j in 0..<nh {
                plainVisible[i] -= weights[i * nh + j] * hiddenOffsets[j]
                plainHidden[j] -= weights[i * nh + j] * visibleOffsets[i]
            }
        }
        return RBMModel(visibleCount: nv, hiddenCount: nh, weights: weights, visibleBias: plainVisible,
                        hiddenBias: plainHidden)
    }
}
