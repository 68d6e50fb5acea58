import Foundation
import RBM
import Testing

/// Gaussian units with learned variances, in the data's coordinates v, written out from the
/// energy E(v, h) = Σ_i (v_i/σ_i − b_i)²/2 − Σ_ij (v_i/σ_i) W_ij h_j − cᵀh independently of the
/// library's u = v/σ route.
enum VarianceReference {
    static func energy(_ model: RBMModel, logVariance z: [Double], _ v: [Double], _ h: [Float]) -> Double {
        let nv = model.visibleCount, nh = model.hiddenCount
        var e = 0.0
        for i in 0..<nv {
            let sigma = exp(z[i] / 2)
            let d = v[i] / sigma - Double(model.visibleBias[i])
            e += d * d / 2
            for j in 0..<nh { e -= v[i] / sigma * Double(model.weights[i * nh + j]) * Double(h[j]) }
        }
        for j in 0..<nh { e -= Double(model.hiddenBias[j]) * Double(h[j]) }
        return e
    }

    /// log Z = log Σ_h ∫ e^(−E(v, h)) dv: per h the integral is Gaussian in v,
    /// Π_i σ_i √(2π) · exp(cᵀh + Σ_i ((b_i + a_i)² − b_i²)/2) with a = Wh.
    static func logPartition(_ model: RBMModel, logVariance z: [Double]) -> Double {
        let nv = model.visibleCount, nh = model.hiddenCount
        let terms = Reference.allStates(nh).map { h -> Double in
            var term = 0.0
            for j in 0..<nh { term += Double(model.hiddenBias[j]) * Double(h[j]) }
            for i in 0..<nv {
                var a = 0.0
                for j in 0..<nh { a += Double(model.weights[i * nh + j]) * Double(h[j]) }
                let b = Double(model.visibleBias[i])
                term += ((b + a) * (b + a) - b * b) / 2 + z[i] / 2 + log(2 * Double.pi) / 2
            }
            return term
        }
        return logSumExp(terms)
    }

    /// Mean log p(v) = mean(log Σ_h e^(−E(v, h))) − log Z over the rows.
    static func meanLogLikelihood(_ model: RBMModel, logVariance z: [Double], rows: [[Float]]) -> Double {
        let logZ = logPartition(model, logVariance: z)
        let states = Reference.allStates(model.hiddenCount)
        let total = rows.reduce(0.0) { sum, v in
            sum + logSumExp(states.map { -energy(model, logVariance: z, v.map(Double.init), $0) })
        }
        return total / Double(rows.count) - logZ
    }

    /// ∂/∂θ of the mean log-likelihood by central differences (step 1e-4, double precision),
    /// for every weight, visible bias, hidden bias and log-variance, in that order.
    static func finiteDifferenceGradient(_ model: RBMModel, rows: [[Float]]) -> [Double] {
        let z = model.visibleLogVariance!.map(Double.init)
        let step = 1e-4
        func value(_ change: (inout RBMModel, inout [Double]) -> Void) -> Double {
            var changed = model, changedZ = z
            change(&changed, &changedZ)
            return meanLogLikelihood(changed, logVariance: changedZ, rows: rows)
        }
        // Float parameters move by Float(step); the difference is divided by the step taken.
        func derivative(_ set: @escaping (inout RBMModel, inout [Double], Double) -> Void) -> Double {
            (value { set(&$0, &$1, step) } - value { set(&$0, &$1, -step) }) / (2 * step)
        }
        var gradient: [Double] = []
        for index in 0..<model.weights.count {
            let original = model.weights[index]
            let up = Float(Double(original) + step), down = Float(Double(original) - step)
            let difference = value { m, _ in m.weights[index] = up } - value { m, _ in m.weights[index] = down }
            gradient.append(difference / Double(up - down))
        }
        for index in 0..<model.visibleCount {
            let original = model.visibleBias[index]
            let up = Float(Double(original) + step), down = Float(Double(original) - step)
            let difference = value { m, _ in m.visibleBias[index] = up } - value { m, _ in m.visibleBias[index] = down }
            gradient.append(difference / Double(up - down))
        }
        for index in 0..<model.hiddenCount {
            let original = model.hiddenBias[index]
            let up = Float(Double(original) + step), down = Float(Double(original) - step)
            let difference = value { m, _ in m.hiddenBias[index] = up } - value { m, _ in m.hiddenBias[index] = down }
            gradient.append(difference / Double(up - down))
        }
        for index in 0..<model.visibleCount {
            gradient.append(derivative { _, z, delta in z[index] += delta })
        }
        return gradient
    }

    /// A 5 → 4 Gaussian model with log-variances spread over [−1.2, 1.2].
    static func model(seed: UInt64 = 21) -> RBMModel {
        var model = UnitReference.with(Reference.randomModel(visible: 5, hidden: 4, scale: 0.5, seed: seed), .gaussian)
        model.visibleLogVariance = [-1.2, -0.5, 0.1, 0.7, 1.2]
        return model
    }

    /// `updates` updates of `model` on three batches of 20 rows in turn, on 1, 2 and 3 workers,
    /// and again stopped halfway and resumed from the state: returns the 1-worker state and
    /// whether every other run ended with the same bits.
    static func trainedOnWorkersAndResumed(_ configuration: TrainerConfiguration, model: RBMModel, updates: Int,
                                           varianceLearningRate: Float) -> (state: TrainerState, sameBits: Bool) {
        let data = Self.data(rows: 60, seed: 2)
        func run(_ trainer: DataParallelTrainer, _ steps: Range<Int>) {
            for step in steps {
                let start = step % 3 * 100
                trainer.update(batch: MatrixMinibatch(values: Array(data[start..<(start + 100)]), visibleCount: 5),
                               hyperparameters: UpdateHyperparameters(learningRate: 0.02, momentum: 0.5,
                                                                      varianceLearningRate: varianceLearningRate))
            }
        }
        func train(workers: Int) -> TrainerState {
            var configuration = configuration
            configuration.workers = workers
            let trainer = DataParallelTrainer(model: model, configuration: configuration)
            run(trainer, 0..<updates)
            return trainer.state
        }
        let one = train(workers: 1)
        let first = DataParallelTrainer(model: model, configuration: configuration)
        run(first, 0..<(updates / 2))
        let resumed = DataParallelTrainer(state: first.state, configuration: configuration)
        run(resumed, (updates / 2)..<updates)
        return (one, one == train(workers: 2) && one == train(workers: 3) && resumed.state == one)
    }

    /// The trainer's gradient estimates on `batch` averaged over `updates` calls after `warmUp`
    /// (the parameters held fixed, the chains walking on): W, b, c and the log-variances, in the
    /// order of `finiteDifferenceGradient`.
    static func averagedGradient(_ trainer: DataParallelTrainer, batch: MatrixMinibatch, warmUp: Int, updates: Int) -> [Double] {
        for _ in 0..<warmUp { _ = trainer.estimateGradient(batch: batch) }
        var sum: [Double] = []
        for _ in 0..<updates {
            let g = trainer.estimateGradient(batch: batch)
            let values = g.weights + g.visibleBias + g.hiddenBias + (g.visibleLogVariance ?? [])
            if sum.isEmpty { sum = [Double](repeating: 0, count: values.count) }
            for (index, value) in values.enumerated() { sum[index] += Double(value) / Double(updates) }
        }
        return sum
    }

    /// Rows of N(0, diag(0.5, 1, 2, 0.3, 1.5)²) draws, keyed by seed.
    static func data(rows: Int, seed: UInt64) -> [Float] {
        let scales: [Float] = [0.5, 1, 2, 0.3, 1.5]
        let stream = RandomStream(seed: seed, purpose: .evaluation, step: 7)
        return (0..<(rows * 5)).map { Float(stream.normal(row: 0, index: UInt32($0))) * scales[$0 % 5] }
    }
}

@Suite struct LearnedVarianceTests {
    /// The closed-form log Z per h, against the trapezoid rule over v in the data's coordinates
    /// on a 2-unit model with σ = 0.5 and 1.3: both the reference and the library's u = v/σ
    /// route with its Σ log σ term.
    @Test func exactLogPartitionFunctionMatchesQuadratureInTheDataCoordinates() {
        var model = UnitReference.with(Reference.randomModel(visible: 2, hidden: 3, scale: 0.7, seed: 8), .gaussian)
        model.visibleLogVariance = [Float(2 * log(0.5)), Float(2 * log(1.3))]
        let z = model.visibleLogVariance!.map(Double.init)
        let step = 0.02, grid = stride(from: -16.0, through: 16.0, by: step).map { $0 }
        var total = 0.0
        for h in Reference.allStates(3) {
            for x in grid {
                for y in grid { total += exp(-VarianceReference.energy(model, logVariance: z, [x, y], h)) * step * step }
            }
        }
        #expect(abs(VarianceReference.logPartition(model, logVariance: z) - log(total)) < 1e-6)
        #expect(abs(model.exactLogPartitionFunction() - log(total)) < 1e-5,
                "library \(model.exactLogPartitionFunction()), quadrature \(log(total))")
        #expect(abs(model.unitVarianceModel.exactLogPartitionFunction() - log(total)) > 0.3,
                "the variances should change log Z for this test to see them")
    }

    /// F(v), P(h|v) and E[v|h] of the model in the data's coordinates, against the energy
    /// written out in v.
    @Test func conditionalsAndFreeEnergyAreThoseOfTheEnergyInTheDataCoordinates() {
        let model = VarianceReference.model()
        let z = model.visibleLogVariance!.map(Double.init)
        let v: [Float] = [0.3, -1.2, 2.0, 0.1, -0.8]
        let states = Reference.allStates(4)
        let expectedFree = -logSumExp(states.map { -VarianceReference.energy(model, logVariance: z, v.map(Double.init), $0) })
        #expect(abs(model.freeEnergies(visible: v, rows: 1)[0] - expectedFree) < 1e-5)
        let probabilities = model.hiddenProbabilities(visible: v, rows: 1)
        for j in 0..<4 {
            // P(h_j = 1 | v) from the energy difference of flipping h_j with the others at 0.
            var on = [Float](repeating: 0, count: 4)
            on[j] = 1
            let difference = VarianceReference.energy(model, logVariance: z, v.map(Double.init), [0, 0, 0, 0])
                - VarianceReference.energy(model, logVariance: z, v.map(Double.init), on)
            #expect(abs(Double(probabilities[j]) - Reference.sigmoid(difference)) < 1e-5)
        }
        // E[v_i | h] minimises the energy in v_i (it is quadratic): a zero derivative there.
        let h: [Float] = [1, 0, 1, 1]
        let means = model.visibleProbabilities(hidden: h, rows: 1).map(Double.init)
        for i in 0..<5 {
            var above = means, below = means
            above[i] += 1e-3
            below[i] -= 1e-3
            let slope = (VarianceReference.energy(model, logVariance: z, above, h)
                - VarianceReference.energy(model, logVariance: z, below, h)) / 2e-3
            #expect(abs(slope) < 1e-3, "unit \(i): dE/dv at the mean is \(slope)")
        }
    }

    /// The log-variances' gradient needs no chains: one call of the trainer on a batch gives
    /// ½ u(u − b − W·P(h|u)) − ½ averaged, which must equal the finite-difference derivative of
    /// the exact mean log-likelihood in z.
    @Test(arguments: [1, 3])
    func logVarianceGradientIsTheFiniteDifferenceOfTheExactLogLikelihood(shards: Int) {
        let model = VarianceReference.model()
        let batchSize = 60
        let data = VarianceReference.data(rows: batchSize, seed: 5)
        let rows = (0..<batchSize).map { Array(data[($0 * 5)..<(($0 + 1) * 5)]) }
        var configuration = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: 2, sampler: .contrastiveDivergence,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 3)
        configuration.learnsVariance = true
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        let gradient = trainer.estimateGradient(batch: MatrixMinibatch(values: data, visibleCount: 5)).visibleLogVariance!
        let exact = VarianceReference.finiteDifferenceGradient(model, rows: rows).suffix(5)
        for (estimate, reference) in zip(gradient, exact) {
            #expect(abs(Double(estimate) - reference) < 1e-4 * max(1, abs(reference)),
                    "trainer \(gradient), finite differences \(Array(exact))")
        }
        #expect(exact.map(abs).max()! > 0.1, "the test data should pull the variances")
    }

    /// With the parameters held fixed, PCD's chains (and parallel tempering's β = 1 chains) on
    /// the scaled values give W, b and c gradients whose average is the finite-difference
    /// gradient of the exact log-likelihood of the model in v — the variances enter the
    /// data's side only through u = v/σ.
    @Test(arguments: ["pcd", "pt"])
    func persistentChainsApproachTheFiniteDifferenceGradient(sampler: String) {
        let model = VarianceReference.model(seed: 11)
        let batchSize = 300
        let data = VarianceReference.data(rows: batchSize, seed: 4)
        let rows = (0..<batchSize).map { Array(data[($0 * 5)..<(($0 + 1) * 5)]) }
        let exact = VarianceReference.finiteDifferenceGradient(model, rows: rows)
        var configuration = TrainerConfiguration(batchSize: batchSize, shards: 3, workers: 2,
                                                 sampler: SamplerKind(rawValue: sampler)!, gibbsSteps: 1, weightDecay: 0, seed: 42)
        configuration.learnsVariance = true
        if configuration.sampler == .parallelTempering { configuration.inverseTemperatures = [1, 0.5, 0.2] }
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        let sum = VarianceReference.averagedGradient(trainer, batch: MatrixMinibatch(values: data, visibleCount: 5),
                                                     warmUp: 50, updates: 400)
        let largestError = zip(sum, exact).map { abs($0 - $1) }.max()!
        #expect(largestError < 0.03, "\(sampler): largest |estimate − exact| = \(largestError)")
        #expect(exact.prefix(20).map(abs).max()! > 0.1, "the test model should have a weight gradient to find")
    }

    /// AIS and reverse AIS on a model with learned variances against its exact log Z.
    @Test func annealingEstimatesMeetTheExactLogPartitionFunction() {
        var model = UnitReference.with(Reference.randomModel(visible: 24, hidden: 10, scale: 0.4, seed: 13), .gaussian)
        model.visibleLogVariance = (0..<24).map { Float($0 % 5) * 0.3 - 0.3 }
        let exact = model.exactLogPartitionFunction()
        let annealing = AnnealedImportanceSampling(runs: 100, betaCount: 14_500, seed: 3, workers: 2)
        let marginals = [Float](repeating: 0, count: 24)
        let base = AnnealedImportanceSampling.baseBias(model: model, marginals: marginals)
        let forward = annealing.estimate(model: model, baseVisibleBias: base)
        #expect(abs(forward.logPartitionFunction - exact) < 0.05, "AIS \(forward.logPartitionFunction), exact \(exact)")
        // Data from the model itself (Gibbs), so that reverse annealing starts near equilibrium.
        let start = model.dataCoordinates([Float](repeating: 0, count: 50 * 24), rows: 50)
        let samples = GibbsSampler.visibleProbabilities(model: model, start: start, rows: 50, steps: 200, seed: 4, workers: 2)
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: samples, rows: 50)
        #expect(abs(reverse.logPartitionFunction - exact) < 0.1, "reverse AIS \(reverse.logPartitionFunction), exact \(exact)")
        #expect(abs(model.unitVarianceModel.exactLogPartitionFunction() - exact) > 1, "Σ log σ should matter here")
    }

    /// Data whose third unit is always 0 drive its variance down until the floor holds it;
    /// the others stay above it.
    @Test func theVarianceFloorHolds() {
        var data = VarianceReference.data(rows: 40, seed: 6)
        for row in 0..<40 { data[row * 5 + 2] = 0 }
        var configuration = TrainerConfiguration(batchSize: 20, shards: 2, workers: 2, sampler: .persistentContrastiveDivergence,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 3)
        configuration.learnsVariance = true
        configuration.minimumVariance = 0.05
        let trainer = DataParallelTrainer(model: VarianceReference.model(), configuration: configuration)
        for step in 0..<300 {
            let start = step % 2 * 100
            trainer.update(batch: MatrixMinibatch(values: Array(data[start..<(start + 100)]), visibleCount: 5),
                           hyperparameters: UpdateHyperparameters(learningRate: 0.01, momentum: 0.5, varianceLearningRate: 0.05))
        }
        let z = trainer.model.visibleLogVariance!
        #expect(z[2] == Float(log(0.05)), "the constant unit's log-variance \(z[2]) should sit at the floor")
        #expect(z.enumerated().filter { $0.offset != 2 }.allSatisfy { $0.element > Float(log(0.05)) + 0.1 }, "\(z)")
        #expect(trainer.model.isFinite)
    }

    /// The same 30 updates on 1, 2 and 3 workers, and stopped after 15 and resumed from the
    /// state, give the same bits (CD, PCD and parallel tempering).
    @Test(arguments: ["cd", "pcd", "pt"])
    func learnedVariancesAreBitIdenticalAcrossWorkersAndResume(sampler: String) {
        var configuration = VisibleUnitsTests.configuration(sampler == "cd" ? "pcd" : sampler, batchSize: 20, shards: 3,
                                                            workers: 1, gibbsSteps: 1, seed: 9)
        if sampler == "cd" { configuration.sampler = .contrastiveDivergence }
        configuration.learnsVariance = true
        let model = VarianceReference.model()
        let (state, sameBits) = VarianceReference.trainedOnWorkersAndResumed(configuration, model: model, updates: 30,
                                                                             varianceLearningRate: 0.05)
        #expect(sameBits, "\(sampler)")
        #expect(state.model.visibleLogVariance != model.visibleLogVariance && state.logVarianceVelocity != nil)
    }

    @Test func theRuleBookKeepsLearnedVariancesToGaussianUnitsAndWholeRows() {
        var configuration = TrainerConfiguration(batchSize: 20, shards: 1, workers: 1, sampler: .persistentContrastiveDivergence,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 1)
        configuration.learnsVariance = true
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).isEmpty)
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .bernoulli).map(\.keys) == [["model.learn_variance", "model.visible"]])
        configuration.hiddenBlocks = 2
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).map(\.keys.first) == ["training.hidden_blocks"])
        configuration.hiddenBlocks = 1
        configuration.minimumVariance = 0
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).map(\.keys.first) == ["model.min_variance"])
    }
}
