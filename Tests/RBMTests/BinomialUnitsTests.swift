import Foundation
import RBM
import Testing

/// Binomial visible units (counts 0 … n), held to the same checks as the other kinds: the
/// conditional and free energy against direct evaluation, exact log Z against enumerating both
/// layers, the sampler against the binomial law, the PCD gradient against the exact gradient,
/// AIS against exact log Z, and bit-identity over workers and resume.
enum BinomialReference {
    static func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }

    /// E(v, h) = −bᵀv − cᵀh − vᵀWh − Σ_i log C(n, v_i).
    static func energy(_ model: RBMModel, trials: Int, _ v: [Float], _ h: [Float]) -> Double {
        Reference.energy(model, v, h) - v.reduce(0.0) { $0 + logChoose(trials, Int($1)) }
    }

    /// Every v ∈ {0, …, n}^count.
    static func allCounts(_ count: Int, trials: Int) -> [[Float]] {
        var all: [[Float]] = [[]]
        for _ in 0..<count { all = all.flatMap { prefix in (0...trials).map { prefix + [Float($0)] } } }
        return all
    }

    /// Counts drawn uniformly from 0 … n, keyed by seed.
    static func data(rows: Int, columns: Int, trials: Int, seed: UInt64) -> [Float] {
        let stream = RandomStream(seed: seed, purpose: .evaluation, step: 5)
        return (0..<(rows * columns)).map { Float(stream.integer(below: trials + 1, row: UInt32($0 / columns), index: UInt32($0 % columns))) }
    }
}

@Suite struct BinomialUnitsTests {
    @Test func conditionalMeanIsNTimesTheLogisticAndFreeEnergyMatchesEnumeration() {
        let trials = 5
        let model = UnitReference.with(Reference.randomModel(visible: 4, hidden: 3, scale: 0.8, seed: 21), .binomial(trials: trials))
        let h: [Float] = [1, 0, 1]
        let means = model.visibleProbabilities(hidden: h, rows: 1)
        for (i, p) in Reference.visibleProbabilities(model, h).enumerated() {
            #expect(abs(Double(means[i]) - Double(trials) * p) < 1e-5)
        }
        let v: [Float] = [0, 3, 5, 2]
        let expected = -logSumExp(Reference.allStates(3).map { -BinomialReference.energy(model, trials: trials, v, $0) })
        #expect(abs(model.freeEnergies(visible: v, rows: 1)[0] - expected) < 1e-5)
    }

    @Test func exactLogPartitionFunctionMatchesEnumeratingBothLayers() {
        let trials = 3
        let model = UnitReference.with(Reference.randomModel(visible: 3, hidden: 3, scale: 0.9, seed: 22), .binomial(trials: trials))
        var terms: [Double] = []
        for v in BinomialReference.allCounts(3, trials: trials) {
            for h in Reference.allStates(3) { terms.append(-BinomialReference.energy(model, trials: trials, v, h)) }
        }
        #expect(abs(model.exactLogPartitionFunction() - logSumExp(terms)) < 1e-6)
    }

    /// Counts drawn for several (n, p), including the mirrored side p > 1/2 and the ends p = 0
    /// and 1, have the binomial law's frequencies: every count's share within 4 standard errors
    /// (and 0.002) of C(n, k) pᵏ (1 − p)ⁿ⁻ᵏ.
    @Test(arguments: [(1, 0.3), (5, 0.9), (20, 0.5), (255, 0.12), (255, 0.97), (7, 0.0), (7, 1.0)])
    func samplesFollowTheBinomialLaw(trials: Int, probability: Double) {
        let units = VisibleUnits.binomial(trials: trials)
        let draws = 40_000
        let means = [Float](repeating: Float(probability * Double(trials)), count: draws)
        var output = [Float](repeating: -1, count: draws)
        units.sample(RandomStream(seed: 7, purpose: .sampling), row: 0, means: means, count: draws, into: &output)
        var counts = [Int](repeating: 0, count: trials + 1)
        for value in output {
            #expect(value == value.rounded() && value >= 0 && value <= Float(trials))
            counts[Int(value)] += 1
        }
        for k in 0...trials {
            let expected = probability == 0 ? (k == 0 ? 1 : 0) : probability == 1 ? (k == trials ? 1 : 0)
                : exp(BinomialReference.logChoose(trials, k) + Double(k) * log(probability) + Double(trials - k) * log(1 - probability))
            let share = Double(counts[k]) / Double(draws)
            let tolerance = 4 * (expected * (1 - expected) / Double(draws)).squareRoot() + 0.002
            #expect(abs(share - expected) <= tolerance, "n \(trials), p \(probability), k \(k): \(share) vs \(expected)")
        }
    }

    /// With the parameters held fixed, PCD's averaged gradient approaches the exact gradient
    /// E_data[v P(h|v)ᵀ] − E_model[v hᵀ], the model term by enumerating every (v, h) with the
    /// binomial energy written out here.
    /// Also for parallel tempering's β = 1 chains (β = 1, 0.5, 0.2), whose hotter chains sample
    /// n·σ(β(hWᵀ + b)) counts with the binomial coefficients kept.
    @Test(arguments: ["pcd", "pt"])
    func persistentChainsApproachTheExactGradient(sampler: String) {
        let trials = 2, nv = 4, nh = 3
        let base = Reference.randomModel(visible: nv, hidden: nh, scale: 0.5, seed: 23)
        let model = UnitReference.with(base, .binomial(trials: trials))
        let batchSize = 300
        let data = BinomialReference.data(rows: batchSize, columns: nv, trials: trials, seed: 4)
        let positive = ExactStatistics(model: base, rows: (0..<batchSize).map { Array(data[($0 * nv)..<(($0 + 1) * nv)]) })
        var negative = [Double](repeating: 0, count: nv * nh + nv + nh)
        var joint: [(v: [Float], h: [Float], logWeight: Double)] = []
        for v in BinomialReference.allCounts(nv, trials: trials) {
            for h in Reference.allStates(nh) { joint.append((v, h, -BinomialReference.energy(model, trials: trials, v, h))) }
        }
        let logZ = logSumExp(joint.map(\.logWeight))
        for (v, h, logWeight) in joint {
            let p = exp(logWeight - logZ)
            for i in 0..<nv {
                for j in 0..<nh { negative[i * nh + j] += p * Double(v[i]) * Double(h[j]) }
                negative[nv * nh + i] += p * Double(v[i])
            }
            for j in 0..<nh { negative[nv * nh + nv + j] += p * Double(h[j]) }
        }
        var configuration = TrainerConfiguration(batchSize: batchSize, shards: 3, workers: 2,
                                                 sampler: SamplerKind(rawValue: sampler)!, gibbsSteps: 1, weightDecay: 0, seed: 42)
        if configuration.sampler == .parallelTempering { configuration.inverseTemperatures = [1, 0.5, 0.2] }
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        let batch = MatrixMinibatch(values: data, visibleCount: nv)
        for _ in 0..<50 { _ = trainer.estimateGradient(batch: batch) }
        let updates = 400
        var sum = [Double](repeating: 0, count: negative.count)
        for _ in 0..<updates {
            let g = trainer.estimateGradient(batch: batch)
            for (index, value) in (g.weights + g.visibleBias + g.hiddenBias).enumerated() { sum[index] += Double(value) / Double(updates) }
        }
        let exact = zip(positive.weights + positive.visibleBias + positive.hiddenBias, negative).map { $0 - $1 }
        let largestError = zip(sum, exact).map { abs($0 - $1) }.max()!
        // 120,000 chain samples of counts up to 2: Monte Carlo error of about a hundredth.
        #expect(largestError < 0.04, "\(sampler): largest |estimate − exact| = \(largestError)")
        #expect(exact.map(abs).max()! > 0.1, "the test model should have a gradient to find")
        if configuration.sampler == .parallelTempering {
            #expect(trainer.takeSwapAcceptanceRates().allSatisfy { $0 > 0.05 && $0 < 1 }, "the chains should swap")
        }
    }

    /// AIS from the base model of the data's mean counts lands within 0.05 nats of exact log Z
    /// (the hidden layer enumerated, the counts summed out).
    @Test(arguments: [(4, UInt64(13)), (30, UInt64(14))])
    func aisAgreesWithExactLogZ(trials: Int, seed: UInt64) {
        let units = VisibleUnits.binomial(trials: trials)
        let model = UnitReference.with(Reference.randomModel(visible: 24, hidden: 10, scale: 0.4 / Float(trials).squareRoot(), seed: seed), units)
        let marginals = [Float](repeating: 0.3 * Float(trials), count: 24)
        let exact = model.exactLogPartitionFunction()
        let ais = AnnealedImportanceSampling(runs: 100, betaCount: 14_500, seed: 3, workers: 2)
            .estimate(model: model, baseVisibleBias: AnnealedImportanceSampling.baseBias(units: units, marginals: marginals))
        #expect(abs(ais.logPartitionFunction - exact) < 0.05, "n \(trials): AIS \(ais.logPartitionFunction), exact \(exact)")
    }

    func train(workers: Int, data: [Float], steps: Range<Int>, from state: TrainerState? = nil) -> TrainerState {
        let configuration = TrainerConfiguration(batchSize: 20, shards: 3, workers: workers, sampler: .persistentContrastiveDivergence,
                                                 gibbsSteps: 2, weightDecay: 1e-4, seed: 9)
        let trainer = state.map { DataParallelTrainer(state: $0, configuration: configuration) }
            ?? DataParallelTrainer(model: UnitReference.with(Reference.randomModel(visible: 6, hidden: 5, scale: 0.1, seed: 1),
                                                             .binomial(trials: 8)),
                                   configuration: configuration)
        for step in steps {
            let start = step % 3 * 20 * 6
            trainer.update(batch: MatrixMinibatch(values: Array(data[start..<(start + 120)]), visibleCount: 6),
                           hyperparameters: UpdateHyperparameters(learningRate: 0.02, momentum: 0.5))
        }
        return trainer.state
    }

    @Test func trainingIsBitIdenticalForOneTwoAndThreeWorkersAndAcrossAResume() throws {
        let data = BinomialReference.data(rows: 60, columns: 6, trials: 8, seed: 2)
        let one = train(workers: 1, data: data, steps: 0..<30)
        #expect(one == train(workers: 2, data: data, steps: 0..<30) && one == train(workers: 3, data: data, steps: 0..<30))
        #expect(one.model.visibleUnits == .binomial(trials: 8) && one.model.isFinite)
        let chains = try #require(one.chainVisible)
        #expect(chains.allSatisfy { $0 == $0.rounded() && $0 >= 0 && $0 <= 8 }, "persistent chains hold counts")
        let resumed = train(workers: 2, data: data, steps: 15..<30, from: train(workers: 2, data: data, steps: 0..<15))
        #expect(resumed == one)
    }
}
