import CRBMKernels
#if canImport(Glibc)
import Glibc
#endif

/// Products whose left operand holds sampled binary units, computed as sums of rows.
///
/// When every entry of op(A) (m × k) is 0 or 1, row i of op(A)·B is
///
///     (op(A)·B)[i, :] = Σ_{q : op(A)[i, q] = 1} B[q, :],
///
/// which costs (ones in row i) × n additions instead of k × n multiply-adds. Three of an
/// update's four products have such an operand: the data v⁰ (binarized), the chains' sampled
/// visible units vᵏ (both times W), and the statistic G = [v⁰; vᵏ]ᵀ [P(h|v⁰); −P(h|vᵏ)]; so do
/// AIS's and the samplers' products with sampled visible units. On binarized MNIST about 13 %
/// of the pixels are on, and these products run 3–3.6× faster than OpenBLAS's SGEMM on the same
/// shapes (AMD EPYC, Zen 5, one core: 100 × 784 by 784 × 250, 333 µs → 103 µs with the index
/// lists built; G's 784 × 200 by 200 × 250, 640 → 178 µs; 5 × 784 by 784 × 128, 24 → 2.6 µs).
/// At 20 % of entries on the gain is about 2×; at 30 % little remains, and above that SGEMM is
/// faster, so a product goes by sums only when at most `maximumDensity` of op(A) is 1.
///
/// **Reference rows.** A row a of op(A) that differs from a reference row r in fewer columns
/// than it has ones is cheaper from r's product, formed once per product:
///
///     a·B = r·B + Σ_{q: a_q = 1, r_q = 0} B[q, :] − Σ_{q: a_q = 0, r_q = 1} B[q, :].
///
/// The references are op(A)'s majority row (r_q = 1 where more than half of its rows have a 1)
/// and the row of all ones; a row takes one only when that reads at most ¾ of the rows of B
/// its ones would, and a reference is formed only when its rows save more reads than it
/// costs. One-hot (categorical) units are where this pays: every group's background state is
/// on in most rows, so a sample of 196 groups × 4 states, one 1 per group, differs from the
/// majority row only in the groups off their background (two columns each), and in the
/// statistic a background state's column of [v⁰; vᵏ]ᵀ is all the rows of P but a few. On
/// binarized MNIST no row qualifies (13 % of pixels on, no pixel on in most images), so
/// Bernoulli units' products are the plain sums, bit for bit.
///
/// Which way a product goes depends on its operand's values alone, never on the number of
/// workers or ranks: the trainer's bit-identity across workers, ranks and resumption holds. The
/// sums add B's rows in ascending order from zero and then form alpha·sum (+ beta·C) without
/// fused multiply-adds, in the AVX2 path and in the portable one alike, so their results are
/// the same to the bit on any x86-64 CPU. They differ from SGEMM's in the last bits (SGEMM
/// groups the terms differently). `RBM_BINARY_PRODUCTS=dense` in the environment turns the
/// route off, for comparisons.
public enum BinaryProducts {
    /// The largest fraction of op(A)'s entries that may be 1 for a product to go by sums of rows.
    public static let maximumDensity: Float = 0.3

    /// False when `RBM_BINARY_PRODUCTS=dense` is set: every product goes to BLAS.
    public static let isEnabled: Bool = {
        guard let value = getenv("RBM_BINARY_PRODUCTS") else { return true }
        return String(cString: value).lowercased() != "dense"
    }()

    /// One line for benchmarks and logs.
    public static var summary: String {
        isEnabled
            ? "products with a 0/1 operand at most \(Int(maximumDensity * 100)) % ones: sums of rows (\(String(cString: rbm_binary_gemm_path()))"
                + (usesReferenceRows ? ", reference rows)" : ", RBM_BINARY_REFERENCES=off)")
            : "products with a 0/1 operand: BLAS (RBM_BINARY_PRODUCTS=dense)"
    }

    /// Row-major C[m×n] = alpha · op(A) · B + beta · C by sums of rows, with `cblas_sgemm`'s
    /// leading dimensions, when op(A) is 0/1 with at most `maximumDensity` ones. Returns false,
    /// leaving C untouched, otherwise (and when the route is off).
    public static func gemm(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        maximumDensity: Float = BinaryProducts.maximumDensity
    ) -> Bool {
        guard isEnabled else { return false }
        return rbm_binary_gemm(transposeA ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maximumDensity) == 1
    }

    /// Centering's vectors for `gemmWithMomentumStep`: μ and S_b = Σ(v⁰ − vᵏ) along C's rows,
    /// S_c = Σ(P(h|v⁰) − P(h|vᵏ)) and λ along its columns, each from where C's rows or columns
    /// start (`DataParallelTrainer+CentredBlocks.swift`).
    public struct Centring {
        public var rowOffsets: UnsafePointer<Float>, rowSums: UnsafePointer<Float>
        public var columnSums: UnsafePointer<Float>, columnOffsets: UnsafePointer<Float>

        public init(rowOffsets: UnsafePointer<Float>, rowSums: UnsafePointer<Float>, columnSums: UnsafePointer<Float>,
                    columnOffsets: UnsafePointer<Float>) {
            (self.rowOffsets, self.rowSums, self.columnSums, self.columnOffsets) = (rowOffsets, rowSums, columnSums, columnOffsets)
        }
    }

    /// The same product written into the velocity Δ (C = Δ: `beta` is the momentum, `alpha`
    /// ε/B), then in the same pass Δ ← Δ − decay·θ and θ ← θ + Δ on the parameters θ (rows
    /// `ldp` floats apart): `gemm` followed by `ParameterUpdate.decayAndApply`, the same
    /// operations in the same order, without writing Δ and reading it back. With `centring`,
    /// Δ_ij ← Δ_ij − alpha·(μ_i·S_c_j + S_b_i·λ_j) comes first — centering's correction of the
    /// weight statistic, scaled like it. Returns false, touching neither, when the product does
    /// not go by sums of rows.
    public static func gemmWithMomentumStep(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int, beta: Float,
        velocity: UnsafeMutablePointer<Float>, ldv: Int,
        parameters: UnsafeMutablePointer<Float>, ldp: Int, decay: Float, centring: Centring? = nil,
        maximumDensity: Float = BinaryProducts.maximumDensity
    ) -> Bool {
        guard isEnabled else { return false }
        return rbm_binary_gemm_momentum(transposeA ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, velocity, ldv,
                                        parameters, ldp, decay, centring?.rowOffsets, centring?.rowSums,
                                        centring?.columnSums, centring?.columnOffsets, maximumDensity) == 1
    }

    /// Forces the portable path (`true`) or the CPU's best (`false`) on the calling thread, for
    /// tests that hold the two to the same bits (other threads keep their own choice).
    public static func forcePortablePath(_ force: Bool) {
        rbm_binary_gemm_force_portable(force ? 1 : 0)
    }

    /// Turns reference rows (above) on or off for products computed on the calling thread (nil:
    /// as the process says — on, unless `RBM_BINARY_REFERENCES=off` is set), for tests and
    /// comparisons.
    public static func useReferenceRows(_ enabled: Bool?) {
        rbm_binary_gemm_use_references(enabled.map { $0 ? 1 : 0 } ?? -1)
    }

    /// Whether rows may start from a reference row's sum (on the calling thread).
    public static var usesReferenceRows: Bool { rbm_binary_gemm_uses_references() == 1 }

    /// "avx2" or "portable": the path products take on this CPU now, on the calling thread.
    public static var path: String { String(cString: rbm_binary_gemm_path()) }
}
