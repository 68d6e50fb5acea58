import Foundation
import RBM
import Testing

/// Gaussian and categorical visible units, held to the formulas by direct evaluation, to
/// brute-force partition functions (enumeration; quadrature for the Gaussian integral) and to
/// the exact log-likelihood gradient.
enum UnitReference {
    static func with(_ model: RBMModel, _ units: VisibleUnits) -> RBMModel {
        var model = model
        model.visibleUnits = units
        return model
    }

    /// (Wh)_i in double precision.
    static func visibleInput(_ model: RBMModel, _ h: [Float]) -> [Double] {
        (0..<model.visibleCount).map { i in
            (0..<model.hiddenCount).reduce(0.0) { $0 + Double(model.weights[i * model.hiddenCount + $1]) * Double(h[$1]) }
        }
    }

    /// E(v, h) for Gaussian units: Σ(v − b)²/2 − cᵀh − vᵀWh.
    static func gaussianEnergy(_ model: RBMModel, _ v: [Double], _ h: [Float]) -> Double {
        var e = 0.0
        for i in 0..<model.visibleCount { e += (v[i] - Double(model.visibleBias[i])) * (v[i] - Double(model.visibleBias[i])) / 2 }
        for j in 0..<model.hiddenCount { e -= Double(model.hiddenBias[j]) * Double(h[j]) }
        let input = visibleInput(model, h)
        for i in 0..<model.visibleCount { e -= v[i] * input[i] }
        return e
    }

    /// Every one-hot configuration of `variables` variables with `states` states.
    static func oneHotStates(variables: Int, states: Int) -> [[Float]] {
        var configurations: [[Float]] = [[]]
        for _ in 0..<variables {
            configurations = configurations.flatMap { prefix in
                (0..<states).map { state in prefix + (0..<states).map { Float($0 == state ? 1 : 0) } }
            }
        }
        return configurations
    }

    /// A categorical model and data drawn uniformly over the states, keyed by seed.
    static func categoricalData(rows: Int, variables: Int, states: Int, seed: UInt64) -> [Float] {
        let stream = RandomStream(seed: seed, purpose: .evaluation, step: 3)
        var data: [Float] = []
        for row in 0..<rows {
            for variable in 0..<variables {
                let state = stream.integer(below: states, row: UInt32(row), index: UInt32(variable))
                data += (0..<states).map { Float($0 == state ? 1 : 0) }
            }
        }
        return data
    }
}

@Suite struct VisibleUnitsTests {
    @Test func gaussianConditionalIsTheMeanAndCategoricalASoftmaxPerGroup() {
        let base = Reference.randomModel(visible: 6, hidden: 4, scale: 0.8, seed: 5)
        let h: [Float] = [1, 0, 1, 1]
        let input = UnitReference.visibleInput(base, h)
        let gaussian = UnitReference.with(base, .gaussian).visibleProbabilities(hidden: h, rows: 1)
        for i in 0..<6 { #expect(abs(Double(gaussian[i]) - (Double(base.visibleBias[i]) + input[i])) < 1e-5) }
        let categorical = UnitReference.with(base, .categorical(states: 3)).visibleProbabilities(hidden: h, rows: 1)
        for group in 0..<2 {
            let logits = (0..<3).map { Double(base.visibleBias[group * 3 + $0]) + input[group * 3 + $0] }
            let normalizer = logits.map(exp).reduce(0, +)
            for state in 0..<3 {
                #expect(abs(Double(categorical[group * 3 + state]) - exp(logits[state]) / normalizer) < 1e-6)
            }
        }
    }

    @Test func freeEnergiesMatchEnumerationOverTheHiddenStates() {
        let base = Reference.randomModel(visible: 6, hidden: 4, scale: 0.8, seed: 6)
        let gaussian = UnitReference.with(base, .gaussian)
        let v: [Float] = [0.3, -1.2, 2.0, 0.0, -0.4, 1.1]
        let expected = -logSumExp(Reference.allStates(4).map { -UnitReference.gaussianEnergy(gaussian, v.map(Double.init), $0) })
        #expect(abs(gaussian.freeEnergies(visible: v, rows: 1)[0] - expected) < 1e-5)
        let categorical = UnitReference.with(base, .categorical(states: 3))
        let oneHot: [Float] = [0, 1, 0, 0, 0, 1]
        #expect(abs(categorical.freeEnergies(visible: oneHot, rows: 1)[0] - Reference.freeEnergyByEnumeration(base, oneHot)) < 1e-5)
    }

    /// Categorical: every one-hot v and every h. Gaussian (2 visible units): the v integral by
    /// the trapezoid rule on [−12, 12]² (step 0.02) for each h.
    @Test func exactLogPartitionFunctionsMatchBruteForce() {
        let base = Reference.randomModel(visible: 6, hidden: 3, scale: 0.9, seed: 7)
        let categorical = UnitReference.with(base, .categorical(states: 3))
        var terms: [Double] = []
        for v in UnitReference.oneHotStates(variables: 2, states: 3) {
            for h in Reference.allStates(3) { terms.append(-Reference.energy(base, v, h)) }
        }
        #expect(abs(categorical.exactLogPartitionFunction() - logSumExp(terms)) < 1e-6)

        let small = UnitReference.with(Reference.randomModel(visible: 2, hidden: 3, scale: 0.7, seed: 8), .gaussian)
        let step = 0.02, grid = stride(from: -12.0, through: 12.0, by: step).map { $0 }
        var total = 0.0
        for h in Reference.allStates(3) {
            for x in grid {
                for y in grid { total += exp(-UnitReference.gaussianEnergy(small, [x, y], h)) * step * step }
            }
        }
        #expect(abs(small.exactLogPartitionFunction() - log(total)) < 1e-6, "exact \(small.exactLogPartitionFunction()), quadrature \(log(total))")
    }

    /// With the parameters held fixed, PCD's chains — and parallel tempering's β = 1 chains,
    /// swapping with chains at β = 0.5 and 0.2 — sample the model: the averaged gradient
    /// estimate approaches the exact gradient E_data[v P(h|v)ᵀ] − E_model[v hᵀ], the model term by
    /// enumerating hidden states with E[v | h] in closed form (Gaussian) or every one-hot v
    /// (categorical). A wrong tempered conditional or swap ratio pulls the β = 1 chains towards
    /// the hotter ones' distribution.
    @Test(arguments: ["gaussian", "categorical"], ["pcd", "pt"])
    func persistentChainsApproachTheExactGradient(kind: String, sampler: String) {
        let base = Reference.randomModel(visible: 6, hidden: 4, scale: 0.5, seed: 11)
        let units: VisibleUnits = kind == "gaussian" ? .gaussian : .categorical(states: 3)
        let model = UnitReference.with(base, units)
        let batchSize = 300
        let data: [Float] = units == .gaussian
            ? (0..<(batchSize * 6)).map { Float(RandomStream(seed: 4, purpose: .evaluation).normal(row: 0, index: UInt32($0))) }
            : UnitReference.categoricalData(rows: batchSize, variables: 2, states: 3, seed: 4)
        let rows = (0..<batchSize).map { Array(data[($0 * 6)..<(($0 + 1) * 6)]) }
        let positive = ExactStatistics(model: base, rows: rows)
        var negative = [Double](repeating: 0, count: 24 + 6 + 4)
        if units == .gaussian {
            // p(h) ∝ exp(cᵀh + bᵀa + |a|²/2), a = Wh; E[v | h] = b + a.
            let states = Reference.allStates(4)
            var logWeights: [Double] = []
            for h in states {
                let a = UnitReference.visibleInput(model, h)
                var logWeight = 0.0
                for j in 0..<4 { logWeight += Double(model.hiddenBias[j]) * Double(h[j]) }
                for i in 0..<6 { logWeight += Double(model.visibleBias[i]) * a[i] + a[i] * a[i] / 2 }
                logWeights.append(logWeight)
            }
            let logZ = logSumExp(logWeights)
            for (h, logWeight) in zip(states, logWeights) {
                let p: Double = Foundation.exp(logWeight - logZ)
                let a = UnitReference.visibleInput(model, h)
                for i in 0..<6 {
                    let mean: Double = Double(model.visibleBias[i]) + a[i]
                    for j in 0..<4 { negative[i * 4 + j] += p * mean * Double(h[j]) }
                    negative[24 + i] += p * mean
                }
                for j in 0..<4 { negative[30 + j] += p * Double(h[j]) }
            }
        } else {
            let states = UnitReference.oneHotStates(variables: 2, states: 3)
            let logZ = model.exactLogPartitionFunction()
            let energies = model.freeEnergies(visible: states.flatMap { $0 }, rows: states.count)
            let exact = ExactStatistics(model: base, rows: states, probabilities: energies.map { exp(-$0 - logZ) })
            negative = exact.weights + exact.visibleBias + exact.hiddenBias
        }
        var configuration = TrainerConfiguration(
            batchSize: batchSize, shards: 3, workers: 2, sampler: SamplerKind(rawValue: sampler)!, gibbsSteps: 1,
            weightDecay: 0, seed: 42)
        if configuration.sampler == .parallelTempering { configuration.inverseTemperatures = [1, 0.5, 0.2] }
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        let batch = MatrixMinibatch(values: data, visibleCount: 6)
        for _ in 0..<50 { _ = trainer.estimateGradient(batch: batch) }
        let updates = 400
        var sum = [Double](repeating: 0, count: 34)
        for _ in 0..<updates {
            let g = trainer.estimateGradient(batch: batch)
            for (index, value) in (g.weights + g.visibleBias + g.hiddenBias).enumerated() { sum[index] += Double(value) / Double(updates) }
        }
        let exact = zip(positive.weights + positive.visibleBias + positive.hiddenBias, negative).map { $0 - $1 }
        let largestError = zip(sum, exact).map { abs($0 - $1) }.max()!
        // 120,000 chain samples: Monte Carlo error of a few thousandths; a wrong sampler or
        // conditional is off by tenths.
        #expect(largestError < 0.03, "\(kind) \(sampler): largest |estimate − exact| = \(largestError)")
        if configuration.sampler == .parallelTempering {
            let acceptance = trainer.takeSwapAcceptanceRates()
            #expect(acceptance.allSatisfy { $0 > 0.05 && $0 < 1 }, "\(kind): the chains should swap (acceptance \(acceptance))")
        }
        #expect(exact.map(abs).max()! > 0.1, "the test model should have a gradient to find")
    }

    @Test(arguments: ["gaussian", "categorical"])
    func aisAgreesWithExactLogZ(kind: String) {
        let base = Reference.randomModel(visible: 24, hidden: 10, scale: 0.4, seed: 13)
        let units: VisibleUnits = kind == "gaussian" ? .gaussian : .categorical(states: 4)
        let model = UnitReference.with(base, units)
        let marginals: [Float] = units == .gaussian ? [Float](repeating: 0, count: 24) : [Float](repeating: 0.25, count: 24)
        let exact = model.exactLogPartitionFunction()
        let ais = AnnealedImportanceSampling(runs: 100, betaCount: 14_500, seed: 3, workers: 2)
            .estimate(model: model, baseVisibleBias: AnnealedImportanceSampling.baseBias(units: units, marginals: marginals))
        #expect(abs(ais.logPartitionFunction - exact) < 0.05, "\(kind): AIS \(ais.logPartitionFunction), exact \(exact)")
    }

    /// PCD, or parallel tempering with three temperatures (β = 1, 0.6, 0.3).
    static func configuration(_ sampler: String, batchSize: Int, shards: Int, workers: Int, gibbsSteps: Int,
                              seed: UInt64) -> TrainerConfiguration {
        var configuration = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: workers,
                                                 sampler: SamplerKind(rawValue: sampler)!, gibbsSteps: gibbsSteps,
                                                 weightDecay: 1e-4, seed: seed)
        if configuration.sampler == .parallelTempering { configuration.inverseTemperatures = [1, 0.6, 0.3] }
        return configuration
    }

    @Test(arguments: ["gaussian", "categorical"], ["pcd", "pt"])
    func trainingIsBitIdenticalForOneTwoAndThreeWorkers(kind: String, sampler: String) {
        let units: VisibleUnits = kind == "gaussian" ? .gaussian : .categorical(states: 3)
        let data: [Float] = units == .gaussian
            ? (0..<(60 * 6)).map { Float(RandomStream(seed: 2, purpose: .evaluation).normal(row: 1, index: UInt32($0))) }
            : UnitReference.categoricalData(rows: 60, variables: 2, states: 3, seed: 2)
        func train(workers: Int) -> TrainerState {
            let trainer = DataParallelTrainer(
                model: UnitReference.with(Reference.randomModel(visible: 6, hidden: 5, scale: 0.1, seed: 1), units),
                configuration: Self.configuration(sampler, batchSize: 20, shards: 3, workers: workers, gibbsSteps: 2, seed: 9))
            for step in 0..<30 {
                let start = step % 3 * 20 * 6
                trainer.update(batch: MatrixMinibatch(values: Array(data[start..<(start + 120)]), visibleCount: 6),
                               hyperparameters: UpdateHyperparameters(learningRate: 0.05, momentum: 0.5))
            }
            return trainer.state
        }
        let one = train(workers: 1)
        #expect(one == train(workers: 2) && one == train(workers: 3))
        #expect(one.model.visibleUnits == units && one.model.isFinite)
    }

    /// Stopping after 15 updates and continuing from the saved state ends where 30 straight
    /// updates end, for every kind of unit.
    @Test(arguments: ["bernoulli", "gaussian", "categorical"], ["pcd", "pt"])
    func resumingFromTheStateContinuesExactly(kind: String, sampler: String) {
        let units: VisibleUnits = kind == "gaussian" ? .gaussian : kind == "categorical" ? .categorical(states: 3) : .bernoulli
        let data: [Float] = units == .gaussian
            ? (0..<(40 * 6)).map { Float(RandomStream(seed: 3, purpose: .evaluation).normal(row: 2, index: UInt32($0))) }
            : units == .bernoulli ? Reference.randomBinary(rows: 40, columns: 6, seed: 3)
            : UnitReference.categoricalData(rows: 40, variables: 2, states: 3, seed: 3)
        let configuration = Self.configuration(sampler, batchSize: 20, shards: 2, workers: 2, gibbsSteps: 1, seed: 5)
        let model = UnitReference.with(Reference.randomModel(visible: 6, hidden: 4, scale: 0.1, seed: 2), units)
        func run(_ trainer: DataParallelTrainer, _ steps: Range<Int>) {
            for step in steps {
                let start = step % 2 * 120
                trainer.update(batch: MatrixMinibatch(values: Array(data[start..<(start + 120)]), visibleCount: 6),
                               hyperparameters: UpdateHyperparameters(learningRate: 0.05, momentum: 0.5))
            }
        }
        let straight = DataParallelTrainer(model: model, configuration: configuration)
        run(straight, 0..<30)
        let first = DataParallelTrainer(model: model, configuration: configuration)
        run(first, 0..<15)
        let resumed = DataParallelTrainer(state: first.state, configuration: configuration)
        run(resumed, 15..<30)
        #expect(resumed.state == straight.state, "\(kind) \(sampler)")
    }

    @Test func categoricalSamplesAreOneHotWithTheSoftmaxFrequencies() {
        var counts = [0, 0, 0]
        let means: [Float] = [0.2, 0.5, 0.3]
        var output = [Float](repeating: 0, count: 3)
        for row in 0..<20_000 {
            VisibleUnits.categorical(states: 3).sample(RandomStream(seed: 1, purpose: .sampling), row: UInt32(row),
                                                       means: means, count: 3, into: &output)
            #expect(output.reduce(0, +) == 1)
            counts[output.firstIndex(of: 1)!] += 1
        }
        for state in 0..<3 { #expect(abs(Double(counts[state]) / 20_000 - Double(means[state])) < 0.015) }
    }

    /// Each pair of units is Box–Muller's two outputs from the row's uniforms 2k and 2k + 1, as
    /// double-precision log, cos and sin compute them, whatever the row's length (tails too).
    @Test(arguments: [1, 7, 16, 33, 1000])
    func gaussianDrawsAreBoxMullerOfTheirUniformPairs(count: Int) {
        let stream = RandomStream(seed: 5, purpose: .sampling, step: 2)
        let means = (0..<count).map { Float($0 % 5) - 2 }
        var output = [Float](repeating: .nan, count: count)
        VisibleUnits.gaussian.sample(stream, row: 3, means: means, count: count, into: &output)
        var uniforms = [Float](repeating: 0, count: count + 1)
        stream.uniforms(row: 3, count: count + 1, into: &uniforms)
        for i in 0..<count {
            let k = i / 2 * 2
            let radius = (-2 * log(1 - Double(uniforms[k]))).squareRoot()
            let angle = 2 * Double.pi * Double(uniforms[k + 1])
            let expected = Double(means[i]) + radius * (i % 2 == 0 ? cos(angle) : sin(angle))
            #expect(abs(Double(output[i]) - expected) < 2e-6 * max(1, radius), "unit \(i): \(output[i]) vs \(expected)")
        }
    }

    /// The AVX2 kernel (box_muller.c) and the Swift code draw the same bits: on Philox uniforms
    /// for rows of every length (whole blocks and tails, in place too), and on the uniforms
    /// where the reductions turn: 0, 2⁻²⁴, the quarter turns and either side of them, the
    /// largest uniform, and mantissas either side of √½ for the logarithm's split.
    @Test func boxMullerKernelDrawsTheSwiftCodesBits() {
        var specials: [Float] = [0, 0x1p-24, 0.5, 1 - 0x1p-24, 0.707_106_77, 0.707_106_7, 0.292_893_2, 0.292_893_25]
        for quarter in [Float(0), 0.25, 0.5, 0.75] {
            specials += [quarter, quarter + 0x1p-24, max(0, quarter - 0x1p-24), quarter + 0.125, quarter + 0.124_999_99]
        }
        let stream = RandomStream(seed: 9, purpose: .sampling, step: 4)
        var rows: [[Float]] = (0..<300).map { row in
            var uniforms = [Float](repeating: 0, count: 1008)
            stream.uniforms(row: UInt32(row), count: uniforms.count, into: &uniforms)
            return uniforms
        }
        for shift in 0..<specials.count {
            rows.append((0..<1008).map { specials[($0 + shift) % specials.count] })
        }
        defer { GaussianUnits.forcePortablePath(false) }
        for (index, uniforms) in rows.enumerated() {
            let count = [1000, 1008, 16, 17, 31, 784][index % 6]
            let means = (0..<count).map { Float($0 % 7) * 0.37 - 1 }
            var portable = [Float](repeating: .nan, count: count), kernel = portable, inPlace = means
            GaussianUnits.forcePortablePath(true)
            GaussianUnits.boxMuller(uniforms: uniforms, means: means, count: count, into: &portable)
            GaussianUnits.forcePortablePath(false)
            GaussianUnits.boxMuller(uniforms: uniforms, means: means, count: count, into: &kernel)
            inPlace.withUnsafeMutableBufferPointer { GaussianUnits.boxMuller(uniforms: uniforms, means: $0.baseAddress!, count: count, into: $0.baseAddress!) }
            let differing = (0..<count).filter { portable[$0].bitPattern != kernel[$0].bitPattern || inPlace[$0].bitPattern != kernel[$0].bitPattern }
            let first = differing.first.map { "unit \($0): \(portable[$0]) (Swift) vs \(kernel[$0]) (kernel)" } ?? ""
            #expect(differing.isEmpty, "row \(index): \(differing.count) units differ; \(first)")
            #expect(portable.allSatisfy { $0.isFinite })
        }
    }

    /// The vector logarithm and the quarter-turn sine and cosine against double precision,
    /// over their whole ranges (near 1 and near 0 too, where Box–Muller's radius is small).
    @Test func vectorLogarithmAndTurnsAreAccurate() {
        var worstLog = 0.0, worstTurn = 0.0
        for index in 0..<(1 << 16) {
            let z = index == 0 ? Float(1) : Float(1) - Float(index) * Float(1.0 / 65_536) * (index % 2 == 0 ? 1 : 0.999)
            let tiny = Float(index + 1) * 0x1p-24
            let logs = Logistic.log8(SIMD8(z, tiny, 1, 0.5, 0.707_106_77, 0.707_106_7, 1e-6, Float(index + 1) / 65_536))
            for lane in 0..<8 {
                let input = [Double(z), Double(tiny), 1, 0.5, 0.707_106_77, 0.707_106_7, 1e-6, Double(index + 1) / 65_536][lane]
                let exact = log(Double(Float(input)))
                worstLog = max(worstLog, abs(Double(logs[lane]) - exact) / max(abs(exact), 1e-30))
            }
            let t = Float(index) / 65_536
            let (c, s) = Logistic.cosSinOfTurns8(SIMD8(repeating: t))
            worstTurn = max(worstTurn, abs(Double(c[0]) - cos(2 * .pi * Double(t))), abs(Double(s[0]) - sin(2 * .pi * Double(t))))
        }
        #expect(worstLog < 3e-7, "log: relative error \(worstLog)")
        #expect(worstTurn < 4e-7, "cos/sin: absolute error \(worstTurn)")
    }

    @Test func gaussianSamplesHaveTheirMeanAndUnitVariance() {
        let count = 40_000
        var output = [Float](repeating: 0, count: count)
        let means = [Float](repeating: 1.5, count: count)
        VisibleUnits.gaussian.sample(RandomStream(seed: 2, purpose: .sampling), row: 0, means: means, count: count, into: &output)
        let mean = output.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = output.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        #expect(abs(mean - 1.5) < 0.02 && abs(variance - 1) < 0.03, "mean \(mean), variance \(variance)")
    }
}
