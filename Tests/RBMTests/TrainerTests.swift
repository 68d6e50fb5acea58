import Foundation
import Testing
import RBM

/// Exact expectations of a tiny RBM, by enumerating all visible states.
struct ExactStatistics {
    var weights: [Double]
    var visibleBias: [Double]
    var hiddenBias: [Double]

    /// (1/N) Σ_d v_d P(h|v_d)ᵀ, or with `probabilities`, Σ_v p(v) v P(h|v)ᵀ.
    init(model: RBMModel, rows: [[Float]], probabilities: [Double]? = nil) {
        let nv = model.visibleCount, nh = model.hiddenCount
        weights = Array(repeating: 0, count: nv * nh)
        visibleBias = Array(repeating: 0, count: nv)
        hiddenBias = Array(repeating: 0, count: nh)
        for (index, v) in rows.enumerated() {
            let weight = probabilities?[index] ?? 1 / Double(rows.count)
            let h = Reference.hiddenProbabilities(model, v)
            for i in 0..<nv {
                visibleBias[i] += weight * Double(v[i])
                for j in 0..<nh { weights[i * nh + j] += weight * Double(v[i]) * h[j] }
            }
            for j in 0..<nh { hiddenBias[j] += weight * h[j] }
        }
    }

    static func model(_ model: RBMModel) -> ExactStatistics {
        let states = Reference.allStates(model.visibleCount)
        let logZ = model.exactLogPartitionFunction()
        let energies = model.freeEnergies(visible: states.flatMap { $0 }, rows: states.count)
        return ExactStatistics(model: model, rows: states, probabilities: energies.map { exp(-$0 - logZ) })
    }
}

@Suite struct TrainerTests {
    func configuration(_ sampler: SamplerKind, batch: Int, shards: Int, workers: Int, k: Int = 1,
                       decay: Float = 0, seed: UInt64 = 42) -> TrainerConfiguration {
        TrainerConfiguration(batchSize: batch, shards: shards, workers: workers, sampler: sampler,
                             gibbsSteps: k, weightDecay: decay, seed: seed)
    }

    /// With the parameters held fixed, PCD's chains sample the model, so its gradient estimate,
    /// averaged over many updates, approaches the exact log-likelihood gradient
    /// E_data[v P(h|v)ᵀ] − E_model[v P(h|v)ᵀ] computed by enumerating all 2⁸ visible states.
    @Test func pcdGradientApproachesTheExactLogLikelihoodGradient() {
        let model = Reference.randomModel(visible: 8, hidden: 5, scale: 0.7, seed: 3)
        let batchSize = 400
        let data = Reference.randomBinary(rows: batchSize, columns: 8, seed: 9)
        let rows = (0..<batchSize).map { Array(data[($0 * 8)..<(($0 + 1) * 8)]) }
        let trainer = DataParallelTrainer(
            model: model, configuration: configuration(.persistentContrastiveDivergence,
                                                       batch: batchSize, shards: 4, workers: 2))
        let estimate = TrainingFixture.averagedGradient(trainer, batch: MatrixMinibatch(values: data, visibleCount: 8))
        let exact = ExactStatistics.gradient(model: model, rows: rows)
        let largestError = zip(estimate, exact).map { abs($0 - $1) }.max()!
        // 120,000 chain samples: Monte Carlo error about 0.002; the exact gradient's entries
        // are up to about 0.2, so 0.015 separates a right sampler from a wrong one.
        #expect(largestError < 0.015, "largest |estimate − exact| = \(largestError)")
        #expect(exact.map(abs).max()! > 0.05, "the test model should have a gradient to find")
    }

    /// Data drawn exactly from a known RBM; training a fresh RBM on it must raise the exact
    /// average log-likelihood most of the way towards the teacher's.
    @Test(arguments: [SamplerKind.contrastiveDivergence, .persistentContrastiveDivergence])
    func trainingRaisesTheExactLogLikelihood(sampler: SamplerKind) {
        // Strong random weights with biases that centre every unit (b = −½ΣⱼW, c = −½ΣᵢW):
        // a multimodal distribution far from any product of marginals.
        var teacher = Reference.randomModel(visible: 10, hidden: 4, scale: 2.5, seed: 21)
        for i in 0..<10 { teacher.visibleBias[i] = -0.5 * (0..<4).map { teacher.weights[i * 4 + $0] }.reduce(0, +) }
        for j in 0..<4 { teacher.hiddenBias[j] = -0.5 * (0..<10).map { teacher.weights[$0 * 4 + j] }.reduce(0, +) }
        let states = Reference.allStates(10)
        let logZ = teacher.exactLogPartitionFunction()
        let energies = teacher.freeEnergies(visible: states.flatMap { $0 }, rows: states.count)
        var cumulative: [Double] = []
        var total = 0.0
        for e in energies { total += exp(-e - logZ); cumulative.append(total) }
        let sampleCount = 1000
        let stream = RandomStream(seed: 77, purpose: .evaluation)
        var data: [Float] = []
        for s in 0..<sampleCount {
            let u = Double(stream.bits64(row: 0, index: UInt32(s)) >> 11) * 0x1p-53 * total
            let index = cumulative.firstIndex { $0 > u } ?? states.count - 1
            data += states[index]
        }
        let teacherLL = teacher.averageLogLikelihood(visible: data, rows: sampleCount, logPartitionFunction: logZ)

        let marginals = (0..<10).map { i in
            Float((0..<sampleCount).map { Double(data[$0 * 10 + i]) }.reduce(0, +) / Double(sampleCount))
        }
        let student = RBMModel.initialized(visibleCount: 10, hiddenCount: 6, seed: 5,
                                               weightStandardDeviation: 0.01, visibleMarginals: marginals)
        func logLikelihood(_ model: RBMModel) -> Double {
            model.averageLogLikelihood(visible: data, rows: sampleCount,
                                       logPartitionFunction: model.exactLogPartitionFunction())
        }
        let before = logLikelihood(student)
        let batchSize = 20
        let trainer = DataParallelTrainer(model: student, configuration: configuration(
            sampler, batch: batchSize, shards: 2, workers: 2))
        for epoch in 0..<40 {
            for start in stride(from: 0, to: sampleCount, by: batchSize) {
                let batch = MatrixMinibatch(values: Array(data[(start * 10)..<((start + batchSize) * 10)]),
                                            visibleCount: 10)
                // PCD's 20 chains cannot keep up with CD's step size and momentum 0.9 (the
                // parameters then move faster than the chains mix); it gets gentler steps.
                let hyperparameters = sampler == .contrastiveDivergence
                    ? UpdateHyperparameters(learningRate: 0.05, momentum: epoch < 5 ? 0.5 : 0.9)
                    : UpdateHyperparameters(learningRate: 0.02, momentum: 0.5)
                trainer.update(batch: batch, hyperparameters: hyperparameters)
            }
        }
        let after = logLikelihood(trainer.model)
        #expect(after > before + 0.6 * (teacherLL - before),
                "log-likelihood before \(before), after \(after), teacher \(teacherLL)")
        #expect(teacherLL - before > 0.5, "the data should be far from the initial model")
    }

    @Test(arguments: [SamplerKind.contrastiveDivergence, .persistentContrastiveDivergence])
    func sameSeedGivesBitIdenticalParametersWithOneTwoAndThreeWorkers(sampler: SamplerKind) {
        let data = Reference.randomBinary(rows: 30 * 6, columns: 37, seed: 4)
        func train(workers: Int, seed: UInt64 = 42) -> TrainerState {
            let model = RBMModel.initialized(visibleCount: 37, hiddenCount: 19, seed: seed,
                                                 weightStandardDeviation: 0.1)
            let trainer = DataParallelTrainer(model: model, configuration: configuration(
                sampler, batch: 30, shards: 4, workers: workers, k: 2, decay: 1e-3, seed: seed))
            for update in 0..<18 {
                let start = update % 6 * 30
                trainer.update(batch: MatrixMinibatch(values: Array(data[(start * 37)..<((start + 30) * 37)]),
                                                      visibleCount: 37),
                               hyperparameters: UpdateHyperparameters(learningRate: 0.1, momentum: 0.9))
            }
            return trainer.state
        }
        let one = train(workers: 1)
        #expect(one == train(workers: 2))
        #expect(one == train(workers: 3))
        #expect(one != train(workers: 2, seed: 43), "another seed must give other parameters")
        #expect(one.model.weights != RBMModel.initialized(
            visibleCount: 37, hiddenCount: 19, seed: 42, weightStandardDeviation: 0.1).weights)
    }

    @Test func resumingFromTheStateContinuesExactly() {
        let data = Reference.randomBinary(rows: 20, columns: 12, seed: 8)
        let batch = MatrixMinibatch(values: data, visibleCount: 12)
        let config = configuration(.persistentContrastiveDivergence, batch: 20, shards: 3, workers: 2)
        let start = RBMModel.initialized(visibleCount: 12, hiddenCount: 9, seed: 1, weightStandardDeviation: 0.1)
        let hyper = UpdateHyperparameters(learningRate: 0.05, momentum: 0.9)
        let straight = DataParallelTrainer(model: start, configuration: config)
        for _ in 0..<10 { straight.update(batch: batch, hyperparameters: hyper) }
        let first = DataParallelTrainer(model: start, configuration: config)
        for _ in 0..<6 { first.update(batch: batch, hyperparameters: hyper) }
        let resumed = DataParallelTrainer(state: first.state, configuration: config)
        for _ in 0..<4 { resumed.update(batch: batch, hyperparameters: hyper) }
        #expect(resumed.state == straight.state)
    }

    @Test func shardRowsCoverTheBatchExactlyOnce() {
        for batch in [1, 5, 30, 100] {
            for shards in 1...min(batch, 7) {
                let config = configuration(.contrastiveDivergence, batch: batch, shards: shards, workers: 1)
                let ranges = (0..<shards).map { config.rows(ofShard: $0) }
                #expect(ranges.first!.lowerBound == 0 && ranges.last!.upperBound == batch)
                for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
            }
        }
    }
}
