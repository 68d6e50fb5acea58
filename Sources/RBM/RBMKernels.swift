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
    /// The visible term is the unit type's (`VisibleUnits.freeEnergyTerm`).
    public static func freeEnergies(
        visible: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
        visibleBias: [Float], hiddenBias: [Float], units: VisibleUnits = .bernoulli,
        scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Double>
    ) {
        let visibleCount = visibleBias.count
        let hiddenCount = hiddenBias.count
        BLAS.gemm(m: rows, n: hiddenCount, k: visibleCount, a: visible, b: weights, c: scratch)
        for row in 0..<rows {
            var energy = units.freeEnergyTerm(visible + row * visibleCount, bias: visibleBias)
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
    /// hWᵀ, then the unit type's means (`VisibleUnits.applyMeans`), rows × n_visible.
    @inlinable
    public static func visibleMeans(
        units: VisibleUnits, hidden: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
        visibleBias: UnsafePointer<Float>, visibleCount: Int, hiddenCount: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemm(m: rows, n: visibleCount, k: hiddenCount, a: hidden, b: weights, transposeB: true, c: output)
        units.applyMeans(to: output, rows: rows, columns: visibleCount, bias: visibleBias)
    }

    /// The same means from the pre-activations hWᵀ (rows × n_visible), in place.
    @inlinable
    public static func visibleMeans(
        units: VisibleUnits, preactivations values: UnsafeMutablePointer<Float>, rows: Int,
        visibleBias: UnsafePointer<Float>, visibleCount: Int
    ) {
        units.applyMeans(to: values, rows: rows, columns: visibleCount, bias: visibleBias)
    }
}
