import Foundation
import Testing
import RBM

/// Products with a 0/1 left operand computed as sums of rows (`BinaryProducts`, the route
/// `BLAS.gemm` takes first): held to the sums written out here in the order the route promises
/// (bit for bit), to a double-precision product, to SGEMM's strides, alpha and beta; the AVX2 and
/// portable paths to the same bits; and the route refused (C untouched) for values other than
/// 0 and 1 or too many ones.
@Suite struct BinaryProductsTests {
    struct Operands {
        var m: Int, n: Int, k: Int
        var transposeA: Bool
        var lda: Int, ldb: Int, ldc: Int
        var a: [Float], b: [Float], c: [Float]
    }

    /// A 0/1 operand with about `density` ones, B from unit normals, C from normals; every
    /// matrix with 3 floats of padding per row (a block of a wider matrix).
    static func operands(m: Int, n: Int, k: Int, transposeA: Bool, density: Double, seed: UInt64) -> Operands {
        let lda = (transposeA ? m : k) + 3, ldb = n + 3, ldc = n + 3
        let stream = RandomStream(seed: seed, purpose: .evaluation)
        let a = (0..<((transposeA ? k : m) * lda)).map { index -> Float in
            Double(stream.bits64(row: 0, index: UInt32(index)) >> 11) / 0x1p53 < density ? 1 : 0
        }
        let b = (0..<(k * ldb)).map { Float(stream.normal(row: 1, index: UInt32($0))) }
        let c = (0..<(m * ldc)).map { Float(stream.normal(row: 2, index: UInt32($0))) }
        return Operands(m: m, n: n, k: k, transposeA: transposeA, lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, c: c)
    }

    /// C as the route defines it: for each element, B's rows where op(A) is 1 added in
    /// ascending order from 0 in Float, then alpha·sum, + beta·C unless beta is 0.
    static func sumsWrittenOut(_ x: Operands, alpha: Float, beta: Float) -> [Float] {
        var c = x.c
        for i in 0..<x.m {
            for j in 0..<x.n {
                var sum: Float = 0
                for q in 0..<x.k where (x.transposeA ? x.a[q * x.lda + i] : x.a[i * x.lda + q]) == 1 {
                    sum = sum + x.b[q * x.ldb + j]
                }
                let scaled = alpha * sum
                c[i * x.ldc + j] = beta == 0 ? scaled : scaled + beta * x.c[i * x.ldc + j]
            }
        }
        return c
    }

    /// Runs `BinaryProducts.gemm` on a copy of C (NaN where beta = 0 must not read it).
    static func run(_ x: Operands, alpha: Float, beta: Float, maximumDensity: Float = BinaryProducts.maximumDensity)
        -> (done: Bool, c: [Float]) {
        var c = x.c
        if beta == 0 { for i in 0..<x.m { for j in 0..<x.n { c[i * x.ldc + j] = .nan } } }
        let done = x.a.withUnsafeBufferPointer { a in
            x.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    BinaryProducts.gemm(m: x.m, n: x.n, k: x.k, alpha: alpha, a: a.baseAddress!, lda: x.lda,
                                        transposeA: x.transposeA, b: b.baseAddress!, ldb: x.ldb, beta: beta,
                                        c: c.baseAddress!, ldc: x.ldc, maximumDensity: maximumDensity)
                }
            }
        }
        return (done, c)
    }

    /// The trainer's shapes (v·W_b at batch 100 and 5, the statistic's [v⁰; vᵏ]ᵀ·P) and column
    /// counts on every side of the 64-column tiles and 8-column vectors.
    static let shapes = [(100, 250, 784), (5, 128, 784), (7, 64, 50), (9, 65, 40), (3, 1, 33), (4, 7, 20),
                         (6, 71, 100), (2, 130, 64)]

    @Test(arguments: [false, true])
    func sumsOfRowsEqualTheSumsWrittenOutToTheBit(transposeA: Bool) {
        for (index, (m, n, k)) in Self.shapes.enumerated() {
            let (rows, inner) = transposeA ? (k, m) : (m, k)   // the statistic's shape is 784 × 2n
            let x = Self.operands(m: rows, n: n, k: inner, transposeA: transposeA, density: 0.13, seed: UInt64(index))
            for (alpha, beta) in [(Float(1), Float(0)), (0.03, 0.9), (-0.5, 1)] {
                let (done, c) = Self.run(x, alpha: alpha, beta: beta)
                #expect(done, "\(rows)×\(inner) by \(inner)×\(n): the route was refused")
                let expected = Self.sumsWrittenOut(x, alpha: alpha, beta: beta)
                // Every element, and the padding between C's rows, to the bit.
                let differing = zip(c, expected).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "m \(rows) n \(n) k \(inner) tA \(transposeA) α \(alpha) β \(beta): \(differing) elements differ")
            }
        }
    }

    @Test func sumsOfRowsEqualTheDoublePrecisionProduct() {
        // Independent of the order promise: the product itself, as SGEMM would compute it.
        for transposeA in [false, true] {
            let x = Self.operands(m: 40, n: 90, k: 300, transposeA: transposeA, density: 0.25, seed: 7)
            let (done, c) = Self.run(x, alpha: 0.25, beta: 0.5)
            #expect(done)
            let reference = SmallProductsTests.referenceProduct(
                m: x.m, n: x.n, k: x.k, alpha: 0.25, a: x.a, lda: x.lda, transposeA: transposeA,
                b: x.b, ldb: x.ldb, transposeB: false, beta: 0.5, c: x.c, ldc: x.ldc)
            for i in 0..<x.m {
                for j in 0..<x.n {
                    #expect(abs(Double(c[i * x.ldc + j]) - reference[i * x.ldc + j]) < 1e-4,
                            "C[\(i),\(j)] = \(c[i * x.ldc + j]), expected \(reference[i * x.ldc + j])")
                }
            }
        }
    }

    /// Tests run at once in one process: forcing the portable path on one thread must leave the
    /// others on theirs (a global switch had let one test's comparison run on the other's path).
    @Test func forcingThePortablePathHoldsOnItsThreadAlone() {
        let best = BinaryProducts.path
        BinaryProducts.forcePortablePath(true)
        defer { BinaryProducts.forcePortablePath(false) }
        #expect(BinaryProducts.path == "portable")
        #expect(onAnotherThread { BinaryProducts.path } == best)
        #expect(onAnotherThread { () -> String in
            BinaryProducts.forcePortablePath(true)
            return BinaryProducts.path
        } == "portable")
    }

    @Test func theAVX2AndPortablePathsGiveTheSameBits() throws {
        let hasAVX2 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx2") ?? false
        #if arch(x86_64)
        // Where the CPU has AVX2 the fast path is the one in use, so the comparison below is real.
        #expect(BinaryProducts.path == (hasAVX2 ? "avx2" : "portable"))
        #endif
        for (index, (m, n, k)) in Self.shapes.enumerated() {
            for transposeA in [false, true] {
                let x = Self.operands(m: m, n: n, k: k, transposeA: transposeA, density: 0.2, seed: UInt64(50 + index))
                let fast = Self.run(x, alpha: 0.1, beta: 0.7)
                BinaryProducts.forcePortablePath(true)
                let portable = Self.run(x, alpha: 0.1, beta: 0.7)
                BinaryProducts.forcePortablePath(false)
                #expect(fast.done && portable.done)
                #expect(zip(fast.c, portable.c).allSatisfy { $0.bitPattern == $1.bitPattern },
                        "m \(m) n \(n) k \(k) tA \(transposeA): the paths differ")
            }
        }
    }

    @Test(arguments: [false, true])
    func theRouteIsRefusedForOtherValuesAndLeavesCUntouched(transposeA: Bool) {
        var x = Self.operands(m: 12, n: 20, k: 40, transposeA: transposeA, density: 0.1, seed: 3)
        // One probability among the zeros and ones, in the last element op(A) reads.
        let last = transposeA ? (x.k - 1) * x.lda + (x.m - 1) : (x.m - 1) * x.lda + (x.k - 1)
        for value in [Float(0.5), -1, .nan, .infinity] {
            x.a[last] = value
            let (done, c) = Self.run(x, alpha: 1, beta: 1)
            #expect(!done, "A holding \(value) went by sums of rows")
            #expect(zip(c, x.c).allSatisfy { $0.bitPattern == $1.bitPattern }, "C changed though the route was refused")
        }
        // −0 is a zero.
        x.a[last] = -0.0
        #expect(Self.run(x, alpha: 1, beta: 0).done)
    }

    @Test(arguments: [false, true])
    func theRouteIsRefusedAboveTheDensityLimit(transposeA: Bool) {
        let x = Self.operands(m: 10, n: 16, k: 50, transposeA: transposeA, density: 0.3, seed: 4)
        let ones = x.a.filter { $0 == 1 }.count   // the padding holds draws too: count op(A) alone
        var inOpA = 0
        for i in 0..<x.m { for q in 0..<x.k where (transposeA ? x.a[q * x.lda + i] : x.a[i * x.lda + q]) == 1 { inOpA += 1 } }
        #expect(ones >= inOpA && inOpA > 0)
        // A limit half a one above the count admits it; half a one below refuses it.
        let total = Float(x.m * x.k)
        #expect(Self.run(x, alpha: 1, beta: 0, maximumDensity: (Float(inOpA) + 0.5) / total).done, "at the limit")
        let refused = Self.run(x, alpha: 1, beta: 1, maximumDensity: (Float(inOpA) - 0.5) / total)
        #expect(!refused.done, "one above the limit")
        #expect(zip(refused.c, x.c).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    /// `BinaryProducts.gemmWithMomentumStep` with alpha 0.01 on copies of Δ (= C) and θ.
    static func runFused(_ x: Operands, theta: [Float], momentum: Float, decay: Float)
        -> (done: Bool, velocity: [Float], theta: [Float]) {
        var velocity = x.c, theta = theta
        let done = x.a.withUnsafeBufferPointer { a in
            x.b.withUnsafeBufferPointer { b in
                velocity.withUnsafeMutableBufferPointer { v in
                    theta.withUnsafeMutableBufferPointer { t in
                        BinaryProducts.gemmWithMomentumStep(
                            m: x.m, n: x.n, k: x.k, alpha: 0.01, a: a.baseAddress!, lda: x.lda, transposeA: x.transposeA,
                            b: b.baseAddress!, ldb: x.ldb, beta: momentum, velocity: v.baseAddress!, ldv: x.ldc,
                            parameters: t.baseAddress!, ldp: x.ldc, decay: decay)
                    }
                }
            }
        }
        return (done, velocity, theta)
    }

    /// The rest of the momentum rule after the product, element by element: Δ ← Δ − decay·θ,
    /// θ ← θ + Δ.
    static func momentumRuleWrittenOut(_ x: Operands, velocity: [Float], theta: [Float], decay: Float)
        -> (velocity: [Float], theta: [Float]) {
        var velocity = velocity, theta = theta
        for i in 0..<x.m {
            for j in 0..<x.n {
                let index = i * x.ldc + j
                let step = velocity[index] - decay * theta[index]
                velocity[index] = step
                theta[index] = theta[index] + step
            }
        }
        return (velocity, theta)
    }

    @Test(arguments: [false, true])
    func theFusedMomentumStepEqualsTheProductThenTheRuleToTheBit(transposeA: Bool) {
        // Δ ← (ε/B)·op(A)·P + μΔ, then Δ ← Δ − ελθ, θ ← θ + Δ written out here after the plain
        // route, against the fused kernel; strided rows (a block of W's columns) and a masked tail.
        for (m, n, k) in Self.momentumShapes(transposeA: transposeA) {
            let x = Self.operands(m: m, n: n, k: k, transposeA: transposeA, density: 0.15, seed: 21)
            let stream = RandomStream(seed: 22, purpose: .evaluation)
            let theta = (0..<(m * x.ldc)).map { Float(stream.normal(row: 0, index: UInt32($0))) * 0.1 }
            for (momentum, decay) in [(Float(0.5), Float(1e-5)), (0, 0)] {
                let fused = Self.runFused(x, theta: theta, momentum: momentum, decay: decay)
                #expect(fused.done)
                let (expectedVelocity, expectedTheta) = Self.momentumRuleWrittenOut(
                    x, velocity: Self.sumsWrittenOut(x, alpha: 0.01, beta: momentum), theta: theta, decay: decay)
                #expect(zip(fused.velocity, expectedVelocity).allSatisfy { $0.bitPattern == $1.bitPattern }, "Δ, μ \(momentum)")
                #expect(zip(fused.theta, expectedTheta).allSatisfy { $0.bitPattern == $1.bitPattern }, "θ, μ \(momentum)")
            }
            // Refused (a value that is not 0 or 1): neither Δ nor θ changes.
            var dense = x
            dense.a[0] = 0.5
            let refused = Self.runFused(dense, theta: theta, momentum: 0.5, decay: 1e-5)
            #expect(!refused.done && refused.velocity == x.c && refused.theta == theta)
        }
    }

    /// Shapes (m, n, k) for the momentum kernels, in both of the kernel's orders: k = 200 with
    /// B beyond the L1 cache (60 KB), formed a tile of 32 columns at a time (2 tiles and a masked
    /// rest of 11); then row by row, B within L1 (k = 40 or 90) and k = 300.
    static func momentumShapes(transposeA: Bool) -> [(Int, Int, Int)] {
        [(90, 75, 200), transposeA ? (90, 75, 40) : (40, 75, 90), (30, 75, 300)]
    }

    /// Centering's vectors for the centred kernel: μ and S_b per row of C, S_c and λ per column.
    struct Centring { var rowOffsets: [Float], rowSums: [Float], columnSums: [Float], columnOffsets: [Float] }

    /// `BinaryProducts.gemmWithMomentumStep` with centring, alpha 0.01, on copies of Δ (= C) and θ.
    static func runCentred(_ x: Operands, theta: [Float], momentum: Float, decay: Float, centring z: Centring)
        -> (done: Bool, velocity: [Float], theta: [Float]) {
        var velocity = x.c, theta = theta
        // The four vectors in one buffer, so that the pointers outlive the call.
        let vectors = z.rowOffsets + z.rowSums + z.columnSums + z.columnOffsets
        let done = vectors.withUnsafeBufferPointer { vectors in
            let base = vectors.baseAddress!
            let centring = BinaryProducts.Centring(rowOffsets: base, rowSums: base + x.m, columnSums: base + 2 * x.m,
                                                   columnOffsets: base + 2 * x.m + x.n)
            return velocity.withUnsafeMutableBufferPointer { v in
                theta.withUnsafeMutableBufferPointer { t in
                    BinaryProducts.gemmWithMomentumStep(
                        m: x.m, n: x.n, k: x.k, alpha: 0.01, a: x.a, lda: x.lda, transposeA: x.transposeA, b: x.b,
                        ldb: x.ldb, beta: momentum, velocity: v.baseAddress!, ldv: x.ldc, parameters: t.baseAddress!,
                        ldp: x.ldc, decay: decay, centring: centring)
                }
            }
        }
        return (done, velocity, theta)
    }

    /// Centred: Δ ← (ε/B)·op(A)·P + μΔ, then Δ ← Δ − (ε/B)(μ_i·S_c_j + S_b_i·λ_j), Δ ← Δ − ελθ,
    /// θ ← θ + Δ, written out element by element after the plain route — against the kernel on
    /// the CPU's path and on the portable one.
    @Test(arguments: [false, true])
    func theCentredMomentumStepEqualsTheRuleWrittenOutToTheBit(transposeA: Bool) {
        for (m, n, k) in Self.momentumShapes(transposeA: transposeA) {
            let x = Self.operands(m: m, n: n, k: k, transposeA: transposeA, density: 0.15, seed: 23)
            let stream = RandomStream(seed: 24, purpose: .evaluation)
            func values(_ row: UInt32, _ count: Int, _ scale: Float) -> [Float] {
                (0..<count).map { Float(stream.normal(row: row, index: UInt32($0))) * scale }
            }
            let theta = values(0, m * x.ldc, 0.1)
            let centring = Centring(rowOffsets: values(1, m, 0.3), rowSums: values(2, m, 5),
                                    columnSums: values(3, n, 5), columnOffsets: values(4, n, 0.3))
            var velocity = Self.sumsWrittenOut(x, alpha: 0.01, beta: 0.5), expectedTheta = theta
            for i in 0..<m {
                for j in 0..<n {
                    let index = i * x.ldc + j
                    let centred = velocity[index] - 0.01 * (centring.rowOffsets[i] * centring.columnSums[j]
                                                              + centring.rowSums[i] * centring.columnOffsets[j])
                    velocity[index] = centred - 1e-5 * theta[index]
                    expectedTheta[index] = theta[index] + velocity[index]
                }
            }
            for portable in [false, true] {
                BinaryProducts.forcePortablePath(portable)
                let fused = Self.runCentred(x, theta: theta, momentum: 0.5, decay: 1e-5, centring: centring)
                BinaryProducts.forcePortablePath(false)
                #expect(fused.done)
                #expect(zip(fused.velocity, velocity).allSatisfy { $0.bitPattern == $1.bitPattern }, "Δ, portable \(portable)")
                #expect(zip(fused.theta, expectedTheta).allSatisfy { $0.bitPattern == $1.bitPattern }, "θ, portable \(portable)")
            }
        }
    }

    @Test func blasGEMMTakesTheRouteForSparseBinaryOperandsOnly() {
        guard BinaryProducts.isEnabled else { return }
        // Sparse 0/1 A: BLAS.gemm's result is the sums' to the bit. Dense 0/1 A (60 % ones):
        // SGEMM's, which groups the terms differently, so at least one element's bits differ.
        for (density, routed) in [(0.1, true), (0.6, false)] {
            let x = Self.operands(m: 50, n: 96, k: 400, transposeA: false, density: density, seed: 11)
            var c = x.c
            x.a.withUnsafeBufferPointer { a in
                x.b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(m: x.m, n: x.n, k: x.k, alpha: 1, a: a.baseAddress!, lda: x.lda,
                                  b: b.baseAddress!, ldb: x.ldb, beta: 0, c: c.baseAddress!, ldc: x.ldc)
                    }
                }
            }
            let sums = Self.sumsWrittenOut(x, alpha: 1, beta: 0)
            let same = zip(c, sums).allSatisfy { $0.bitPattern == $1.bitPattern }
            #expect(same == routed, "density \(density): BLAS.gemm \(same ? "equals" : "differs from") the sums")
        }
    }
}
