import CRBMKernels

/// Philox4x32-10, the counter-based random number generator of Salmon, Moraes, Dror & Shaw,
/// "Parallel Random Numbers: As Easy as 1, 2, 3" (SC 2011).
///
/// A counter-based generator is a pure function `(key, counter) -> 128 random bits`: there is
/// no state to carry between threads, so every random number the trainer uses can be named by
/// what it is for (seed, update step, sample or chain, Gibbs step, unit) and is the same however
/// the work is split across workers. The output matches Random123's known-answer vectors.
public enum Philox4x32 {
    @usableFromInline static let multiplier0: UInt32 = 0xD251_1F53
    @usableFromInline static let multiplier1: UInt32 = 0xCD9E_8D57
    @usableFromInline static let weyl0: UInt32 = 0x9E37_79B9
    @usableFromInline static let weyl1: UInt32 = 0xBB67_AE85

    /// The 10-round bijection of one 128-bit counter under a 64-bit key.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 { k &+= SIMD2(weyl0, weyl1) }
            let product0 = UInt64(multiplier0) &* UInt64(c[0])
            let product1 = UInt64(multiplier1) &* UInt64(c[2])
            let high0 = UInt32(truncatingIfNeeded: product0 >> 32)
            let low0 = UInt32(truncatingIfNeeded: product0)
            let high1 = UInt32(truncatingIfNeeded: product1 >> 32)
            let low1 = UInt32(truncatingIfNeeded: product1)
            c = SIMD4(high1 ^ c[1] ^ k[0], low1, high0 ^ c[3] ^ k[1], low0)
        }
        return c
    }

    /// Eight Philox blocks at once, lane `l` with counter `(word0[l], word1, word2, word3)`.
    /// Returns the four output words, each as eight lanes.
    @inlinable @inline(__always)
    static func blocks8(
        word0: SIMD8<UInt32>, word1: UInt32, word2: UInt32, word3: UInt32, key: SIMD2<UInt32>
    ) -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
        var c0 = word0
        var c1 = SIMD8<UInt32>(repeating: word1)
        var c2 = SIMD8<UInt32>(repeating: word2)
        var c3 = SIMD8<UInt32>(repeating: word3)
        var k0 = key[0]
        var k1 = key[1]
        let m0 = SIMD8<UInt64>(repeating: UInt64(multiplier0))
        let m1 = SIMD8<UInt64>(repeating: UInt64(multiplier1))
        for round in 0..<10 {
            if round > 0 { k0 &+= weyl0; k1 &+= weyl1 }
            let product0 = SIMD8<UInt64>(truncatingIfNeeded: c0) &* m0
            let product1 = SIMD8<UInt64>(truncatingIfNeeded: c2) &* m1
            let high0 = SIMD8<UInt32>(truncatingIfNeeded: product0 &>> 32)
            let low0 = SIMD8<UInt32>(truncatingIfNeeded: product0)
            let high1 = SIMD8<UInt32>(truncatingIfNeeded: product1 &>> 32)
            let low1 = SIMD8<UInt32>(truncatingIfNeeded: product1)
            let next0 = high1 ^ c1 ^ SIMD8(repeating: k0)
            let next2 = high0 ^ c3 ^ SIMD8(repeating: k1)
            c0 = next0; c1 = low1; c2 = next2; c3 = low0
        }
        return (c0, c1, c2, c3)
    }
}

/// What a stream of random numbers is for. It is part of every counter, so two purposes
/// never share a random number even when all other coordinates agree.
public enum RandomPurpose: UInt32, Sendable {
    case weightInitialization = 1
    case hiddenSample = 2
    case visibleSample = 3
    case binarization = 4
    case shuffle = 5
    case chainInitialization = 6
    case evaluation = 7
    case annealedImportanceSampling = 8
    case pseudoLikelihood = 9
    case sampling = 10
    case sweep = 11
    /// The order of blocks, and of rows within a block, when a large split is streamed.
    case blockShuffle = 12
    /// Parallel tempering: the uniform that accepts or rejects a swap of neighbouring chains.
    case temperingSwap = 13
    /// Reverse AIS (RAISE): the Gibbs steps of chains annealed from data points to the base model.
    case reverseAnnealing = 14
    /// Langevin sampling (`training.langevin_steps`): the noise of step l of Gibbs step t
    /// (substep t·L + l), and the N(0, I) starting states of chains restarted from noise
    /// (substep 2²³).
    case langevinNoise = 15
    /// The pilot chains of AIS's mode jumps (`AnnealingGuide`): step s, substep 0 for h, 1 for v.
    case annealingGuide = 16
    /// The pilot chains of the guide that climb from the base model (`AnnealingGuide`): step s,
    /// substep 0 for h, 1 for v, 2 for the start.
    case annealingGuideUpward = 17
}

/// The coordinates of one row of random numbers: a pure function of these and the seed.
///
/// Counter layout (Philox words): `word0` runs over groups of units within the row,
/// `word1 = row` (a sample or chain index), `word2 = purpose << 24 | substep` (the Gibbs
/// half-step, or 0), `word3 = step` (the update step, or the epoch for data streams).
public struct RandomStream: Sendable, Hashable {
    public var seed: UInt64
    public var purpose: RandomPurpose
    public var step: UInt32
    public var substep: UInt32

    public init(seed: UInt64, purpose: RandomPurpose, step: UInt32 = 0, substep: UInt32 = 0) {
        precondition(substep < 1 << 24, "substep must fit in 24 bits")
        self.seed = seed
        self.purpose = purpose
        self.step = step
        self.substep = substep
    }

    /// Which layer a Gibbs half-step samples.
    public enum GibbsHalf: Sendable {
        /// h ~ P(h | v): the first half of a step.
        case hidden
        /// v ~ P(v | h): the second half.
        case visible
    }

    /// The stream of the trainer's Gibbs sampling: update `step`, Gibbs step `gibbsStep` (0 for
    /// the first of CD-k's k), and the half it samples. The one place the convention is written:
    /// half-step 2t samples the hidden units (purpose `hiddenSample`), 2t + 1 the visible units
    /// (`visibleSample`); every step layout (row shards, hidden blocks, visible blocks,
    /// tempered chains) draws through it, so that each draws the same numbers for the same
    /// unit, which is what makes the layouts agree and runs bit-identical.
    public static func gibbs(seed: UInt64, step: Int, gibbsStep: Int, half: GibbsHalf) -> RandomStream {
        switch half {
        case .hidden:
            return RandomStream(seed: seed, purpose: .hiddenSample, step: UInt32(truncatingIfNeeded: step),
                                substep: UInt32(2 * gibbsStep))
        case .visible:
            return RandomStream(seed: seed, purpose: .visibleSample, step: UInt32(truncatingIfNeeded: step),
                                substep: UInt32(2 * gibbsStep + 1))
        }
    }

    @inlinable var key: SIMD2<UInt32> {
        SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    @inlinable var word2: UInt32 { purpose.rawValue << 24 | substep }

    /// Fills `count` uniform numbers in [0, 1), 24-bit resolution, for row `row`.
    ///
    /// Unit `u` of the row takes word `(u % 32) / 8` of the Philox block with
    /// `word0 = (u / 32) * 8 + u % 8`, so 32 units come from one call of eight blocks. Whole
    /// groups go to the C kernel where the CPU has AVX2 (`rbm_philox_uniform_groups`: the same
    /// integer arithmetic and exact conversion, the same bits).
    public func uniforms(row: UInt32, count: Int, into output: UnsafeMutablePointer<Float>) {
        let fullGroups = count / 32
        guard fullGroups > 0,
              rbm_philox_uniform_groups(key[0], key[1], row, word2, step, 0, fullGroups, output) == 1 else {
            return portableUniforms(row: row, count: count, into: output)
        }
        guard fullGroups * 32 < count else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { values in
            groupValues(group: fullGroups, row: row, into: values.baseAddress!)
            for k in 0..<(count - fullGroups * 32) { output[fullGroups * 32 + k] = values[k] }
        }
    }

    /// `uniforms` by the Swift code alone, for machines without AVX2 and for tests.
    public func portableUniforms(row: UInt32, count: Int, into output: UnsafeMutablePointer<Float>) {
        forEachGroup(row: row, count: count) { base, available, values in
            for k in 0..<available { output[base + k] = values[k] }
        }
    }

    /// Draws Bernoulli samples: `output[u] = uniform(u) < probabilities[u] ? 1 : 0`.
    /// `output` may be the same memory as `probabilities`. Never inlined: inlined into AIS's
    /// loop the optimizer left the SIMD conversions inside Philox as calls (measured 8 % slower).
    @inline(never)
    public func bernoulli(
        row: UInt32, probabilities: UnsafePointer<Float>, count: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        bernoulli(row: row, firstGroup: 0, probabilities: probabilities, count: count, into: output)
    }

    /// The same for units `firstUnit ..< firstUnit + count` of the row, from `probabilities[0...]`:
    /// `output[u] = uniform(firstUnit + u) < probabilities[u] ? 1 : 0`. `firstUnit` is a multiple of
    /// 32 (one Philox group), so a block of a row's units draws the numbers the whole row would.
    @inline(never)
    public func bernoulli(
        row: UInt32, firstUnit: Int, probabilities: UnsafePointer<Float>, count: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        precondition(firstUnit % 32 == 0, "a block of units starts at a multiple of 32")
        bernoulli(row: row, firstGroup: firstUnit / 32, probabilities: probabilities, count: count, into: output)
    }

    @inline(__always)
    func bernoulli(
        row: UInt32, firstGroup: Int, probabilities: UnsafePointer<Float>, count: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        var group = 0
        let fullGroups = count / 32
        // The whole groups by the C kernel where the CPU has AVX2 (8 counters per instruction;
        // 16 with AVX-512, where SSE, Swift's baseline, multiplies 2): the same integer
        // arithmetic and exact conversion, the same bits.
        if fullGroups > 0,
           rbm_philox_bernoulli_groups(key[0], key[1], row, word2, step, firstGroup, fullGroups,
                                       probabilities, output) == 1 {
            group = fullGroups
        }
        let one = SIMD8<Float>(repeating: 1)
        let zero = SIMD8<Float>(repeating: 0)
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        let rawProbabilities = UnsafeRawPointer(probabilities)
        let rawOutput = UnsafeMutableRawPointer(output)
        while group < fullGroups {
            let words = Philox4x32.blocks8(
                word0: SIMD8(repeating: UInt32(truncatingIfNeeded: firstGroup + group) &* 8) &+ lanes,
                word1: row, word2: word2, word3: step, key: key)
            let offset = group * 32 * MemoryLayout<Float>.stride
            let laneBytes = 8 * MemoryLayout<Float>.stride
            @inline(__always) func sample(_ word: SIMD8<UInt32>, _ byteOffset: Int) {
                let p = rawProbabilities.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                rawOutput.storeBytes(of: zero.replacing(with: one, where: Self.unitInterval(word) .< p),
                                     toByteOffset: byteOffset, as: SIMD8<Float>.self)
            }
            sample(words.0, offset)
            sample(words.1, offset + laneBytes)
            sample(words.2, offset + 2 * laneBytes)
            sample(words.3, offset + 3 * laneBytes)
            group += 1
        }
        if fullGroups * 32 < count {
            let base = fullGroups * 32
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { values in
                groupValues(group: firstGroup + fullGroups, row: row, into: values.baseAddress!)
                for k in 0..<(count - base) {
                    output[base + k] = values[k] < probabilities[base + k] ? 1 : 0
                }
            }
        }
    }

    /// 64 random bits for item `index` of row `row` (for shuffles and integer draws).
    @inlinable
    public func bits64(row: UInt32, index: UInt32) -> UInt64 {
        let block = Philox4x32.block(counter: SIMD4(index, row, word2, step), key: key)
        return UInt64(block[0]) | UInt64(block[1]) << 32
    }

    @inlinable @inline(__always)
    static func unitInterval(_ word: SIMD8<UInt32>) -> SIMD8<Float> {
        SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: word &>> 8)) * SIMD8(repeating: 0x1p-24)
    }

    @inlinable
    func groupValues(group: Int, row: UInt32, into values: UnsafeMutablePointer<Float>) {
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        let words = Philox4x32.blocks8(
            word0: SIMD8(repeating: UInt32(truncatingIfNeeded: group) &* 8) &+ lanes,
            word1: row, word2: word2, word3: step, key: key)
        let raw = UnsafeMutableRawPointer(values)
        let laneBytes = 8 * MemoryLayout<Float>.stride
        raw.storeBytes(of: Self.unitInterval(words.0), toByteOffset: 0, as: SIMD8<Float>.self)
        raw.storeBytes(of: Self.unitInterval(words.1), toByteOffset: laneBytes, as: SIMD8<Float>.self)
        raw.storeBytes(of: Self.unitInterval(words.2), toByteOffset: 2 * laneBytes, as: SIMD8<Float>.self)
        raw.storeBytes(of: Self.unitInterval(words.3), toByteOffset: 3 * laneBytes, as: SIMD8<Float>.self)
    }

    @inlinable
    func forEachGroup(
        row: UInt32, count: Int,
        _ body: (_ base: Int, _ available: Int, _ values: UnsafeMutablePointer<Float>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { buffer in
            var group = 0
            while group * 32 < count {
                groupValues(group: group, row: row, into: buffer.baseAddress!)
                body(group * 32, min(32, count - group * 32), buffer.baseAddress!)
                group += 1
            }
        }
    }
}

extension RandomStream {
    /// A standard normal draw for item `index` of row `row` (Box–Muller on 2 × 32 bits).
    @inlinable
    public func normal(row: UInt32, index: UInt32) -> Double {
        let bits = bits64(row: row, index: index)
        // u1 in (0, 1], u2 in [0, 1): 32-bit resolution each.
        let u1 = (Double(UInt32(truncatingIfNeeded: bits)) + 1) * 0x1p-32
        let u2 = Double(UInt32(truncatingIfNeeded: bits >> 32)) * 0x1p-32
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound` for item `index` of row `row` (multiply-shift on
    /// 64 bits; the bias is below bound / 2^64).
    @inlinable
    public func integer(below bound: Int, row: UInt32, index: UInt32) -> Int {
        precondition(bound > 0)
        let product = bits64(row: row, index: index).multipliedFullWidth(by: UInt64(bound))
        return Int(product.high)
    }
}

extension RandomStream {
    /// Who draws whole groups of 32 Bernoulli units on this CPU: "avx512" (two groups per
    /// instruction), "avx2" or "portable" (the Swift code above). All give the same bits.
    public static var bernoulliKernel: String { String(cString: rbm_philox_bernoulli_path()) }

    /// For tests: `true` keeps the AVX2 kernel where AVX-512 is available, `false` the CPU's best,
    /// on the calling thread (other threads, and what `bernoulliKernel` says on them, keep theirs).
    public static func limitBernoulliKernelToAVX2(_ limit: Bool) {
        rbm_philox_bernoulli_avx2_only(limit ? 1 : 0)
    }
}
