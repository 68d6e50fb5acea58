import Foundation
import Testing
import RBM

/// Reference rows in the sums of rows (`BinaryProducts`): one-hot operands, where rows start
/// from the majority row's or the all-ones row's sum, are held to the double-precision product,
/// the AVX2 and portable paths to the same bits, column blocks of B to the whole product's
/// bits (hidden blocks), the fused momentum step to the product then the rule; and operands no
/// reference helps (binarized-MNIST-like) to the plain sums, bit for bit.
@Suite struct ReferenceRowsTests {
    typealias Operands = BinaryProductsTests.Operands

    /// `samples` rows of `groups` one-hot groups of `states` columns, each group in state 0 (its
    /// background) with probability `background`, else uniform over the others; as op(A)
    /// directly (m = samples) or as the statistic's op(A) = Aᵀ (m = columns, k = samples).
    static func oneHot(samples: Int, groups: Int, states: Int, background: Double, n: Int, transposeA: Bool,
                       seed: UInt64) -> Operands {
        let columns = groups * states
        let (m, k) = transposeA ? (columns, samples) : (samples, columns)
        let lda = (transposeA ? m : k) + 3, ldb = n + 3, ldc = n + 3
        let stream = RandomStream(seed: seed, purpose: .evaluation)
        var a = [Float](repeating: 0, count: (transposeA ? k : m) * lda)
        for sample in 0..<samples {
            for group in 0..<groups {
                let u = Double(stream.bits64(row: 0, index: UInt32(sample * groups + group)) >> 11) / 0x1p53
                let state = u < background ? 0 : 1 + min(states - 2, Int((u - background) / (1 - background) * Double(states - 1)))
                a[sample * lda + group * states + state] = 1   // stored row = sample either way
            }
        }
        let b = (0..<(k * ldb)).map { Float(stream.normal(row: 1, index: UInt32($0))) }
        let c = (0..<(m * ldc)).map { Float(stream.normal(row: 2, index: UInt32($0))) }
        return Operands(m: m, n: n, k: k, transposeA: transposeA, lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, c: c)
    }

    /// Runs the product with reference rows on or off on this thread.
    static func run(_ x: Operands, alpha: Float, beta: Float, references: Bool) -> (done: Bool, c: [Float]) {
        BinaryProducts.useReferenceRows(references)
        defer { BinaryProducts.useReferenceRows(nil) }
        return BinaryProductsTests.run(x, alpha: alpha, beta: beta)
    }

    /// The trainer's categorical shapes: v·W (100 samples × 196 groups of 4 → a block of 250
    /// hidden units) and the statistic (784 columns × 200 samples), and small odd ones (at
    /// least 4 states: the route takes at most 30 % ones).
    static let cases: [(samples: Int, groups: Int, states: Int, n: Int)] = [
        (100, 196, 4, 250), (200, 196, 4, 250), (30, 20, 4, 71), (50, 12, 5, 8), (40, 7, 4, 65),
    ]

    @Test(arguments: [false, true])
    func referenceRowsGiveTheDoublePrecisionProductAndDifferFromThePlainSums(transposeA: Bool) {
        for (index, shape) in Self.cases.enumerated() {
            let x = Self.oneHot(samples: shape.samples, groups: shape.groups, states: shape.states, background: 0.8,
                                n: shape.n, transposeA: transposeA, seed: UInt64(100 + index))
            let with = Self.run(x, alpha: 0.5, beta: 0.25, references: true)
            let without = Self.run(x, alpha: 0.5, beta: 0.25, references: false)
            #expect(with.done && without.done)
            // Off, the plain sums as written out (the switch really turns them off) …
            let plain = BinaryProductsTests.sumsWrittenOut(x, alpha: 0.5, beta: 0.25)
            #expect(zip(without.c, plain).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(shape): off is not the plain sums")
            // … on, another order of the terms (so the references were taken) …
            #expect(zip(with.c, plain).contains { $0.bitPattern != $1.bitPattern }, "\(shape) tA \(transposeA): no row took a reference")
            // … and the same product.
            let exact = SmallProductsTests.referenceProduct(
                m: x.m, n: x.n, k: x.k, alpha: 0.5, a: x.a, lda: x.lda, transposeA: transposeA,
                b: x.b, ldb: x.ldb, transposeB: false, beta: 0.25, c: x.c, ldc: x.ldc)
            var worst = 0.0
            for i in 0..<x.m { for j in 0..<x.n { worst = max(worst, abs(Double(with.c[i * x.ldc + j]) - exact[i * x.ldc + j])) } }
            #expect(worst < 2e-4, "\(shape) tA \(transposeA): off the double-precision product by \(worst)")
            // The padding between C's rows is not written.
            for i in 0..<x.m { for j in x.n..<x.ldc { #expect(with.c[i * x.ldc + j].bitPattern == x.c[i * x.ldc + j].bitPattern) } }
        }
    }

    @Test func theAVX2AndPortablePathsTakeTheSameReferencesToTheBit() {
        for (index, shape) in Self.cases.enumerated() {
            for transposeA in [false, true] {
                let x = Self.oneHot(samples: shape.samples, groups: shape.groups, states: shape.states, background: 0.75,
                                    n: shape.n, transposeA: transposeA, seed: UInt64(200 + index))
                let fast = Self.run(x, alpha: 0.1, beta: 0.7, references: true)
                BinaryProducts.forcePortablePath(true)
                let portable = Self.run(x, alpha: 0.1, beta: 0.7, references: true)
                BinaryProducts.forcePortablePath(false)
                #expect(fast.done && portable.done)
                #expect(zip(fast.c, portable.c).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(shape) tA \(transposeA): the paths differ")
            }
        }
    }

    /// Columns start ..< start + width of a row-major matrix, rows width + 3 floats apart.
    static func columns(_ matrix: [Float], rows: Int, stride: Int, start: Int, width: Int) -> [Float] {
        var block = [Float](repeating: 0, count: rows * (width + 3))
        for row in 0..<rows {
            for column in 0..<width { block[row * (width + 3) + column] = matrix[row * stride + start + column] }
        }
        return block
    }

    @Test(arguments: [false, true])
    func aBlockOfBsColumnsGetsTheWholeProductsBits(transposeA: Bool) {
        // Hidden blocks compute each block of W's columns on its own: the plan must not depend on n.
        let x = Self.oneHot(samples: 100, groups: 196, states: 4, background: 0.8, n: 250, transposeA: transposeA, seed: 7)
        let whole = Self.run(x, alpha: 1, beta: 0, references: true)
        for (start, width) in [(0, 128), (128, 122), (64, 8), (249, 1)] {
            var block = x
            block.n = width
            block.ldb = width + 3
            block.ldc = width + 3
            block.b = Self.columns(x.b, rows: x.k, stride: x.ldb, start: start, width: width)
            block.c = Self.columns(x.c, rows: x.m, stride: x.ldc, start: start, width: width)
            let part = Self.run(block, alpha: 1, beta: 0, references: true)
            #expect(part.done)
            let same = (0..<x.m).allSatisfy { i in
                (0..<width).allSatisfy { j in part.c[i * block.ldc + j].bitPattern == whole.c[i * x.ldc + start + j].bitPattern }
            }
            #expect(same, "columns \(start)..<\(start + width), tA \(transposeA)")
        }
    }

    @Test(arguments: [false, true])
    func theFusedMomentumStepWithReferencesEqualsTheProductThenTheRule(transposeA: Bool) {
        let x = Self.oneHot(samples: 60, groups: 40, states: 4, background: 0.8, n: 75, transposeA: transposeA, seed: 9)
        let stream = RandomStream(seed: 10, purpose: .evaluation)
        let theta = (0..<(x.m * x.ldc)).map { Float(stream.normal(row: 0, index: UInt32($0))) * 0.1 }
        let (momentum, decay): (Float, Float) = (0.5, 1e-4)
        BinaryProducts.useReferenceRows(true)
        defer { BinaryProducts.useReferenceRows(nil) }
        let fused = BinaryProductsTests.runFused(x, theta: theta, momentum: momentum, decay: decay)
        #expect(fused.done)
        let (velocity, expectedTheta) = BinaryProductsTests.momentumRuleWrittenOut(
            x, velocity: BinaryProductsTests.run(x, alpha: 0.01, beta: momentum).c, theta: theta, decay: decay)
        #expect(zip(fused.velocity, velocity).allSatisfy { $0.bitPattern == $1.bitPattern }, "Δ")
        #expect(zip(fused.theta, expectedTheta).allSatisfy { $0.bitPattern == $1.bitPattern }, "θ")
    }

    @Test(arguments: [false, true])
    func sparseOrSmallOperandsKeepThePlainSumsBits(transposeA: Bool) {
        // 13 % ones scattered at random (binarized MNIST's density): no column is on in most
        // rows and no row is mostly ones, so every row sums its ones from 0, as before.
        for (index, (m, n, k)) in [(100, 250, 784), (5, 128, 784), (6, 71, 100)].enumerated() {
            let (rows, inner) = transposeA ? (k, 2 * m) : (m, k)
            let x = BinaryProductsTests.operands(m: rows, n: n, k: inner, transposeA: transposeA, density: 0.13,
                                                 seed: UInt64(300 + index))
            let with = Self.run(x, alpha: 0.03, beta: 0.9, references: true)
            let plain = BinaryProductsTests.sumsWrittenOut(x, alpha: 0.03, beta: 0.9)
            #expect(with.done && zip(with.c, plain).allSatisfy { $0.bitPattern == $1.bitPattern }, "m \(rows) k \(inner)")
        }
        // One-hot rows of the seed's batch of 5: too few ones (under 4 (k + m)) for planning to
        // pay, so they are summed plainly too.
        let seed = Self.oneHot(samples: 5, groups: 196, states: 4, background: 0.9, n: 128, transposeA: transposeA, seed: 310)
        let with = Self.run(seed, alpha: 1, beta: 0, references: true)
        let plain = BinaryProductsTests.sumsWrittenOut(seed, alpha: 1, beta: 0)
        #expect(with.done && zip(with.c, plain).allSatisfy { $0.bitPattern == $1.bitPattern }, "batch of 5, one-hot")
    }

    @Test func theSwitchIsPerThread() {
        BinaryProducts.useReferenceRows(false)
        defer { BinaryProducts.useReferenceRows(nil) }
        #expect(!BinaryProducts.usesReferenceRows)
        let elsewhere = onAnotherThread { BinaryProducts.usesReferenceRows }
        #expect(elsewhere == (ProcessInfo.processInfo.environment["RBM_BINARY_REFERENCES"] != "off"))
    }
}
