import Foundation
import RBM
import Testing

/// Langevin sampling of the negative phase and gradient-norm clipping.
@Suite struct LangevinTests {
    /// With the parameters held fixed, persistent chains moved by small Langevin steps on the
    /// marginal sample the model: the averaged W, b and c gradients meet the finite-difference
    /// gradient of the exact log-likelihood (η = 0.02: the unadjusted chain's bias is O(η)),
    /// with and without learned variances.
    @Test(arguments: [false, true])
    func persistentLangevinChainsApproachTheExactGradient(learnedVariance: Bool) {
        var model = VarianceReference.model(seed: 11)
        if !learnedVariance { model.visibleLogVariance = [Float](repeating: 0, count: 5) }
        let batchSize = 300
        let data = VarianceReference.data(rows: batchSize, seed: 4)
        let rows = (0..<batchSize).map { Array(data[($0 * 5)..<(($0 + 1) * 5)]) }
        let exact = VarianceReference.finiteDifferenceGradient(model, rows: rows).prefix(29)
        var configuration = TrainerConfiguration(batchSize: batchSize, shards: 3, workers: 2, sampler: .persistentContrastiveDivergence,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 42)
        configuration.learnsVariance = true
        configuration.langevinSteps = 5
        configuration.langevinStepSize = 0.02
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        let sum = VarianceReference.averagedGradient(trainer, batch: MatrixMinibatch(values: data, visibleCount: 5),
                                                     warmUp: 100, updates: 400).prefix(exact.count)
        let largestError = zip(sum, exact).map { abs($0 - $1) }.max()!
        #expect(largestError < 0.04, "largest |estimate − exact| = \(largestError)")
        #expect(exact.prefix(20).map(abs).max()! > 0.1, "the test model should have a weight gradient to find")
    }

    /// Metropolis-adjusted steps leave the model invariant whatever η: at η = 0.6, where the
    /// unadjusted chain's bias is large, the adjusted chains' averaged gradient still meets the
    /// finite-difference gradient of the exact log-likelihood.
    @Test func adjustedLangevinChainsMeetTheExactGradientAtALargeStep() {
        let model = VarianceReference.model(seed: 11)
        let batchSize = 300
        let data = VarianceReference.data(rows: batchSize, seed: 4)
        let rows = (0..<batchSize).map { Array(data[($0 * 5)..<(($0 + 1) * 5)]) }
        let exact = VarianceReference.finiteDifferenceGradient(model, rows: rows).prefix(29)
        func largestError(adjusted: Bool) -> (error: Double, acceptance: Double) {
            var configuration = TrainerConfiguration(batchSize: batchSize, shards: 3, workers: 2,
                                                     sampler: .persistentContrastiveDivergence, gibbsSteps: 1, weightDecay: 0, seed: 42)
            configuration.learnsVariance = true
            configuration.langevinSteps = 5
            configuration.langevinStepSize = 0.6
            configuration.langevinAdjusted = adjusted
            let trainer = DataParallelTrainer(model: model, configuration: configuration)
            let sum = VarianceReference.averagedGradient(trainer, batch: MatrixMinibatch(values: data, visibleCount: 5),
                                                         warmUp: 50, updates: 400).prefix(exact.count)
            return (zip(sum, exact).map { abs($0 - $1) }.max()!, trainer.takeLangevinAcceptanceRate())
        }
        let (adjusted, acceptance) = largestError(adjusted: true)
        let unadjusted = largestError(adjusted: false).error
        #expect(acceptance > 0.05 && acceptance < 1, "the proposals should be accepted often but not always: \(acceptance)")
        #expect(adjusted < 0.02, "adjusted: largest |estimate − exact| = \(adjusted) (unadjusted \(unadjusted))")
        #expect(unadjusted > 0.03, "at η = 0.6 the unadjusted chain should be visibly biased: \(unadjusted) vs \(adjusted)")
    }

    /// Langevin CD from noise, Langevin PCD and adjusted Langevin PCD: the same bits on 1, 2
    /// and 3 workers, and resumed after 10 of 20 updates.
    @Test(arguments: ["cd", "pcd", "pcd+adjusted"])
    func langevinChainsAreBitIdenticalAcrossWorkersAndResume(variant: String) {
        let sampler = String(variant.split(separator: "+")[0])
        var configuration = TrainerConfiguration(batchSize: 20, shards: 3, workers: 1, sampler: SamplerKind(rawValue: sampler)!,
                                                 gibbsSteps: 2, weightDecay: 1e-4, seed: 9)
        configuration.learnsVariance = true
        configuration.langevinSteps = 3
        configuration.chainStart = sampler == "cd" ? .noise : .data
        configuration.clipNorm = 0.5
        configuration.langevinAdjusted = variant.hasSuffix("+adjusted")
        let model = VarianceReference.model()
        let (state, sameBits) = VarianceReference.trainedOnWorkersAndResumed(configuration, model: model, updates: 20,
                                                                             varianceLearningRate: 0.02)
        #expect(sameBits, "\(sampler)")
        #expect(state.model.isFinite && state.model.weights != model.weights)
    }

    /// One update with momentum 0 moves the parameters by ε·g·min(1, c/‖g‖): the step's norm
    /// is ε·c when ‖g‖ > c, in the direction of the unclipped gradient (the same update's
    /// `estimateGradient`), and ε·g itself when c is above ‖g‖.
    @Test(arguments: [0.05, 1000])
    func clippingScalesTheWholeGradientToTheNorm(clip: Double) {
        let data = VarianceReference.data(rows: 30, seed: 8)
        var configuration = TrainerConfiguration(batchSize: 30, shards: 2, workers: 2, sampler: .contrastiveDivergence,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 5)
        configuration.learnsVariance = true
        let model = VarianceReference.model()
        let batch = MatrixMinibatch(values: data, visibleCount: 5)
        let g = DataParallelTrainer(model: model, configuration: configuration).estimateGradient(batch: batch)
        var flatGradient: [Float] = g.weights
        flatGradient += g.visibleBias
        flatGradient += g.hiddenBias
        flatGradient += g.visibleLogVariance!
        let gradient = flatGradient.map(Double.init)
        let norm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
        configuration.clipNorm = Float(clip)
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        let epsilon = 0.01
        trainer.update(batch: batch, hyperparameters: UpdateHyperparameters(learningRate: Float(epsilon), momentum: 0,
                                                                          varianceLearningRate: Float(epsilon)))
        func flattened(_ model: RBMModel) -> [Float] {
            var values: [Float] = model.weights
            values += model.visibleBias
            values += model.hiddenBias
            values += model.visibleLogVariance!
            return values
        }
        let moved: [Double] = zip(flattened(trainer.model), flattened(model)).map { Double($0.0) - Double($0.1) }
        let factor = min(1, clip / norm)
        for (step, component) in zip(moved, gradient) {
            #expect(abs(step - epsilon * factor * component) < 1e-6, "step \(step), expected \(epsilon * factor * component)")
        }
        #expect(clip < norm || factor == 1, "the gradient's norm \(norm) should exceed the small clip")
    }

    @Test func theRuleBookKeepsLangevinToGaussianCDAndPCD() {
        var configuration = TrainerConfiguration(batchSize: 20, shards: 2, workers: 1, sampler: .contrastiveDivergence,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 1)
        configuration.langevinSteps = 5
        configuration.chainStart = .noise
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).isEmpty)
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .bernoulli).map(\.keys.first)
                == ["training.langevin_steps", "training.chain_start"])
        configuration.sampler = .parallelTempering
        configuration.inverseTemperatures = [1, 0.5]
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).map(\.keys.first)
                == ["training.langevin_steps", "training.chain_start"])
        configuration.sampler = .contrastiveDivergence
        configuration.langevinSteps = 0
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).map(\.keys) == [["training.chain_start", "training.langevin_steps"]])
        configuration.chainStart = .data
        configuration.clipNorm = -1
        #expect(configuration.problems(hiddenCount: 64, visibleUnits: .gaussian).map(\.keys.first) == ["training.clip_norm"])
    }
}
