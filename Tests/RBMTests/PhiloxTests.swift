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

    @Test func vectorizedUniformsEqualTheScalarBlockOutput() {
        // Unit u takes word (u % 32) / 8 of the block with word0 = (u / 32) * 8 + u % 8.
        let stream = RandomStream(seed: 0x1234_5678_9ABC, purpose: .hiddenSample, step: 17, substep: 3)
        var values = [Float](repeating: -1, count: 77)
        values.withUnsafeMutableBufferPointer { stream.uniforms(row: 5, count: 77, into: $0.baseAddress!) }
        for u in 0..<77 {
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
