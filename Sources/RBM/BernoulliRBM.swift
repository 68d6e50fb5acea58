/// A Bernoulli–Bernoulli Restricted Boltzmann Machine.
///
/// Energy: E(v, h) = −bᵀv − cᵀh − vᵀWh, with W of shape n_visible × n_hidden stored row-major,
/// b the visible and c the hidden biases. Conditionals:
///
///     P(h_j = 1 | v) = σ(c_j + (vᵀW)_j)        P(v_i = 1 | h) = σ(b_i + (Wh)_i)
///
/// Free energy: F(v) = −bᵀv − Σ_j softplus(c_j + (vᵀW)_j), so that log p(v) = −F(v) − log Z.
public struct BernoulliRBM: Sendable, Equatable {
    public let visibleCount: Int
    public let hiddenCount: Int
    /// W, n_visible × n_hidden, row-major.
    public var weights: [Float]
    /// b, n_visible.
    public var visibleBias: [Float]
    /// c, n_hidden.
    public var hiddenBias: [Float]

    public init(visibleCount: Int, hiddenCount: Int, weights: [Float], visibleBias: [Float],
                hiddenBias: [Float]) {
        precondition(visibleCount > 0 && hiddenCount > 0, "an RBM needs units in both layers")
        precondition(weights.count == visibleCount * hiddenCount, "weights must be n_visible × n_hidden")
        precondition(visibleBias.count == visibleCount && hiddenBias.count == hiddenCount)
        self.visibleCount = visibleCount
        self.hiddenCount = hiddenCount
        self.weights = weights
        self.visibleBias = visibleBias
        self.hiddenBias = hiddenBias
    }

    /// The usual starting point (Hinton, "A Practical Guide to Training RBMs", 2010):
    /// W ~ N(0, σ²) with σ = `weightStandardDeviation`, c = 0, and b_i = log(p_i / (1 − p_i))
    /// from the training data's visible marginals p (clipped to [ε, 1 − ε]), or b = 0.
    public static func initialized(
        visibleCount: Int, hiddenCount: Int, seed: UInt64,
        weightStandardDeviation: Float = 0.01, visibleMarginals: [Float]? = nil,
        marginalClip: Float = 1e-3
    ) -> BernoulliRBM {
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
                let p = min(max(marginals[i], marginalClip), 1 - marginalClip)
                visibleBias[i] = Float(_log(Double(p) / Double(1 - p)))
            }
        }
        return BernoulliRBM(visibleCount: visibleCount, hiddenCount: hiddenCount, weights: weights,
                            visibleBias: visibleBias,
                            hiddenBias: [Float](repeating: 0, count: hiddenCount))
    }

    /// P(h = 1 | v) for `rows` visible vectors stored row-major: σ(vW + c), rows × n_hidden.
    public func hiddenProbabilities(visible: [Float], rows: Int) -> [Float] {
        precondition(visible.count == rows * visibleCount)
        return conditional(given: visible, rows: rows, bias: hiddenBias) { v, w, c, out in
            RBMKernels.hiddenProbabilities(visible: v, rows: rows, weights: w, hiddenBias: c, visibleCount: visibleCount,
                                           hiddenCount: hiddenCount, into: out)
        }
    }

    /// P(v = 1 | h) for `rows` hidden vectors stored row-major: σ(hWᵀ + b), rows × n_visible.
    public func visibleProbabilities(hidden: [Float], rows: Int) -> [Float] {
        precondition(hidden.count == rows * hiddenCount)
        return conditional(given: hidden, rows: rows, bias: visibleBias) { h, w, b, out in
            RBMKernels.visibleProbabilities(hidden: h, rows: rows, weights: w, visibleBias: b, visibleCount: visibleCount,
                                            hiddenCount: hiddenCount, into: out)
        }
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

    /// F(v) = −bᵀv − Σ_j softplus(c_j + (vᵀW)_j) for each of `rows` visible vectors.
    public func freeEnergies(visible: [Float], rows: Int) -> [Double] {
        precondition(visible.count == rows * visibleCount)
        var output = [Double](repeating: 0, count: rows)
        var scratch = [Float](repeating: 0, count: rows * hiddenCount)
        weights.withUnsafeBufferPointer { w in
            visible.withUnsafeBufferPointer { v in
                scratch.withUnsafeMutableBufferPointer { s in
                    output.withUnsafeMutableBufferPointer { out in
                        RBMKernels.freeEnergies(
                            visible: v.baseAddress!, rows: rows, weights: w.baseAddress!,
                            visibleBias: visibleBias, hiddenBias: hiddenBias,
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
            && hiddenBias.allSatisfy(\.isFinite)
    }
}
