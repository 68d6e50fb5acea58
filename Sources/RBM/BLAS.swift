import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Thin, named wrappers over the CBLAS calls the RBM uses, all row-major single precision.
public enum BLAS {
    /// Makes OpenBLAS run single-threaded. The trainer parallelizes over shards with
    /// `DataParallel.forEach`; a second level of BLAS threads only competes for the same cores.
    /// Also loads BLIS for small products here, where the process is still single-threaded
    /// (loading sets an environment variable for BLIS's initialization).
    public static func useSingleThread() {
        openblas_set_num_threads(1)
        _ = SmallProducts.isActive
    }

    /// What OpenBLAS runs: its build configuration and the kernel it chose for this CPU (which
    /// OPENBLAS_CORETYPE overrides).
    public static var description: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "?"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return "\(config.split(separator: " ").joined(separator: " ")), kernel \(core)"
    }

    /// GFLOP/s of one large square SGEMM (n × n × n, 2n³ operations) on `threads` OpenBLAS
    /// threads, the best of `repetitions`: the machine's practical arithmetic limit for this
    /// library. BLAS is left single-threaded afterwards, as the trainer needs it.
    public static func largeSGEMMRate(size n: Int = 4096, threads: Int, repetitions: Int = 3) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for index in 0..<(n * n) {
            a[index] = Float(index % 7) * 0.01
            b[index] = Float(index % 5) * 0.01
        }
        openblas_set_num_threads(Int32(threads))
        defer { useSingleThread() }
        gemm(m: n, n: n, k: n, a: a, b: b, c: c)   // warm-up: thread start, page faults
        var best = 0.0
        for _ in 0..<repetitions {
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            gemm(m: n, n: n, k: n, a: a, b: b, c: c)
            clock_gettime(CLOCK_MONOTONIC, &end)
            let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
            best = max(best, 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        return best
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major.
    /// `transposeA`: A is stored k×m and used transposed; `transposeB`: B is stored n×k.
    public static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, transposeA: Bool = false,
        b: UnsafePointer<Float>, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        gemm(m: m, n: n, k: k, alpha: alpha, a: a, lda: transposeA ? m : k, transposeA: transposeA,
             b: b, ldb: transposeB ? k : n, transposeB: transposeB, beta: beta, c: c, ldc: n)
    }

    /// The same product on sub-matrices: `lda`, `ldb`, `ldc` are the row strides (in floats)
    /// of the matrices A, B and C are blocks of (a block of a weight matrix's columns, say).
    /// Products whose op(A) is a sparse 0/1 matrix (sampled units) are sums of B's rows (see
    /// `BinaryProducts`); of the others, those with a side of at most `SmallProducts.thinSide`
    /// go to BLIS when it is loaded (see `SmallProducts`), the rest to OpenBLAS.
    public static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if !transposeB,
           BinaryProducts.gemm(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, transposeA: transposeA,
                               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
            return
        }
        if SmallProducts.isThin(m: m, n: n, k: k),
           SmallProducts.gemm(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, transposeA: transposeA,
                              b: b, ldb: ldb, transposeB: transposeB, beta: beta, c: c, ldc: ldc) {
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y[n] = Aᵀ x for A stored m×n row-major (a weighted sum of A's rows).
    @inlinable
    public static func weightedRowSum(
        rows m: Int, columns n: Int, a: UnsafePointer<Float>, weights x: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), 1, a, Int32(n), x, 1, 0, y, 1)
    }

    /// The same sum over a block of columns of a wider matrix whose rows are `lda` floats apart.
    @inlinable
    public static func weightedRowSum(
        rows m: Int, columns n: Int, a: UnsafePointer<Float>, lda: Int, weights x: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), 1, a, Int32(lda), x, 1, 0, y, 1)
    }

    /// y ← α·A·x + β·y (A: rows × columns, row-major, rows `lda` floats apart; nil: `columns`),
    /// or with Aᵀ when `transpose`.
    public static func gemv(
        rows m: Int, columns n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int? = nil, transpose: Bool = false,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda ?? n),
                    x, 1, beta, y, 1)
    }
}
