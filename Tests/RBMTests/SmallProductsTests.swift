import Foundation
import Testing
import RBM

/// `BLAS.gemm` with BLIS computing the products that have a thin side (`SmallProducts`): every
/// transpose, sub-matrix strides, alpha and beta, on both sides of the threshold, held to a
/// double-precision product written out here; and BLIS really in use where it is installed.
@Suite struct SmallProductsTests {
    /// op(A)·op(B) element by element in Double, from the row-major storage `BLAS.gemm` takes.
    static func referenceProduct(m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int, transposeA: Bool,
                                 b: [Float], ldb: Int, transposeB: Bool, beta: Float, c: [Float], ldc: Int) -> [Double] {
        var result = c.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let left = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let right = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(left) * Double(right)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                result[i * ldc + j] = Double(alpha) * sum + previous
            }
        }
        return result
    }

    /// A's, B's and C's storage with 3 floats of padding per row (the strides of a block of a
    /// wider matrix), filled with values keyed by `seed`.
    static func check(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float,
                      seed: UInt64) {
        let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 3, ldc = n + 3
        let stream = RandomStream(seed: seed, purpose: .evaluation)
        func values(_ count: Int, row: UInt32) -> [Float] {
            (0..<count).map { Float(stream.normal(row: row, index: UInt32($0))) }
        }
        let a = values((transposeA ? k : m) * lda, row: 0)
        let b = values((transposeB ? n : k) * ldb, row: 1)
        var c = values(m * ldc, row: 2)
        let expected = referenceProduct(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, transposeA: transposeA,
                                        b: b, ldb: ldb, transposeB: transposeB, beta: beta, c: c, ldc: ldc)
        if beta == 0 {
            // beta = 0 overwrites C without reading it: NaNs there must not leak into the product.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = .nan } }
        }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    BLAS.gemm(m: m, n: n, k: k, alpha: alpha, a: a.baseAddress!, lda: lda, transposeA: transposeA,
                              b: b.baseAddress!, ldb: ldb, transposeB: transposeB, beta: beta,
                              c: c.baseAddress!, ldc: ldc)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<ldc {
                let index = i * ldc + j
                if j < n {
                    // Float rounding of k products of unit normals: well inside 1e-4 · √k · scale.
                    let tolerance = 1e-5 * Double(k) + 1e-5
                    #expect(abs(Double(c[index]) - expected[index]) <= tolerance,
                            "m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB) α \(alpha) β \(beta): C[\(i),\(j)] = \(c[index]), expected \(expected[index])")
                } else {
                    // The padding between C's rows is not C's: left exactly as it was.
                    #expect(c[index].bitPattern == Float(expected[index]).bitPattern, "padding C[\(i),\(j)] changed")
                }
            }
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func thinProductsEqualTheProductWrittenOut(transposeA: Bool, transposeB: Bool) {
        // The trainer's shapes at batch 5 (v·W, h·Wᵀ, the statistics [v; v']ᵀ[h; −h']), one row,
        // and the threshold's two sides (32 goes to BLIS, 33 to OpenBLAS).
        let shapes = [(5, 40, 78), (5, 78, 40), (78, 40, 10), (1, 50, 30), (32, 64, 48), (33, 64, 48), (48, 40, 33)]
        for (index, (m, n, k)) in shapes.enumerated() {
            Self.check(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0,
                       seed: UInt64(index))
            Self.check(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: 0.03, beta: 0.9,
                       seed: UInt64(100 + index))
        }
    }

    @Test func blisComputesThinProductsWhereTheCPUAllowsIt() throws {
        let environment = ProcessInfo.processInfo.environment
        let flags = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        guard flags.contains("avx2"), flags.contains("fma"), environment["RBM_SMALL_PRODUCTS"] == nil else {
            #expect(!SmallProducts.isActive, "\(SmallProducts.summary)")
            return
        }
        let library = environment["RBM_BLIS_LIBRARY"] ?? "/usr/lib/x86_64-linux-gnu/blis-serial/libblis.so.4"
        try #require(FileManager.default.fileExists(atPath: library),
                     "\(library) is missing: `make deps` installs libblis4-serial")
        #expect(SmallProducts.isActive, "\(SmallProducts.summary)")
        #expect(SmallProducts.summary.contains("BLIS"), "\(SmallProducts.summary)")
    }
}
