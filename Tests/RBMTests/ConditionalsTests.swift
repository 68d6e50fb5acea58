import Testing
import RBM

@Suite struct ConditionalsTests {
    let model = Reference.randomModel(visible: 13, hidden: 21, scale: 0.8, seed: 7)

    @Test func hiddenProbabilitiesEqualTheFormula() {
        let rows = 5
        let visible = Reference.randomBinary(rows: rows, columns: 13, seed: 1)
        let computed = model.hiddenProbabilities(visible: visible, rows: rows)
        for r in 0..<rows {
            let expected = Reference.hiddenProbabilities(model, Array(visible[(r * 13)..<((r + 1) * 13)]))
            for j in 0..<21 {
                #expect(abs(Double(computed[r * 21 + j]) - expected[j]) < 1e-6)
            }
        }
    }

    @Test func visibleProbabilitiesEqualTheFormula() {
        let rows = 4
        let hidden = Reference.randomBinary(rows: rows, columns: 21, seed: 2)
        let computed = model.visibleProbabilities(hidden: hidden, rows: rows)
        for r in 0..<rows {
            let expected = Reference.visibleProbabilities(model, Array(hidden[(r * 21)..<((r + 1) * 21)]))
            for i in 0..<13 {
                #expect(abs(Double(computed[r * 13 + i]) - expected[i]) < 1e-6)
            }
        }
    }

    @Test func logisticIsAccurateAcrossItsRange() {
        // σ over [−100, 100], including the saturated tails, against the double-precision formula.
        let xs: [Float] = (0...4000).map { -100 + Float($0) * 0.05 }
        var values = xs
        let zero = [Float](repeating: 0, count: xs.count)
        values.withUnsafeMutableBufferPointer { v in
            zero.withUnsafeBufferPointer { b in
                Logistic.applyWithBias(v.baseAddress!, rows: 1, columns: xs.count, bias: b.baseAddress!)
            }
        }
        for (x, value) in zip(xs, values) {
            let expected = Reference.sigmoid(Double(x))
            #expect(abs(Double(value) - expected) <= 2e-7 + 1e-6 * expected, "σ(\(x))")
        }
    }

    @Test func logisticWithBiasEqualsTheSwiftFormulaToTheBit() {
        // applyWithBias (whose whole vectors an AVX2 kernel computes where the CPU has it) against
        // 1 / (1 + exp8(−(x + b))) evaluated here in Swift, lane by lane: the same bits, including
        // the clamps at −87 and 88, infinities, NaN, −0 and subnormals, over 3 rows of 45 columns
        // (5 whole vectors and a tail).
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 87, 88, 88.5, -87, -87.5, -88, 1e-40, -1e-40,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.5, -0.5, 15.9, -15.9]
        let stream = RandomStream(seed: 5, purpose: .evaluation)
        let rows = 3, columns = 45
        let inputs: [Float] = (0..<(rows * columns)).map { index in
            index < specials.count ? specials[index] : Float(stream.normal(row: 0, index: UInt32(index)) * 12)
        }
        let bias: [Float] = (0..<columns).map { $0 % 4 == 0 ? 0 : Float(stream.normal(row: 1, index: UInt32($0))) }
        var values = inputs
        values.withUnsafeMutableBufferPointer { v in
            bias.withUnsafeBufferPointer { b in
                Logistic.applyWithBias(v.baseAddress!, rows: rows, columns: columns, bias: b.baseAddress!)
            }
        }
        for index in inputs.indices {
            var lane = SIMD8<Float>(repeating: 0)
            lane[0] = -(inputs[index] + bias[index % columns])
            let expected = 1 / (1 + Logistic.exp8(lane)[0])
            #expect(values[index].bitPattern == expected.bitPattern || (values[index].isNaN && expected.isNaN),
                    "σ(\(inputs[index]) + \(bias[index % columns])) = \(values[index]), the Swift formula gives \(expected)")
        }
    }

    @Test(arguments: [Float(0.37), 0.1, 1e-3])
    func temperedLogisticEqualsTheSwiftFormulaToTheBit(beta: Float) {
        // applyTempered (whose whole vectors an AVX2 kernel computes where the CPU has it) against
        // 1 / (1 + exp8(−(x + b)·β)) evaluated here lane by lane, over 45 columns with specials.
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 870, 880, -870, -880, 1e-40, -1e-40,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.5, -0.5, 159, -159]
        let stream = RandomStream(seed: 6, purpose: .evaluation)
        let columns = 45
        let inputs: [Float] = (0..<columns).map { index in
            index < specials.count ? specials[index] : Float(stream.normal(row: 0, index: UInt32(index)) * 40)
        }
        let bias: [Float] = (0..<columns).map { $0 % 4 == 0 ? 0 : Float(stream.normal(row: 1, index: UInt32($0))) }
        var values = inputs
        values.withUnsafeMutableBufferPointer { v in
            bias.withUnsafeBufferPointer { b in Logistic.applyTempered(v.baseAddress!, columns: columns, bias: b.baseAddress!, beta: beta) }
        }
        for index in inputs.indices {
            var lane = SIMD8<Float>(repeating: 0)
            lane[0] = -((inputs[index] + bias[index]) * beta)
            let expected = 1 / (1 + Logistic.exp8(lane)[0])
            #expect(values[index].bitPattern == expected.bitPattern || (values[index].isNaN && expected.isNaN),
                    "σ(β(\(inputs[index]) + \(bias[index]))) = \(values[index]), the Swift formula gives \(expected)")
        }
    }

    @Test(arguments: [2, 4, 5])
    func categoricalSoftmaxEqualsTheSwiftFormulaToTheBit(states: Int) {
        // applyMeans (whose exponentials an AVX2 kernel takes where the CPU has it) against the
        // softmax evaluated here group by group with exp8 lane by lane: max-shifted logits, their
        // exponentials, each divided by the group's sum — over 3 rows of 45 groups (whole vectors
        // and tails), with logits far apart (exponentials that underflow) and ties.
        let stream = RandomStream(seed: 8, purpose: .evaluation)
        let rows = 3, columns = 45 * states
        let inputs: [Float] = (0..<(rows * columns)).map { index in
            switch index % 11 {
            case 0: return 0
            case 1: return -95
            case 2: return 40
            default: return Float(stream.normal(row: 0, index: UInt32(index)) * 6)
            }
        }
        let bias: [Float] = (0..<columns).map { $0 % 3 == 0 ? 0 : Float(stream.normal(row: 1, index: UInt32($0))) }
        var values = inputs
        let units = VisibleUnits.categorical(states: states)
        values.withUnsafeMutableBufferPointer { v in
            bias.withUnsafeBufferPointer { b in units.applyMeans(to: v.baseAddress!, rows: rows, columns: columns, bias: b.baseAddress!) }
        }
        for start in stride(from: 0, to: rows * columns, by: states) {
            let logits = (0..<states).map { inputs[start + $0] + bias[(start + $0) % columns] }
            let largest = logits.max()!
            let exponentials = logits.map { logit -> Float in
                var lane = SIMD8<Float>(repeating: 0)
                lane[0] = logit - largest
                return Logistic.exp8(lane)[0]
            }
            let inverse = 1 / exponentials.reduce(Float(0), +)
            for state in 0..<states {
                let expected = exponentials[state] * inverse
                #expect(values[start + state].bitPattern == expected.bitPattern,
                        "group at \(start), state \(state): \(values[start + state]), the Swift formula gives \(expected)")
            }
        }
    }

    @Test func freeEnergyEqualsMinusLogSumOverHiddenStates() {
        let small = Reference.randomModel(visible: 9, hidden: 8, scale: 1.0, seed: 11)
        let rows = 6
        let visible = Reference.randomBinary(rows: rows, columns: 9, seed: 3)
        let computed = small.freeEnergies(visible: visible, rows: rows)
        for r in 0..<rows {
            let expected = Reference.freeEnergyByEnumeration(small, Array(visible[(r * 9)..<((r + 1) * 9)]))
            #expect(abs(computed[r] - expected) < 1e-5 * max(1, abs(expected)))
        }
    }
}
