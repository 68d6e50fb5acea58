import CRBMKernels
import Foundation
import Testing
import RBM

/// The eight-groups-at-a-time kernels of categorical units (categorical.c) against the Swift
/// code they stand in for (the same bits, so training is the same on every x86-64 CPU) and
/// against double precision and the inverse-CDF rule written out here.
@Suite struct CategoricalKernelTests {
    /// Logits for `groups` groups: Philox normals scaled to ±30, with ties, −0, equal groups
    /// and ±100 (exp's clamp) sprinkled in.
    static func logits(groups: Int, states: Int, seed: UInt64) -> [Float] {
        let count = groups * states
        var uniforms = [Float](repeating: 0, count: count)
        RandomStream(seed: seed, purpose: .sampling).uniforms(row: 0, count: count, into: &uniforms)
        var values = uniforms.map { ($0 - 0.5) * 60 }
        for index in stride(from: 0, to: count, by: 7) { values[index] = values[(index + 1) % count] }
        for index in stride(from: 3, to: count, by: 11) { values[index] = -0.0 }
        for index in stride(from: 5, to: count, by: 13) { values[index] = index % 2 == 0 ? 100 : -100 }
        return values
    }

    /// Kernel and Swift code, plain and tempered, give the same bits for every state count the
    /// kernel takes (2…64: 2, 4, 8 by permutes, the rest by gathers) and one it leaves to Swift
    /// (65), whole blocks of eight groups and tails; and each group is the double-precision
    /// softmax of its logits within 10⁻⁶.
    @Test(arguments: [2, 3, 4, 5, 7, 8, 16, 64, 65])
    func softmaxKernelGivesTheSwiftCodesBits(states: Int) {
        let units = CategoricalUnits(parameter: states)
        for groups in [8, 13, 196] {
            let columns = groups * states
            let input = Self.logits(groups: groups, states: states, seed: UInt64(groups))
            let bias = (0..<columns).map { Float($0 % 9) * 0.25 - 1 }
            for beta: Float in [1, 0.37, 0.1] {
                var swift = input, kernel = input
                rbm_categorical_portable(1)
                swift.withUnsafeMutableBufferPointer { units.applyTemperedMeans(to: $0.baseAddress!, columns: columns, bias: bias, beta: beta) }
                rbm_categorical_portable(0)
                kernel.withUnsafeMutableBufferPointer { units.applyTemperedMeans(to: $0.baseAddress!, columns: columns, bias: bias, beta: beta) }
                let differing = (0..<columns).filter { swift[$0].bitPattern != kernel[$0].bitPattern }
                #expect(differing.isEmpty, "states \(states), groups \(groups), β \(beta): \(differing.count) differ, first \(differing.first ?? -1)")
                for group in 0..<groups {
                    let logits = (0..<states).map { Double(beta) * (Double(input[group * states + $0]) + Double(bias[group * states + $0])) }
                    let largest = logits.max()!
                    let total = logits.reduce(0) { $0 + exp($1 - largest) }
                    for state in 0..<states {
                        let expected = exp(logits[state] - largest) / total
                        let got = Double(kernel[group * states + state])
                        // exp8 clamps its input at −87: far-below-maximum states read e^−87, not 0.
                        #expect(abs(got - expected) < 1e-6, "group \(group) state \(state): \(got) vs \(expected)")
                    }
                }
            }
            // Several rows at once (the trainer's call) = row by row.
            var rows = input + input.reversed(), single = input
            rows.withUnsafeMutableBufferPointer { units.applyMeans(to: $0.baseAddress!, rows: 2, columns: columns, bias: bias) }
            single.withUnsafeMutableBufferPointer { units.applyMeans(to: $0.baseAddress!, rows: 1, columns: columns, bias: bias) }
            #expect(Array(rows[0..<columns]).map(\.bitPattern) == single.map(\.bitPattern))
        }
        rbm_categorical_portable(0)
    }

    /// The inverse-CDF rule: the first state whose running sum (from 0, in state order, in
    /// single precision) exceeds u, else the last state.
    static func chosenState(means: ArraySlice<Float>, uniform: Float) -> Int {
        var cumulative: Float = 0
        for (state, mean) in means.enumerated() {
            cumulative += mean
            if uniform < cumulative { return state }
        }
        return means.count - 1
    }

    /// The draw kernel picks the rule's state in every group: on softmax rows with Philox
    /// uniforms, and where it turns: a uniform equal to a running sum (the next state), states
    /// of probability 0, groups summing below 1 (the last state), NaN means, u = 0.
    @Test(arguments: [2, 3, 4, 5, 8, 64])
    func drawKernelPicksTheInverseCDFsState(states: Int) {
        let groups = 40
        let count = groups * states
        var means = Self.logits(groups: groups, states: states, seed: 3)
        CategoricalUnits(parameter: states).applyMeans(to: &means, rows: 1, columns: count, bias: [Float](repeating: 0, count: count))
        var uniforms = [Float](repeating: 0, count: groups)
        RandomStream(seed: 4, purpose: .sampling).uniforms(row: 0, count: groups, into: &uniforms)
        // Hand-made groups 0…7: exact ties, zeros, short sums, NaN, u = 0.
        for state in 0..<states { means[state] = 1 / Float(states) }
        uniforms[0] = means[0]                                           // equal to the first running sum
        for state in 0..<states { means[states + state] = state == states - 1 ? 1 : 0 }
        uniforms[1] = 0
        for state in 0..<states { means[2 * states + state] = 0.1 / Float(states) }
        uniforms[2] = 0.5                                                // past the whole sum: the last state
        means[3 * states] = .nan
        uniforms[3] = 0.2
        means[4 * states + states - 1] = .nan
        for state in 0..<(states - 1) { means[4 * states + state] = 0.9 / Float(states - 1) }
        uniforms[4] = 0.1
        uniforms[5] = 0
        var kernel = [Float](repeating: .nan, count: count)
        let done = rbm_categorical_draw(means, uniforms, groups, states, &kernel)
        #expect(done == 0 || done == groups / 8 * 8)
        for group in 0..<done {
            let expected = Self.chosenState(means: means[(group * states)..<((group + 1) * states)], uniform: uniforms[group])
            let row = Array(kernel[(group * states)..<((group + 1) * states)])
            #expect(row == (0..<states).map { $0 == expected ? 1 : 0 }, "group \(group): \(row), expected state \(expected)")
        }
        // Through `sample`: the kernel's rows and the Swift code's are the same one-hot rows.
        let stream = RandomStream(seed: 6, purpose: .sampling, step: 2)
        var swift = [Float](repeating: .nan, count: count), whole = swift
        rbm_categorical_portable(1)
        CategoricalUnits(parameter: states).sample(stream, row: 9, means: means, count: count, into: &swift)
        rbm_categorical_portable(0)
        CategoricalUnits(parameter: states).sample(stream, row: 9, means: means, count: count, into: &whole)
        #expect(swift.map(\.bitPattern) == whole.map(\.bitPattern))
    }

    /// Over many rows of 13 groups (a block and a tail) the draws' frequencies are the means.
    @Test func drawnFrequenciesAreTheMeans() {
        let states = 4, groups = 13, rows = 20_000
        let pattern: [Float] = [0.1, 0.2, 0.3, 0.4]
        let means = (0..<(groups * states)).map { pattern[($0 + $0 / states) % states] }
        var counts = [Int](repeating: 0, count: groups * states)
        var output = [Float](repeating: 0, count: groups * states)
        for row in 0..<rows {
            CategoricalUnits(parameter: states).sample(RandomStream(seed: 8, purpose: .sampling), row: UInt32(row),
                                                       means: means, count: means.count, into: &output)
            for index in output.indices where output[index] == 1 { counts[index] += 1 }
        }
        for index in means.indices {
            let frequency = Double(counts[index]) / Double(rows), mean = Double(means[index])
            #expect(abs(frequency - mean) < 5 * (mean * (1 - mean) / Double(rows)).squareRoot(), "unit \(index): \(frequency) vs \(mean)")
        }
    }

    /// Σ_g logsumexp of each group, written out here in double precision with Foundation's exp
    /// and log, one log per group.
    static func logSumPerGroup(_ a: [Float], bias: [Float], states: Int) -> Double {
        var sum = 0.0
        for start in stride(from: 0, to: a.count - a.count % states, by: states) {
            let t = (start..<(start + states)).map { Double(bias[$0]) + Double(a[$0]) }
            let largest = t.max()!
            sum += largest + log(t.reduce(0) { $0 + exp($1 - largest) })
        }
        return sum
    }

    /// The exact log Z's inner sum (categorical_log_sum.c): its own exponential and one log per
    /// block of groups agree with glibc's exp and log per group to 10⁻¹³ relative, across state
    /// counts (the vector path's 2…64 and the one-group path's 65, 70), group counts that are not
    /// multiples of four and several blocks of products (1,200 groups of 4: blocks of 500), logits
    /// far apart (e^ below −700 floored), equal and at ±100; and the AVX2 path gives the one-group
    /// path's bits.
    @Test(arguments: [2, 3, 4, 5, 16, 64, 65, 70])
    func logSumOverGroupsMatchesDoublePrecisionAndIsTheSameOnEveryPath(states: Int) {
        for groups in [1, 7, 196, 1200] {
            let count = groups * states
            let raw = Self.logits(groups: groups, states: states, seed: UInt64(states * 1000 + groups))
            // Spread some groups over ±1,000, so that e^(t − max) underflows in places.
            let a = raw.enumerated().map { $0.offset % 17 == 0 ? $0.element * 30 : $0.element }
            let bias = (0..<count).map { Float($0 % 5) * 0.5 - 1 }
            let expected = Self.logSumPerGroup(a, bias: bias, states: states)
            rbm_categorical_log_sum_portable(1)
            let portable = rbm_categorical_log_sum(a, bias, groups, states)
            rbm_categorical_log_sum_portable(0)
            let vector = rbm_categorical_log_sum(a, bias, groups, states)
            #expect(abs(vector - expected) <= 1e-13 * max(1, abs(expected)),
                    "states \(states), groups \(groups): \(vector) vs \(expected)")
            #expect(vector.bitPattern == portable.bitPattern, "states \(states), groups \(groups): \(vector) vs \(portable)")
            // Through the units (what the exact log Z calls), and with the units' tail of a
            // partial group ignored as before.
            let units = CategoricalUnits(parameter: states)
            let throughUnits = units.summedOut(a + [5], bias: bias + [1], count: count + 1)
            #expect(throughUnits.bitPattern == vector.bitPattern)
        }
        rbm_categorical_log_sum_portable(0)
    }

    /// AIS's visible term (b_B − b_A)ᵀv on one-hot states, now summed group by group without
    /// branches, is the sum of the differences at the states on, added in ascending order — bit
    /// for bit — for 4 states (the vector path) and others.
    @Test(arguments: [2, 3, 4, 7])
    func annealingTermIsTheSumOfTheDifferencesAtTheStatesOn(states: Int) {
        let groups = 301, count = groups * states
        var uniforms = [Float](repeating: 0, count: count + groups)
        RandomStream(seed: UInt64(states), purpose: .sampling).uniforms(row: 0, count: count + groups, into: &uniforms)
        let difference = (0..<count).map { Double(uniforms[$0] - 0.5) * 7.3 }
        var v = [Float](repeating: 0, count: count)
        for group in 0..<groups { v[group * states + min(states - 1, Int(uniforms[count + group] * Float(states)))] = 1 }
        var expected = 0.0
        for index in 0..<count where v[index] == 1 { expected += difference[index] }
        let units = CategoricalUnits(parameter: states)
        let term = units.annealingTerm(v, count: count, modelBias: [], base: [], biasDifference: difference)
        #expect(term.bitPattern == expected.bitPattern, "\(term) vs \(expected)")
        let bernoulli = VisibleUnits.bernoulli.annealingTerm(v, count: count, modelBias: [], base: [], biasDifference: difference)
        #expect(bernoulli.bitPattern == expected.bitPattern, "\(bernoulli) vs \(expected)")
    }
}
