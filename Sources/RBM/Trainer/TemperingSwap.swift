import CRBMKernels
#if canImport(Glibc)
import Glibc
#endif

/// Parallel tempering's swap decision, fast and the same as the double-precision rule's. The
/// Metropolis log ratio of swapping the states of chain s (inverse temperature β_s) and chain t
/// (β_t) is, with F_β(v) = −log m(v) − β·bᵀv − Σ_j softplus(β x_j), x = vW + c,
///
///     log r = F_s(v_s) + F_t(v_t) − F_s(v_t) − F_t(v_s)
///           = (β_s − β_t)·bᵀ(v_t − v_s)
///             + Σ_j [softplus(β_s x_tj) + softplus(β_t x_sj) − softplus(β_s x_sj) − softplus(β_t x_tj)]
///
/// (the base measure m of the visible kind cancels). `estimate` computes it in single precision,
/// eight or sixteen units at a time (AVX2 or AVX-512), unitwise differences summed, with a bound
/// on its distance from the double-precision value (`DataParallelTrainer.temperedFreeEnergy`,
/// four sums of softplus terms). `accepts` decides from the estimate when the bound settles the Metropolis test, and
/// otherwise (rarely: the uniform within the bound of the ratio) from the double-precision
/// ratio, so every decision is the one the double-precision rule makes.
public enum TemperingSwap {
    /// The code the kernel runs on this CPU: "avx512", "avx2", or "portable" (the Swift code).
    public static var kernelPath: String { String(cString: rbm_swap_path()) }

    /// The single-precision log ratio and a bound on its distance from the double-precision one.
    public struct Estimate: Sendable {
        public var logRatio: Double
        public var bound: Double
        /// Hidden units the AVX2 kernel computed (and whose softplus terms it handed on).
        public var kernelUnits = 0
    }

    /// Per-hidden-unit softplus terms one pair hands to the next, in the kernel's part of the
    /// units: the next pair's first chain is this pair's second (or, after an accepted swap,
    /// its first), whose softplus(β·x) at that temperature this pair has computed.
    public struct CarriedTerms {
        /// softplus(β_s·x_s) of this pair's first chain, or nil to compute it.
        public var ownFirst: UnsafePointer<Float>?
        /// Receive softplus(β_t·x_t) and softplus(β_t·x_s).
        public var ownSecond: UnsafeMutablePointer<Float>
        public var crossedSecond: UnsafeMutablePointer<Float>

        public init(ownFirst: UnsafePointer<Float>?, ownSecond: UnsafeMutablePointer<Float>,
                    crossedSecond: UnsafeMutablePointer<Float>) {
            self.ownFirst = ownFirst
            self.ownSecond = ownSecond
            self.crossedSecond = crossedSecond
        }
    }

    /// The bound per unit of magnitude (per hidden unit, its four softplus terms + β_s(|x_s| + |x_t|)
    /// + 1; the visible terms' |Δβ|·|b_i|(|v_si| + |v_ti|)). A worst-case sum of the roundings
    /// (the inputs β·(a + c), softplus to ~3·10⁻⁷, sums of 64 in single precision) comes to about
    /// 1.1·10⁻⁶ of it; the errors measured on models up to 784 → 500 stay below 3·10⁻⁸
    /// (`TemperingSwapTests`).
    public static let relativeBound = 3e-6

    /// The log ratio of swapping chain s (`visibleFirst`, its pre-activations vW without c,
    /// `betaFirst`) with chain t, in single precision, and its error bound. `usesKernel: false`
    /// keeps to the portable Swift code (for tests: both paths must keep within the bound).
    public static func estimate(
        visibleFirst: UnsafePointer<Float>, visibleSecond: UnsafePointer<Float>,
        preactivationFirst: UnsafePointer<Float>, preactivationSecond: UnsafePointer<Float>,
        betaFirst: Float, betaSecond: Float, visibleBias: UnsafePointer<Float>, hiddenBias: UnsafePointer<Float>,
        visibleCount: Int, hiddenCount: Int, carried: CarriedTerms? = nil, usesKernel: Bool = true
    ) -> Estimate {
        let vs = UnsafeRawPointer(visibleFirst), vt = UnsafeRawPointer(visibleSecond), b = UnsafeRawPointer(visibleBias)
        let xs = UnsafeRawPointer(preactivationFirst), xt = UnsafeRawPointer(preactivationSecond)
        let c = UnsafeRawPointer(hiddenBias)
        let zero = SIMD8<Float>(repeating: 0)
        func absolute(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: -x, where: x .< zero) }

        // (β_s − β_t)·bᵀ(v_t − v_s), first by the AVX2 + FMA kernel where the CPU has it
        // (CRBMKernels' tempering_swap.c), then the rest here.
        var visible = (sum: 0.0, magnitude: 0.0)
        var index = usesKernel ? rbm_swap_visible_terms(visibleFirst, visibleSecond, visibleBias, visibleCount,
                                                        &visible.sum, &visible.magnitude) : 0
        Self.addBlocks(from: &index, count: visibleCount, into: &visible) { offset in
            let bias = b.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let first = vs.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let second = vt.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            return (bias * (second - first), absolute(bias) * (absolute(first) + absolute(second)))
        }
        while index < visibleCount {
            let bias = Double(visibleBias[index]), first = Double(visibleFirst[index]), second = Double(visibleSecond[index])
            visible.sum += bias * (second - first)
            visible.magnitude += abs(bias) * (abs(first) + abs(second))
            index += 1
        }
        let betaGap = Double(betaFirst) - Double(betaSecond)

        // The hidden terms, unitwise: softplus(β_s x_t) + softplus(β_t x_s) − softplus(β_s x_s) − softplus(β_t x_t).
        var hidden = (sum: 0.0, magnitude: 0.0)
        index = usesKernel ? rbm_swap_hidden_terms(preactivationFirst, preactivationSecond, hiddenBias, hiddenCount,
                                                   betaFirst, betaSecond, carried?.ownFirst, carried?.ownSecond,
                                                   carried?.crossedSecond, &hidden.sum, &hidden.magnitude) : 0
        let kernelUnits = index
        Self.addBlocks(from: &index, count: hiddenCount, into: &hidden) { offset in
            let bias = c.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let first = xs.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + bias
            let second = xt.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + bias
            let crossed = Logistic.softplus8(betaFirst * second) + Logistic.softplus8(betaSecond * first)
            let own = Logistic.softplus8(betaFirst * first) + Logistic.softplus8(betaSecond * second)
            return (crossed - own, crossed + own + betaFirst * (absolute(first) + absolute(second)) + 1)
        }
        // The last units (fewer than 8) in double precision, as the exact ratio has them.
        while index < hiddenCount {
            let first = Double(preactivationFirst[index]) + Double(hiddenBias[index])
            let second = Double(preactivationSecond[index]) + Double(hiddenBias[index])
            let s = Double(betaFirst), t = Double(betaSecond)
            hidden.sum += softplus(s * second) + softplus(t * first) - softplus(s * first) - softplus(t * second)
            index += 1
        }
        return Estimate(logRatio: betaGap * visible.sum + hidden.sum,
                        bound: relativeBound * (abs(betaGap) * visible.magnitude + hidden.magnitude) + 1e-9,
                        kernelUnits: kernelUnits)
    }

    /// Adds `terms(byte offset)` — a vector of 8 terms and of their magnitudes — for the whole
    /// vectors of 8 from `index` up to `count`, in single-precision partial sums of 64 terms each
    /// added to `total` in double precision; `index` ends at the first unit left over.
    @inline(__always)
    static func addBlocks(from index: inout Int, count: Int, into total: inout (sum: Double, magnitude: Double),
                          terms: (Int) -> (SIMD8<Float>, SIMD8<Float>)) {
        while index + 8 <= count {
            var block = SIMD8<Float>(repeating: 0), magnitude = SIMD8<Float>(repeating: 0)
            var inBlock = 0
            while inBlock < 8 && index + 8 <= count {
                let (term, size) = terms(index * 4)
                block += term
                magnitude += size
                index += 8
                inBlock += 1
            }
            total.sum += Double(block.sum())
            total.magnitude += Double(magnitude.sum())
        }
    }

    /// The Metropolis decision `DataParallelTrainer.acceptsSwap(logRatio: exact(), uniform:)`,
    /// taken from `estimate` where its bound settles it: accept when the ratio is surely ≥ 1 or
    /// surely above u, reject when surely below; else (and when u = 0) from `exact()`, the
    /// double-precision log ratio.
    public static func accepts(_ estimate: Estimate, uniform: Float, exact: () -> Double) -> Bool {
        let low = estimate.logRatio - estimate.bound, high = estimate.logRatio + estimate.bound
        if low >= 0 { return true }
        if uniform > 0 {
            // A margin for exp and log's own rounding (~10⁻¹⁶ relative) around log u.
            let threshold = log(Double(uniform))
            if low > threshold + 1e-9 { return true }
            if high < threshold - 1e-9 { return false }
        }
        return DataParallelTrainer.acceptsSwap(logRatio: exact(), uniform: uniform)
    }
}
