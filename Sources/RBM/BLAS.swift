import CBLAS

/// Thin, named wrappers over the CBLAS calls the RBM uses, all row-major single precision.
public enum BLAS {
    /// Makes OpenBLAS run single-threaded. The trainer parallelizes over shards with
    /// `concurrentPerform`; a second level of BLAS threads only competes for the same cores.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major.
    /// `transposeA`: A is stored k×m and used transposed; `transposeB`: B is stored n×k.
    @inlinable
    public static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, transposeA: Bool = false,
        b: UnsafePointer<Float>, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(transposeA ? m : k),
            b, Int32(transposeB ? k : n),
            beta, c, Int32(n))
    }

    /// y[n] = Aᵀ x for A stored m×n row-major (a weighted sum of A's rows).
    @inlinable
    public static func weightedRowSum(
        rows m: Int, columns n: Int, a: UnsafePointer<Float>, weights x: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), 1, a, Int32(n), x, 1, 0, y, 1)
    }
}
