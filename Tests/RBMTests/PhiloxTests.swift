import Testing
import RBM

@Suite struct PhiloxTests {
    @Test func matchesRandom123KnownAnswerVectors() {
        #expect(Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0))
                == SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        #expect(Philox4x32.block(counter: SIMD4(repeating: 0xFFFF_FFFF), key: SIMD2(repeating: 0xFFFF_FFFF))
                == SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
        #expect(Philox4x32.block(counter: SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                                 key: SIMD2(0xA409_3822, 0x299F_31D0))
                == SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    /// Whole groups come from the C kernel (AVX2), the tail and the portable path from the Swift
    /// code: both equal the scalar Philox blocks, unit by unit.
    @Test(arguments: [5, 32, 77, 784, 1000])
    func vectorizedUniformsEqualTheScalarBlockOutput(count: Int) {
        // Unit u takes word (u % 32) / 8 of the block with word0 = (u / 32) * 8 + u % 8.
        let stream = RandomStream(seed: 0x1234_5678_9ABC, purpose: .hiddenSample, step: 17, substep: 3)
        var values = [Float](repeating: -1, count: count), portable = values
        values.withUnsafeMutableBufferPointer { stream.uniforms(row: 5, count: count, into: $0.baseAddress!) }
        portable.withUnsafeMutableBufferPointer { stream.portableUniforms(row: 5, count: count, into: $0.baseAddress!) }
        #expect(values.map(\.bitPattern) == portable.map(\.bitPattern))
        for u in 0..<count {
            let counter = SIMD4<UInt32>(UInt32(u / 32 * 8 + u % 8), 5,
                                        RandomPurpose.hiddenSample.rawValue << 24 | 3, 17)
            let block = Philox4x32.block(counter: counter,
                                         key: SIMD2(0x5678_9ABC, 0x1234))
            let expected = Float(block[(u % 32) / 8] >> 8) * 0x1p-24
            #expect(values[u] == expected, "unit \(u)")
        }
    }

    @Test func bernoulliFrequenciesMatchTheirProbabilities() {
        let probabilities: [Float] = (0..<100).map { Float($0) / 99 }
        var counts = [Int](repeating: 0, count: 100)
        var sample = [Float](repeating: 0, count: 100)
        let draws = 4000
        for row in 0..<draws {
            let stream = RandomStream(seed: 99, purpose: .visibleSample, step: UInt32(row))
            probabilities.withUnsafeBufferPointer { p in
                sample.withUnsafeMutableBufferPointer { s in
                    stream.bernoulli(row: 0, probabilities: p.baseAddress!, count: 100, into: s.baseAddress!)
                }
            }
            for u in 0..<100 where sample[u] == 1 { counts[u] += 1 }
        }
        #expect(counts[0] == 0)
        #expect(counts[99] == draws)
        for u in 0..<100 {
            let p = Double(probabilities[u])
            let tolerance = 5 * (p * (1 - p) / Double(draws)).squareRoot() + 1e-9
            #expect(abs(Double(counts[u]) / Double(draws) - p) <= tolerance, "unit \(u)")
        }
    }

    @Test func differentPurposesGiveDifferentStreams() {
        let a = RandomStream(seed: 1, purpose: .hiddenSample).bits64(row: 0, index: 0)
        let b = RandomStream(seed: 1, purpose: .visibleSample).bits64(row: 0, index: 0)
        let c = RandomStream(seed: 2, purpose: .hiddenSample).bits64(row: 0, index: 0)
        #expect(a != b && a != c && b != c)
    }
}

/// `RandomStream.bernoulli` (whose whole groups of 32 units an AVX2 kernel draws where the CPU
/// has it) against the scalar Philox block, unit by unit.
@Suite struct PhiloxBernoulliTests {
    /// uniform(u) < p(u) ? 1 : 0 from `Philox4x32.block`, for units firstUnit ..< firstUnit + count.
    static func expected(_ stream: RandomStream, key: SIMD2<UInt32>, row: UInt32, firstUnit: Int,
                         probabilities: [Float]) -> [Float] {
        probabilities.indices.map { k in
            let u = firstUnit + k
            let counter = SIMD4<UInt32>(UInt32(u / 32 * 8 + u % 8), row,
                                        stream.purpose.rawValue << 24 | stream.substep, stream.step)
            let uniform = Float(Philox4x32.block(counter: counter, key: key)[(u % 32) / 8] >> 8) * 0x1p-24
            return uniform < probabilities[k] ? 1 : 0
        }
    }

    @Test func theKernelInUseIsTheCPUsBest() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        #if arch(x86_64)
        let expected = flags.contains("avx512f") && flags.contains("avx512dq") ? "avx512"
            : flags.contains("avx2") ? "avx2" : "portable"
        #expect(RandomStream.bernoulliKernel == expected)
        #endif
    }

    /// Tests run at once in one process: keeping one thread to AVX2 must leave the others on the
    /// CPU's best (a global switch made `theKernelInUseIsTheCPUsBest` fail when a draw test held it).
    @Test func limitingTheKernelHoldsOnItsThreadAlone() {
        let best = RandomStream.bernoulliKernel
        RandomStream.limitBernoulliKernelToAVX2(true)
        defer { RandomStream.limitBernoulliKernelToAVX2(false) }
        #expect(RandomStream.bernoulliKernel == (best == "avx512" ? "avx2" : best))
        #expect(onAnotherThread { RandomStream.bernoulliKernel } == best)
    }

    /// Whole groups by the CPU's best kernel (AVX-512 takes them in pairs, so odd counts of groups
    /// leave one to AVX2), then by AVX2 alone.
    @Test(arguments: [(0, 77), (0, 784), (64, 200), (96, 31), (32, 32), (32, 96), (0, 1000)])
    func drawsEqualTheScalarBlocksComparedUnitByUnit(firstUnit: Int, count: Int) {
        for avx2Only in [false, true] {
            RandomStream.limitBernoulliKernelToAVX2(avx2Only)
            defer { RandomStream.limitBernoulliKernelToAVX2(false) }
            checkDraws(firstUnit: firstUnit, count: count)
        }
    }

    func checkDraws(firstUnit: Int, count: Int) {
        let stream = RandomStream(seed: 0xDEAD_BEEF_0042, purpose: .visibleSample, step: 123_456, substep: 7)
        let key = SIMD2<UInt32>(0xBEEF_0042, 0xDEAD)
        let row: UInt32 = 31
        // Probabilities over [0, 1], and for every fifth unit exactly its own uniform: the draw
        // must then be 0 (strictly less than), which a rounding anywhere would change.
        var probabilities = (0..<count).map { Float($0 % 97) / 96 }
        for k in stride(from: 0, to: count, by: 5) {
            let u = firstUnit + k
            let counter = SIMD4<UInt32>(UInt32(u / 32 * 8 + u % 8), row,
                                        RandomPurpose.visibleSample.rawValue << 24 | 7, 123_456)
            probabilities[k] = Float(Philox4x32.block(counter: counter, key: key)[(u % 32) / 8] >> 8) * 0x1p-24
        }
        let expected = Self.expected(stream, key: key, row: row, firstUnit: firstUnit, probabilities: probabilities)
        #expect(stride(from: 0, to: count, by: 5).allSatisfy { expected[$0] == 0 })
        var output = [Float](repeating: -1, count: count)
        probabilities.withUnsafeBufferPointer { p in
            output.withUnsafeMutableBufferPointer { o in
                stream.bernoulli(row: row, firstUnit: firstUnit, probabilities: p.baseAddress!, count: count,
                                 into: o.baseAddress!)
            }
        }
        #expect(output == expected)
        // In place (output over the probabilities), as the samplers call it.
        var inPlace = probabilities
        inPlace.withUnsafeMutableBufferPointer { buffer in
            stream.bernoulli(row: row, firstUnit: firstUnit, probabilities: buffer.baseAddress!, count: count,
                             into: buffer.baseAddress!)
        }
        #expect(inPlace == expected)
    }
}
