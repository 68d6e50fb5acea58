import Foundation
import Testing
import RBM

@Suite struct AnnealedImportanceSamplingTests {
    @Test func scheduleHasThePapersShapeAndCount() {
        let betas = AnnealedImportanceSampling.schedule(count: 14_500)
        #expect(betas.count == 14_501 && betas.first == 0 && betas.last == 1)
        #expect(zip(betas, betas.dropFirst()).allSatisfy { $0 < $1 })
        #expect(betas.filter { $0 <= 0.5 }.count == 501)               // spacing 10⁻³
        #expect(betas.filter { $0 > 0.5 && $0 <= 0.9 }.count == 4_000)  // spacing 10⁻⁴
        #expect(abs(betas[betas.count - 2] - (1 - 1e-5)) < 1e-12)      // spacing 10⁻⁵
    }

    /// Random 20×10 models: AIS against log Z by enumerating the 2¹⁰ hidden states.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func aisAgreesWithTheExactLogPartitionFunctionOfRandomModels(seed: UInt64) {
        let model = Reference.randomModel(visible: 20, hidden: 10, scale: 1.0, seed: seed)
        let marginals = (0..<20).map { Float(0.2 + 0.6 * Double($0) / 19) }
        let exact = model.exactLogPartitionFunction()
        let ais = AnnealedImportanceSampling(runs: 100, betaCount: 14_500, seed: seed, workers: 2)
            .estimate(model: model, baseVisibleBias: AnnealedImportanceSampling.baseRateBias(marginals: marginals))
        #expect(abs(ais.logPartitionFunction - exact) < 0.05, "AIS \(ais.logPartitionFunction), exact \(exact)")
        #expect(ais.lower <= exact + 0.02 && exact - 0.02 <= ais.upper, "band [\(ais.lower), \(ais.upper)] vs \(exact)")
    }

    /// A 784×15 model trained briefly on structured images, so its weights are far from
    /// random: AIS from the data's base rates against exact enumeration of 2¹⁵ hidden states.
    @Test func aisAgreesWithExactOnATrained784By15Model() {
        let rows = 600
        var data = [Float](repeating: 0, count: rows * 784)
        for r in 0..<rows {
            let bar = r % 28, horizontal = r % 56 < 28
            for i in 0..<784 where (horizontal ? i / 28 == bar : i % 28 == bar) || (r % 3 == 0 && i / 28 == 27 - bar) {
                data[r * 784 + i] = 1
            }
        }
        let marginals = (0..<784).map { i in Float((0..<rows).map { Double(data[$0 * 784 + i]) }.reduce(0, +) / Double(rows)) }
        let trainer = DataParallelTrainer(
            model: RBMModel.initialized(visibleCount: 784, hiddenCount: 15, seed: 3, visibleMarginals: marginals),
            configuration: TrainerConfiguration(batchSize: 50, shards: 2, workers: 2, sampler: .persistentContrastiveDivergence,
                                                gibbsSteps: 1, weightDecay: 0, seed: 3))
        for epoch in 0..<10 {
            for start in stride(from: 0, to: rows, by: 50) {
                trainer.update(batch: MatrixMinibatch(values: Array(data[(start * 784)..<((start + 50) * 784)]), visibleCount: 784),
                               hyperparameters: UpdateHyperparameters(learningRate: 0.05, momentum: epoch < 3 ? 0.5 : 0.9))
            }
        }
        let model = trainer.model
        #expect(model.weights.map(abs).max()! > 0.5, "the model should have learned something")
        let exact = model.exactLogPartitionFunction(workers: 2)
        let ais = AnnealedImportanceSampling(runs: 100, betaCount: 14_500, seed: 9, workers: 2)
            .estimate(model: model, baseVisibleBias: AnnealedImportanceSampling.baseRateBias(marginals: marginals))
        #expect(abs(ais.logPartitionFunction - exact) < 0.25, "AIS \(ais.logPartitionFunction), exact \(exact)")
    }

    @Test func aisIsTheSameForAnyWorkerCount() {
        let model = Reference.randomModel(visible: 12, hidden: 7, scale: 1.0, seed: 4)
        let base = [Float](repeating: 0, count: 12)
        let one = AnnealedImportanceSampling(runs: 60, betaCount: 500, seed: 2, workers: 1).estimate(model: model, baseVisibleBias: base)
        let three = AnnealedImportanceSampling(runs: 60, betaCount: 500, seed: 2, workers: 3).estimate(model: model, baseVisibleBias: base)
        #expect(one == three)
    }
}

@Suite struct PseudoLikelihoodTests {
    /// log P(vᵢ | v₋ᵢ) from free energies computed by enumerating the hidden states.
    func referencePseudoLikelihood(_ model: RBMModel, _ v: [Float]) -> Double {
        let f = Reference.freeEnergyByEnumeration(model, v)
        var total = 0.0
        for i in 0..<v.count {
            var flipped = v
            flipped[i] = 1 - flipped[i]
            let g = Reference.freeEnergyByEnumeration(model, flipped)
            total += -log1p(exp(-(g - f)))
        }
        return total
    }

    @Test func exactPseudoLikelihoodMatchesEnumeration() {
        let model = Reference.randomModel(visible: 11, hidden: 9, scale: 1.0, seed: 8)
        let rows = 7
        let data = Reference.randomBinary(rows: rows, columns: 11, seed: 5)
        let computed = PseudoLikelihood.mean(model: model, visible: data, rows: rows, method: .exact, workers: 2)
        let expected = (0..<rows).map { referencePseudoLikelihood(model, Array(data[($0 * 11)..<(($0 + 1) * 11)])) }
            .reduce(0, +) / Double(rows)
        #expect(abs(computed - expected) < 1e-4 * max(1, abs(expected)), "\(computed) vs \(expected)")
    }

    /// Categorical units: Σ_g log P(v_g | v₋g), each term −F(v) − log Σ_a' exp(−F(v_{g=a'})) over
    /// the group's one-hot states, with free energies by enumerating the hidden states. With
    /// q = 2 the groups are still moved as groups (not as two independent binary units).
    @Test(arguments: [2, 3])
    func categoricalPseudoLikelihoodMatchesEnumeration(states: Int) {
        let variables = 4
        let model = UnitReference.with(Reference.randomModel(visible: variables * states, hidden: 5, scale: 0.9, seed: 10),
                                       .categorical(states: states))
        let rows = 5
        let data = UnitReference.categoricalData(rows: rows, variables: variables, states: states, seed: 7)
        var expected = 0.0
        for row in 0..<rows {
            let v = Array(data[(row * variables * states)..<((row + 1) * variables * states)])
            let f = Reference.freeEnergyByEnumeration(model, v)
            for group in 0..<variables {
                let moved = (0..<states).map { state -> Double in
                    var w = v
                    for k in 0..<states { w[group * states + k] = k == state ? 1 : 0 }
                    return -Reference.freeEnergyByEnumeration(model, w)
                }
                expected += (-f - logSumExp(moved)) / Double(rows)
            }
        }
        let computed = PseudoLikelihood.mean(model: model, visible: data, rows: rows, method: .exact, workers: 2)
        #expect(abs(computed - expected) < 1e-4 * max(1, abs(expected)), "q \(states): \(computed) vs \(expected)")
    }

    @Test func stochasticPseudoLikelihoodIsUnbiased() {
        let model = Reference.randomModel(visible: 10, hidden: 6, scale: 0.8, seed: 9)
        let rows = 4000
        let data = Reference.randomBinary(rows: rows, columns: 10, seed: 6)
        let exact = PseudoLikelihood.mean(model: model, visible: data, rows: rows, method: .exact, workers: 2)
        let estimate = PseudoLikelihood.mean(model: model, visible: data, rows: rows, method: .stochastic(seed: 1), workers: 2)
        #expect(abs(estimate - exact) < 0.05 * abs(exact), "\(estimate) vs \(exact)")
    }
}

@Suite struct SoftplusTests {
    @Test func vectorSoftplusIsAccurateEverywhere() {
        for x in stride(from: -90.0, through: 90.0, by: 0.37) {
            var lanes = SIMD8<Float>(repeating: 0)
            for lane in 0..<8 { lanes[lane] = Float(x + Double(lane) * 0.041) }
            let values = Logistic.softplus8(lanes)
            for lane in 0..<8 {
                let input = Double(lanes[lane])
                let expected = softplus(input)
                #expect(abs(Double(values[lane]) - expected) <= 3e-7 * max(expected, 1e-30) + 1e-30, "softplus(\(input))")
            }
        }
    }
}
