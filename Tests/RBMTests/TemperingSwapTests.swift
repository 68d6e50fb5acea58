import Foundation
import CRBMKernels
import Testing
@testable import RBM

/// Parallel tempering's fast swap decision (`TemperingSwap`) against the double-precision rule
/// (`DataParallelTrainer.temperedFreeEnergy`, four sums of softplus terms): the single-precision
/// ratio stays within its bound, and every decision is the double-precision rule's.
@Suite struct TemperingSwapTests {
    /// The code the estimate runs: the CPU's widest kernel (AVX-512 where it has it), the 8-lane
    /// AVX2 kernel, or the portable Swift code.
    enum KernelPath: CaseIterable { case widest, eightLanes, portable }

    /// A pair of chains with their pre-activations vW, on a random model of weight scale `scale`.
    struct Pair {
        var nv: Int, nh: Int
        var first: [Float], second: [Float]
        var preactivationFirst: [Float], preactivationSecond: [Float]
        var visibleBias: [Float], hiddenBias: [Float]
        var betas: (Float, Float)
        var scale: Float

        init(nv: Int, nh: Int, scale: Float, gaussian: Bool, betas: (Float, Float), seed: UInt64) {
            self.scale = scale
            self.nv = nv
            self.nh = nh
            self.betas = betas
            let stream = RandomStream(seed: seed, purpose: .evaluation)
            func uniform(_ row: UInt32, _ count: Int) -> [Float] {
                var values = [Float](repeating: 0, count: count)
                values.withUnsafeMutableBufferPointer { stream.uniforms(row: row, count: count, into: $0.baseAddress!) }
                return values
            }
            let weights = uniform(0, nv * nh).map { ($0 - 0.5) * 2 * scale }
            visibleBias = uniform(1, nv).map { ($0 - 0.5) * 2 }
            hiddenBias = uniform(2, nh).map { ($0 - 0.5) * 2 * scale }
            let draw = { (row: UInt32) -> [Float] in
                gaussian ? uniform(row, nv).map { ($0 - 0.5) * 6 } : uniform(row, nv).map { $0 < 0.3 ? 1 : 0 }
            }
            first = draw(3)
            second = draw(4)
            func product(_ v: [Float]) -> [Float] {
                (0..<nh).map { j in (0..<nv).reduce(Float(0)) { $0 + v[$1] * weights[$1 * nh + j] } }
            }
            preactivationFirst = product(first)
            preactivationSecond = product(second)
        }

        func estimate(path: KernelPath = .widest) -> TemperingSwap.Estimate {
            rbm_swap_avx2_only(path == .eightLanes ? 1 : 0)
            defer { rbm_swap_avx2_only(0) }
            return TemperingSwap.estimate(visibleFirst: first, visibleSecond: second, preactivationFirst: preactivationFirst,
                                          preactivationSecond: preactivationSecond, betaFirst: betas.0, betaSecond: betas.1,
                                          visibleBias: visibleBias, hiddenBias: hiddenBias, visibleCount: nv, hiddenCount: nh,
                                          usesKernel: path != .portable)
        }

        /// The swap rule's double-precision ratio, as the trainer computed it before the estimate.
        var exact: Double {
            func energy(_ v: [Float], _ a: [Float], _ beta: Float) -> Double {
                DataParallelTrainer.temperedFreeEnergy(visible: v, preactivation: a, beta: beta, visibleBias: visibleBias,
                                                       hiddenBias: hiddenBias, visibleCount: nv, hiddenCount: nh)
            }
            return energy(first, preactivationFirst, betas.0) + energy(second, preactivationSecond, betas.1)
                - energy(second, preactivationSecond, betas.0) - energy(first, preactivationFirst, betas.1)
        }
    }

    static let cases: [Pair] = {
        var pairs: [Pair] = []
        var seed: UInt64 = 1
        for (nv, nh) in [(784, 500), (50, 37), (40, 24), (13, 5)] {
            for scale: Float in [0.01, 0.3, 3] {
                for gaussian in [false, true] {
                    for betas: (Float, Float) in [(1, 0.9), (0.5, 0.1), (0.2, 0.19)] {
                        pairs.append(Pair(nv: nv, nh: nh, scale: scale, gaussian: gaussian, betas: betas, seed: seed))
                        seed += 1
                    }
                }
            }
        }
        return pairs
    }()

    /// |estimate − double-precision ratio| ≤ its bound on every path (the AVX-512 and AVX2
    /// kernels where the CPU has them, 16 units then a last 8 at (40, 24); the portable code), with room to spare: the errors measured stay below a
    /// fifth of the bound; and the bound is small enough that few decisions fall back.
    @Test(arguments: KernelPath.allCases)
    func estimateStaysWithinItsBoundOfTheDoublePrecisionRatio(path: KernelPath) {
        var worstShare = 0.0
        for pair in Self.cases {
            let estimate = pair.estimate(path: path)
            let error = abs(estimate.logRatio - pair.exact)
            // Both kernel widths do the same units (⌊nh / 8⌋·8), so the terms they hand on agree.
            let kernelRuns = path != .portable && TemperingSwap.kernelPath != "portable"
            #expect(estimate.kernelUnits == (kernelRuns ? pair.nh / 8 * 8 : 0), "\(path) nh \(pair.nh)")
            #expect(error <= estimate.bound, "nv \(pair.nv) nh \(pair.nh) β \(pair.betas): error \(error), bound \(estimate.bound)")
            worstShare = max(worstShare, error / estimate.bound)
            if pair.nh == 500 && pair.nv == 784 && pair.scale <= 0.3 {
                #expect(estimate.bound < 0.2, "the bound \(estimate.bound) should leave few decisions to double precision")
            }
        }
        #expect(worstShare < 0.2, "largest error / bound = \(worstShare)")
    }

    /// A pair handed softplus(β·x) of its first chain by the pair before (the kernel's shortcut)
    /// computes the same estimate, to the bit, as one that computes every term: after a rejected
    /// swap (the first chain is the previous pair's second) and after an accepted one (it is the
    /// previous pair's first, now at the warmer temperature).
    @Test func termsHandedOnGiveTheSameEstimate() {
        let nv = 784, nh = 500
        let pair = Pair(nv: nv, nh: nh, scale: 0.3, gaussian: false, betas: (1, 0.7), seed: 99)
        let other = Pair(nv: nv, nh: nh, scale: 0.3, gaussian: false, betas: (1, 0.7), seed: 98)
        let third = other.second, thirdPreactivation = other.preactivationSecond
        var ownSecond = [Float](repeating: 0, count: nh), crossedSecond = ownSecond
        let before = ownSecond.withUnsafeMutableBufferPointer { own in
            crossedSecond.withUnsafeMutableBufferPointer { crossed in
                TemperingSwap.estimate(visibleFirst: pair.first, visibleSecond: pair.second, preactivationFirst: pair.preactivationFirst,
                                       preactivationSecond: pair.preactivationSecond, betaFirst: 1, betaSecond: 0.7,
                                       visibleBias: pair.visibleBias, hiddenBias: pair.hiddenBias, visibleCount: nv, hiddenCount: nh,
                                       carried: .init(ownFirst: nil, ownSecond: own.baseAddress!, crossedSecond: crossed.baseAddress!))
            }
        }
        guard before.kernelUnits > 0 else { return }   // no AVX2 here: nothing is handed on
        for (state, preactivation, handed) in [(pair.second, pair.preactivationSecond, ownSecond),
                                               (pair.first, pair.preactivationFirst, crossedSecond)] {
            func next(_ ownFirst: [Float]?) -> TemperingSwap.Estimate {
                var scratch = [Float](repeating: 0, count: 2 * nh)
                return scratch.withUnsafeMutableBufferPointer { out in
                    (ownFirst ?? []).withUnsafeBufferPointer { given in
                        TemperingSwap.estimate(visibleFirst: state, visibleSecond: third, preactivationFirst: preactivation,
                                               preactivationSecond: thirdPreactivation, betaFirst: 0.7, betaSecond: 0.4,
                                               visibleBias: pair.visibleBias, hiddenBias: pair.hiddenBias,
                                               visibleCount: nv, hiddenCount: nh,
                                               carried: .init(ownFirst: ownFirst == nil ? nil : given.baseAddress!,
                                                              ownSecond: out.baseAddress!, crossedSecond: out.baseAddress! + nh))
                    }
                }
            }
            let fresh = next(nil), shortcut = next(handed)
            #expect(fresh.logRatio.bitPattern == shortcut.logRatio.bitPattern && fresh.bound == shortcut.bound)
        }
    }

    /// For uniforms just either side of the acceptance threshold exp(log r), at 0 and at random,
    /// the decision is the double-precision rule's, on every path.
    @Test(arguments: KernelPath.allCases)
    func decisionsAreTheDoublePrecisionRules(path: KernelPath) {
        var fallbacks = 0, decisions = 0
        for pair in Self.cases {
            let exact = pair.exact
            let estimate = pair.estimate(path: path)
            let threshold = Float(min(1, exp(exact)))
            var uniforms: [Float] = [0, 0.5, 0.999, threshold, threshold.nextUp, threshold.nextDown,
                                     threshold * 0.999, min(0.999_999_9, threshold * 1.001)]
            uniforms = uniforms.filter { $0 >= 0 && $0 < 1 }
            for uniform in uniforms {
                var askedExact = false
                let decision = TemperingSwap.accepts(estimate, uniform: uniform) {
                    askedExact = true
                    return exact
                }
                #expect(decision == DataParallelTrainer.acceptsSwap(logRatio: exact, uniform: uniform),
                        "log r \(exact), u \(uniform)")
                decisions += 1
                if askedExact { fallbacks += 1 }
            }
        }
        // The uniforms at the threshold must fall back; the ones far from it must not.
        #expect(fallbacks > 0 && fallbacks < decisions / 2, "\(fallbacks) of \(decisions) decisions fell back")
    }
}
