import Foundation
import Testing
import RBM

/// The step split into blocks of visible units (`visibleBlocks`, W's rows): held to the exact
/// gradient by enumerating the hidden states, to the unsplit step, to the momentum rule done by
/// hand, and to bit-identity across workers and resumption.
@Suite struct VisibleBlockTests {
    func configuration(_ sampler: SamplerKind, blocks: Int, batch: Int = 30, workers: Int = 2,
                       k: Int = 1) -> TrainerConfiguration {
        var configuration = TrainerConfiguration(batchSize: batch, shards: 1, workers: workers, sampler: sampler,
                                                 gibbsSteps: k, weightDecay: 1e-3, seed: 42)
        configuration.visibleBlocks = blocks
        return configuration
    }

    /// 100 visible units (blocks of 64, 32 and 4 units for V = 3), 40 hidden.
    func train(_ configuration: TrainerConfiguration, updates: Int = 12, state: TrainerState? = nil) -> TrainerState {
        TrainingFixture.train(configuration, updates: updates, visible: 100, hidden: 40, state: state)
    }

    @Test func blocksCoverTheVisibleUnitsOnGroupBoundaries() {
        for (visible, blocks) in [(100, 3), (784, 2), (784, 25), (64, 2), (33, 2), (40, 1)] {
            let configuration = configuration(.contrastiveDivergence, blocks: blocks)
            let ranges = (0..<blocks).map { configuration.visibleUnits(ofBlock: $0, visibleCount: visible) }
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == visible)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.allSatisfy { !$0.isEmpty && $0.lowerBound % 32 == 0 }, "\(ranges)")
        }
        #expect(TrainerConfiguration.maximumVisibleBlocks(visibleCount: 784) == 25)
    }

    /// The rule book names, for each broken rule, the key to change and the one it clashes with.
    @Test func visibleBlocksRefuseWhatTheyDoNotSplit() {
        func keys(_ configuration: TrainerConfiguration, visibleCount: Int = 784, units: VisibleUnits = .bernoulli) -> [String]? {
            configuration.problems(visibleCount: visibleCount, hiddenCount: 64, visibleUnits: units).first?.keys
        }
        #expect(keys(configuration(.contrastiveDivergence, blocks: 0)) == ["training.visible_blocks"])
        var shards = configuration(.contrastiveDivergence, blocks: 2)
        shards.shards = 2
        #expect(keys(shards) == ["training.visible_blocks", "training.shards"])
        var both = configuration(.contrastiveDivergence, blocks: 2)
        both.hiddenBlocks = 2
        #expect(keys(both) == ["training.visible_blocks", "training.hidden_blocks"])
        #expect(keys(configuration(.fastPersistentContrastiveDivergence, blocks: 2)) == ["training.visible_blocks", "training.sampler"])
        var centered = configuration(.persistentContrastiveDivergence, blocks: 2)
        centered.centering = true
        #expect(keys(centered) == ["training.visible_blocks", "model.centering"])
        #expect(keys(configuration(.persistentContrastiveDivergence, blocks: 2), units: .gaussian) == ["training.visible_blocks", "model.visible"])
        // 32 visible units hold one block at most.
        #expect(keys(configuration(.persistentContrastiveDivergence, blocks: 2), visibleCount: 32) == ["training.visible_blocks"])
        #expect(keys(configuration(.persistentContrastiveDivergence, blocks: 2)) == nil)
    }

    /// The exact gradient E_data[v P(h|v)ᵀ] − E_model[v hᵀ] (W, b, c flattened), the model term by
    /// enumerating the 2^n_hidden hidden states: p(h) ∝ exp(cᵀh + Σ_i softplus(b_i + W_i·h)) and
    /// E[v_i | h] = σ(b_i + W_i·h).
    static func exactGradientByHiddenEnumeration(model: RBMModel, rows: [[Float]]) -> [Double] {
        let nv = model.visibleCount, nh = model.hiddenCount
        func w(_ i: Int, _ j: Int) -> Double { Double(model.weights[i * nh + j]) }
        var gradient = [Double](repeating: 0, count: nv * nh + nv + nh)
        for v in rows {
            let p = Reference.hiddenProbabilities(model, v)
            for i in 0..<nv {
                for j in 0..<nh { gradient[i * nh + j] += Double(v[i]) * p[j] / Double(rows.count) }
                gradient[nv * nh + i] += Double(v[i]) / Double(rows.count)
            }
            for j in 0..<nh { gradient[nv * nh + nv + j] += p[j] / Double(rows.count) }
        }
        let states = Reference.allStates(nh)
        var logWeights: [Double] = []
        var visibleMeans: [[Double]] = []
        for h in states {
            var logWeight = (0..<nh).reduce(0.0) { $0 + Double(model.hiddenBias[$1]) * Double(h[$1]) }
            var means: [Double] = []
            for i in 0..<nv {
                let x = Double(model.visibleBias[i]) + (0..<nh).reduce(0.0) { $0 + w(i, $1) * Double(h[$1]) }
                logWeight += softplus(x)
                means.append(Reference.sigmoid(x))
            }
            logWeights.append(logWeight)
            visibleMeans.append(means)
        }
        let logZ = logSumExp(logWeights)
        for (index, h) in states.enumerated() {
            let probability = exp(logWeights[index] - logZ)
            for i in 0..<nv {
                for j in 0..<nh { gradient[i * nh + j] -= probability * visibleMeans[index][i] * Double(h[j]) }
                gradient[nv * nh + i] -= probability * visibleMeans[index][i]
            }
            for j in 0..<nh { gradient[nv * nh + nv + j] -= probability * Double(h[j]) }
        }
        return gradient
    }

    /// With the parameters held fixed, blocked PCD's gradient estimate averaged over many
    /// updates approaches the exact gradient (64 visible units in 2 blocks, 96 in 3 for k = 2;
    /// 8 hidden units, 2⁸ states). The data's units are on with probabilities from 0.1 to 0.9,
    /// so the gradient is large where the model's marginals (near ½) differ from them.
    @Test(arguments: [(2, 64, 1), (3, 96, 2)])
    func blockedPCDGradientApproachesTheExactGradient(blocks: Int, visible: Int, k: Int) {
        let model = Reference.randomModel(visible: visible, hidden: 8, scale: 0.12, seed: 3)
        let batchSize = 200
        let stream = RandomStream(seed: 9, purpose: .evaluation)
        var data = [Float](repeating: 0, count: batchSize * visible)
        for r in 0..<batchSize {
            stream.uniforms(row: UInt32(r), count: visible, into: &data[r * visible])
            for i in 0..<visible { data[r * visible + i] = data[r * visible + i] < 0.1 + 0.8 * Float(i % 5) / 4 ? 1 : 0 }
        }
        let rows = (0..<batchSize).map { Array(data[($0 * visible)..<(($0 + 1) * visible)]) }
        let trainer = DataParallelTrainer(model: model, configuration: configuration(
            .persistentContrastiveDivergence, blocks: blocks, batch: batchSize, k: k))
        let estimate = TrainingFixture.averagedGradient(trainer, batch: MatrixMinibatch(values: data, visibleCount: visible))
        let exact = Self.exactGradientByHiddenEnumeration(model: model, rows: rows)
        let largestError = zip(estimate, exact).map { abs($0 - $1) }.max()!
        // 60,000 chain samples: Monte Carlo error about 0.002 per entry (the largest of ~800
        // about 0.008); the exact gradient's entries reach ~0.4, so 0.02 separates right from wrong.
        #expect(largestError < 0.02, "largest |estimate − exact| = \(largestError)")
        #expect(exact.map(abs).max()! > 0.2, "the test model should have a gradient to find")
    }

    /// The split computes the unsplit step's numbers: P(v|h) and the statistics are the same
    /// dot products and the random numbers the same draws; only vW adds its terms grouped by
    /// block. After training the states agree to float rounding, the chains' samples exactly.
    @Test(arguments: ["cd", "cd3", "pcd", "pcd2"])
    func blockedTrainingMatchesTheUnsplitStep(variant: String) {
        let sampler: SamplerKind = variant.hasPrefix("pcd") ? .persistentContrastiveDivergence : .contrastiveDivergence
        let k = variant == "cd3" ? 3 : variant == "pcd2" ? 2 : 1
        let unsplit = train(configuration(sampler, blocks: 1, k: k), updates: 6)
        for blocks in [2, 3] {
            let split = train(configuration(sampler, blocks: blocks, k: k), updates: 6)
            let pairs = zip(split.model.weights + split.model.visibleBias + split.model.hiddenBias + split.weightVelocity
                                + split.visibleBiasVelocity + split.hiddenBiasVelocity,
                            unsplit.model.weights + unsplit.model.visibleBias + unsplit.model.hiddenBias + unsplit.weightVelocity
                                + unsplit.visibleBiasVelocity + unsplit.hiddenBiasVelocity)
            let largest = pairs.map { abs($0 - $1) }.max()!
            #expect(largest < 1e-4, "\(variant), \(blocks) blocks: largest difference \(largest)")
            let differentSamples = zip(split.chainVisible ?? [], unsplit.chainVisible ?? []).filter { $0 != $1 }.count
            #expect(differentSamples == 0, "\(variant): \(differentSamples) of the chains' samples differ")
            let hiddenDifference = zip(split.chainHiddenProbabilities ?? [], unsplit.chainHiddenProbabilities ?? [])
                .map { abs($0 - $1) }.max() ?? 0
            #expect(hiddenDifference < 1e-4, "\(variant): the chains' P(h|v) differ by \(hiddenDifference)")
        }
    }

    /// The last phase applies Δ ← μΔ + ε(G/B − λW), W ← W + Δ to each block's rows (and the
    /// biases without decay). Done here by hand from the gradient estimate of the same statistics.
    @Test func inPlaceUpdateIsTheMomentumRule() {
        let (largest, before, after) = TrainingFixture.momentumRuleDifference(
            configuration(.persistentContrastiveDivergence, blocks: 3), visible: 100) { train($0, updates: $1) }
        #expect(largest < 1e-6, "largest difference from the momentum rule: \(largest)")
        #expect(after.weights != before.weights && after.hiddenBias != before.hiddenBias)
    }

    /// `visibleBlocks` fixes what is computed: 1, 2 and 3 workers give the same bits, and a
    /// trainer rebuilt from its state halfway continues exactly.
    @Test(arguments: [SamplerKind.contrastiveDivergence, .persistentContrastiveDivergence])
    func blockedStepIsBitIdenticalAcrossWorkersAndResume(sampler: SamplerKind) {
        TrainingFixture.expectBitIdenticalAcrossWorkersAndResume(configuration(sampler, blocks: 3, k: 2), updates: 12) {
            train($0, updates: $1, state: $2)
        }
    }
}
