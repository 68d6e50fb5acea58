import Foundation
import Testing
import RBM

/// The step split into blocks of hidden units (`hiddenBlocks`), held to the exact gradient by
/// enumeration, to the unsplit step, to the momentum rule done by hand, and to bit-identity
/// across workers and resumption.
@Suite struct HiddenBlockTests {
    func configuration(_ sampler: SamplerKind, blocks: Int, batch: Int = 30, shards: Int = 1, workers: Int = 2,
                       k: Int = 1) -> TrainerConfiguration {
        var configuration = TrainerConfiguration(batchSize: batch, shards: shards, workers: workers, sampler: sampler,
                                                 gibbsSteps: k, weightDecay: 1e-3, seed: 42)
        configuration.hiddenBlocks = blocks
        configuration.fastLearningRate = 0.05
        return configuration
    }

    /// 36 visible, 100 hidden units: blocks of 32, 32 and 36 units for H = 3.
    func train(_ configuration: TrainerConfiguration, updates: Int = 12, units: VisibleUnits = .bernoulli,
               state: TrainerState? = nil) -> TrainerState {
        TrainingFixture.train(configuration, updates: updates, visible: 36, hidden: 100, units: units, state: state)
    }

    func bits(_ state: TrainerState) -> [[UInt32]] { TrainingFixture.bits(state) }

    /// Blocks start on multiples of 32 units (a Philox group), cover every unit once, in order.
    @Test func blocksCoverTheHiddenUnitsOnGroupBoundaries() {
        for (hidden, blocks) in [(100, 3), (500, 2), (500, 16), (128, 4), (33, 2), (64, 1)] {
            var configuration = configuration(.contrastiveDivergence, blocks: blocks)
            configuration.hiddenBlocks = blocks
            let ranges = (0..<blocks).map { configuration.hiddenUnits(ofBlock: $0, hiddenCount: hidden) }
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == hidden)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.allSatisfy { !$0.isEmpty && $0.lowerBound % 32 == 0 }, "\(ranges)")
        }
        #expect(TrainerConfiguration.maximumHiddenBlocks(hiddenCount: 100) == 4)
        var tempering = configuration(.parallelTempering, blocks: 2)
        tempering.inverseTemperatures = [1, 0.5]
        #expect(tempering.problems(hiddenCount: 100).first?.keys == ["training.hidden_blocks", "training.sampler"])
        #expect(configuration(.contrastiveDivergence, blocks: 0).problems(hiddenCount: 100).first?.keys == ["training.hidden_blocks"])
        #expect(configuration(.contrastiveDivergence, blocks: 5).problems(hiddenCount: 100).first?.keys == ["training.hidden_blocks", "model.hidden"])
        #expect(configuration(.contrastiveDivergence, blocks: 4).problems(hiddenCount: 100).isEmpty)
    }

    /// With the parameters held fixed, blocked PCD's gradient estimate averaged over many
    /// updates approaches the exact gradient E_data[v P(h|v)ᵀ] − E_model[v P(h|v)ᵀ], the model
    /// term by enumerating all 2⁸ visible states (64 hidden units in 2 blocks; 3 for k = 2).
    @Test(arguments: [(2, 1), (3, 2)])
    func blockedPCDGradientApproachesTheExactGradient(blocks: Int, k: Int) {
        let model = Reference.randomModel(visible: 8, hidden: 96, scale: 0.12, seed: 3)
        let batchSize = 200
        let data = Reference.randomBinary(rows: batchSize, columns: 8, seed: 9)
        let rows = (0..<batchSize).map { Array(data[($0 * 8)..<(($0 + 1) * 8)]) }
        let trainer = DataParallelTrainer(model: model, configuration: configuration(
            .persistentContrastiveDivergence, blocks: blocks, batch: batchSize, shards: 2, k: k))
        let estimate = TrainingFixture.averagedGradient(trainer, batch: MatrixMinibatch(values: data, visibleCount: 8))
        let exact = ExactStatistics.gradient(model: model, rows: rows)
        let largestError = zip(estimate, exact).map { abs($0 - $1) }.max()!
        // 60,000 chain samples: Monte Carlo error about 0.002 per entry (largest of ~900 about
        // 0.008); the exact gradient's entries reach ~0.3, so 0.02 separates right from wrong.
        #expect(largestError < 0.02, "largest |estimate − exact| = \(largestError)")
        #expect(exact.map(abs).max()! > 0.1, "the test model should have a gradient to find")
    }

    /// The split computes the unsplit step's numbers: P(h|·) and the statistics are the same
    /// dot products and the random numbers the same draws; only h·Wᵀ adds its terms grouped by
    /// block. For every sampler, unit type and CD-k, k > 1, the states after training agree to
    /// float rounding.
    @Test(arguments: ["cd", "cd3", "pcd2", "fpcd", "pcd+centering", "gaussian", "gaussian+centering", "categorical",
                      "shards"])
    func blockedTrainingMatchesTheUnsplitStep(variant: String) {
        let sampler: SamplerKind = variant.hasPrefix("pcd") ? .persistentContrastiveDivergence
            : variant == "fpcd" ? .fastPersistentContrastiveDivergence : .contrastiveDivergence
        let k = variant == "cd3" ? 3 : variant == "pcd2" ? 2 : 1
        let units: VisibleUnits = variant.hasPrefix("gaussian") ? .gaussian : variant == "categorical" ? .categorical(states: 4) : .bernoulli
        func with(blocks: Int) -> TrainerConfiguration {
            var copy = configuration(sampler, blocks: blocks, shards: variant == "shards" ? 3 : 1, k: k)
            copy.centering = variant.hasSuffix("+centering")
            return copy
        }
        let unsplit = train(with(blocks: 1), updates: 6, units: units)
        for blocks in [2, 3] {
            let split = train(with(blocks: blocks), updates: 6, units: units)
            let pairs = zip(split.model.weights + split.model.visibleBias + split.model.hiddenBias + split.weightVelocity,
                            unsplit.model.weights + unsplit.model.visibleBias + unsplit.model.hiddenBias + unsplit.weightVelocity)
            let largest = pairs.map { abs($0 - $1) }.max()!
            #expect(largest < 1e-4, "\(variant), \(blocks) blocks: largest difference \(largest)")
            let differentSamples = zip(split.chainVisible ?? [], unsplit.chainVisible ?? []).filter { $0 != $1 }.count
            #expect(differentSamples == 0, "\(variant): \(differentSamples) of the chains' samples differ")
        }
    }

    /// One shard in one process: the last phase applies Δ ← μΔ + ε(G/B − λW), W ← W + Δ to its
    /// block in place. Done here by hand from the gradient estimate of the same statistics.
    @Test func inPlaceUpdateIsTheMomentumRule() {
        let (largest, before, after) = TrainingFixture.momentumRuleDifference(
            configuration(.persistentContrastiveDivergence, blocks: 3), visible: 36) { train($0, updates: $1) }
        #expect(largest < 1e-6, "largest difference from the momentum rule: \(largest)")
        #expect(after.weights != before.weights)
    }

    /// Like `shards`, `hiddenBlocks` fixes what is computed: 1, 2 and 3 workers give the same
    /// bits, and a trainer rebuilt from its state halfway continues exactly.
    @Test(arguments: ["cd", "pcd", "fpcd+centering", "pcd+centering", "cd+centering+shards", "pcd+shards"])
    func blockedStepIsBitIdenticalAcrossWorkersAndResume(variant: String) {
        let sampler = SamplerKind(rawValue: String(variant.split(separator: "+")[0]))!
        var base = configuration(sampler, blocks: 3, shards: variant.hasSuffix("+shards") ? 2 : 1, k: 2)
        base.centering = variant.contains("+centering")
        TrainingFixture.expectBitIdenticalAcrossWorkersAndResume(base, updates: 12) { train($0, updates: $1, state: $2) }
    }
}
