/// The pointer-level computations shared by the model's API, the trainer and evaluation.
public enum RBMKernels {
    /// out = σ(v·W + c), v: rows × n_visible, out: rows × n_hidden.
    @inlinable
    public static func hiddenProbabilities(
        visible: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
        hiddenBias: UnsafePointer<Float>, visibleCount: Int, hiddenCount: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemm(m: rows, n: hiddenCount, k: visibleCount, a: visible, b: weights, c: output)
        Logistic.applyWithBias(output, rows: rows, columns: hiddenCount, bias: hiddenBias)
    }

    /// out = σ(h·Wᵀ + b), h: rows × n_hidden, out: rows × n_visible.
    @inlinable
    public static func visibleProbabilities(
        hidden: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
        visibleBias: UnsafePointer<Float>, visibleCount: Int, hiddenCount: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemm(m: rows, n: visibleCount, k: hiddenCount, a: hidden, b: weights,
                  transposeB: true, c: output)
        Logistic.applyWithBias(output, rows: rows, columns: visibleCount, bias: visibleBias)
    }

    /// F(v) per row, accumulated in double precision. `scratch` holds rows × n_hidden floats.
    /// The visible term is −bᵀv, or Σ_i (v_i − b_i)²/2 for Gaussian units.
    public static func freeEnergies(
        visible: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
        visibleBias: [Float], hiddenBias: [Float], units: VisibleUnits = .bernoulli,
        scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Double>
    ) {
        let visibleCount = visibleBias.count
        let hiddenCount = hiddenBias.count
        BLAS.gemm(m: rows, n: hiddenCount, k: visibleCount, a: visible, b: weights, c: scratch)
        for row in 0..<rows {
            var energy = 0.0
            let v = visible + row * visibleCount
            if units == .gaussian {
                for i in 0..<visibleCount {
                    let d = Double(v[i]) - Double(visibleBias[i])
                    energy += d * d / 2
                }
            } else {
                for i in 0..<visibleCount { energy -= Double(visibleBias[i]) * Double(v[i]) }
            }
            let preactivation = scratch + row * hiddenCount
            for j in 0..<hiddenCount {
                energy -= softplus(Double(preactivation[j]) + Double(hiddenBias[j]))
            }
            output[row] = energy
        }
    }

    /// out = v·W + c (no logistic), rows × n_hidden.
    @inlinable
    public static func affine(visible: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
                              hiddenBias: UnsafePointer<Float>, visibleCount: Int, hiddenCount: Int,
                              into output: UnsafeMutablePointer<Float>) {
        BLAS.gemm(m: rows, n: hiddenCount, k: visibleCount, a: visible, b: weights, c: output)
        for row in 0..<rows {
            let target = output + row * hiddenCount
            for j in 0..<hiddenCount { target[j] += hiddenBias[j] }
        }
    }

    /// The conditional means of the visible units given hidden states h (rows × n_hidden):
    /// σ(b + hWᵀ) (Bernoulli), b + hWᵀ (Gaussian) or the softmax of b + hWᵀ within each group of
    /// `states` units (categorical), rows × n_visible.
    @inlinable
    public static func visibleMeans(
        units: VisibleUnits, hidden: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
        visibleBias: UnsafePointer<Float>, visibleCount: Int, hiddenCount: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        if units == .bernoulli {
            visibleProbabilities(hidden: hidden, rows: rows, weights: weights, visibleBias: visibleBias,
                                 visibleCount: visibleCount, hiddenCount: hiddenCount, into: output)
            return
        }
        BLAS.gemm(m: rows, n: visibleCount, k: hiddenCount, a: hidden, b: weights, transposeB: true, c: output)
        visibleMeans(units: units, preactivations: output, rows: rows, visibleBias: visibleBias,
                     visibleCount: visibleCount)
    }

    /// The same means from the pre-activations hWᵀ (rows × n_visible), in place: adds b and
    /// applies σ, nothing, or each group's softmax.
    @inlinable
    public static func visibleMeans(
        units: VisibleUnits, preactivations values: UnsafeMutablePointer<Float>, rows: Int,
        visibleBias: UnsafePointer<Float>, visibleCount: Int
    ) {
        if units == .bernoulli {
            Logistic.applyWithBias(values, rows: rows, columns: visibleCount, bias: visibleBias)
            return
        }
        for row in 0..<rows {
            let target = values + row * visibleCount
            for i in 0..<visibleCount { target[i] += visibleBias[i] }
        }
        guard case let .categorical(states) = units else { return }
        for group in 0..<(rows * visibleCount / states) {
            softmax(values + group * states, count: states)
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
}
