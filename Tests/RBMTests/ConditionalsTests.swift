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
