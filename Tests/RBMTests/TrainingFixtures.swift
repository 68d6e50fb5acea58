import Foundation
import Testing
import RBM

/// What the trainer suites share: training on random binary minibatches, a state as bits, and
/// the gradient estimate averaged with the parameters held fixed.
enum TrainingFixture {
    /// `updates` updates (ε = 0.1, μ = 0.9) over 6 minibatches of random binary data, from
    /// `state` or a fresh model (W ~ N(0, 0.1²), seed 7; centering's visible offsets the data's
    /// means); the final state.
    static func train(_ configuration: TrainerConfiguration, updates: Int, visible: Int, hidden: Int,
                      units: VisibleUnits = .bernoulli, state: TrainerState? = nil) -> TrainerState {
        let batch = configuration.batchSize
        let data = Reference.randomBinary(rows: batch * 6, columns: visible, seed: 4)
        var model = RBMModel.initialized(visibleCount: visible, hiddenCount: hidden, seed: 7, weightStandardDeviation: 0.1)
        model.visibleUnits = units
        var initial = state ?? TrainerState.initial(model: model, configuration: configuration)
        if configuration.centering && state == nil {
            initial.visibleOffsets = (0..<visible).map { i in
                (0..<(batch * 6)).map { data[$0 * visible + i] }.reduce(0, +) / Float(batch * 6)
            }
        }
        let trainer = DataParallelTrainer(state: initial, configuration: configuration)
        for _ in 0..<updates {
            let start = (trainer.step % 6) * batch
            trainer.update(batch: MatrixMinibatch(values: Array(data[(start * visible)..<((start + batch) * visible)]),
                                                  visibleCount: visible),
                           hyperparameters: UpdateHyperparameters(learningRate: 0.1, momentum: 0.9))
        }
        return trainer.state
    }

    /// Everything a trainer carries, as bit patterns (for bit-for-bit comparisons).
    static func bits(_ state: TrainerState) -> [[UInt32]] {
        [state.model.weights, state.model.visibleBias, state.model.hiddenBias, state.weightVelocity,
         state.visibleBiasVelocity, state.hiddenBiasVelocity, state.chainVisible ?? [], state.chainHiddenProbabilities ?? [],
         state.fastParameters?.weights ?? [], state.hiddenOffsets ?? []].map { $0.map(\.bitPattern) }
    }

    /// `base` trained with 1, 2 and 3 workers gives the same bits, and so does a trainer rebuilt
    /// from its state halfway (2 workers, then 3). `train(configuration, updates, state)` trains
    /// from `state` or afresh; returns the 1-worker state.
    @discardableResult
    static func expectBitIdenticalAcrossWorkersAndResume(
        _ base: TrainerConfiguration, updates: Int, sourceLocation: SourceLocation = #_sourceLocation,
        train: (TrainerConfiguration, _ updates: Int, _ state: TrainerState?) -> TrainerState
    ) -> TrainerState {
        func with(workers: Int) -> TrainerConfiguration {
            var copy = base
            copy.workers = workers
            return copy
        }
        let one = train(with(workers: 1), updates, nil)
        #expect(bits(train(with(workers: 2), updates, nil)) == bits(one), "2 workers", sourceLocation: sourceLocation)
        #expect(bits(train(with(workers: 3), updates, nil)) == bits(one), "3 workers", sourceLocation: sourceLocation)
        let half = train(with(workers: 2), updates / 2, nil)
        #expect(bits(train(with(workers: 3), updates - updates / 2, half)) == bits(one), "resumed",
                sourceLocation: sourceLocation)
        return one
    }

    /// One in-place update (ε = 0.1, μ = 0.9) from a PCD state trained 3 updates, against the
    /// momentum rule done by hand from the gradient estimate of the same statistics:
    /// Δ ← μΔ + ε(g − λW), θ ← θ + Δ (biases without decay). The largest difference, and the
    /// models before and after.
    static func momentumRuleDifference(
        _ configuration: TrainerConfiguration, visible: Int,
        train: (TrainerConfiguration, _ updates: Int) -> TrainerState
    ) -> (largest: Float, before: RBMModel, after: RBMModel) {
        let data = Reference.randomBinary(rows: configuration.batchSize, columns: visible, seed: 4)
        let batch = MatrixMinibatch(values: data, visibleCount: visible)
        var state = train(configuration, 3)   // nonzero velocities and chains
        state.step = 3
        let updated = DataParallelTrainer(state: state, configuration: configuration)
        updated.update(batch: batch, hyperparameters: UpdateHyperparameters(learningRate: 0.1, momentum: 0.9))
        let gradient = DataParallelTrainer(state: state, configuration: configuration).estimateGradient(batch: batch)
        func expected(_ theta: [Float], _ velocity: [Float], _ g: [Float], decay: Float) -> [Float] {
            (0..<theta.count).map { i in theta[i] + (0.9 * velocity[i] + 0.1 * (g[i] - decay * theta[i])) }
        }
        let after = updated.model
        let weights = expected(state.model.weights, state.weightVelocity, gradient.weights, decay: configuration.weightDecay)
        let visibleBias = expected(state.model.visibleBias, state.visibleBiasVelocity, gradient.visibleBias, decay: 0)
        let hiddenBias = expected(state.model.hiddenBias, state.hiddenBiasVelocity, gradient.hiddenBias, decay: 0)
        let largest = zip(after.weights + after.visibleBias + after.hiddenBias, weights + visibleBias + hiddenBias)
            .map { abs($0 - $1) }.max()!
        return (largest, state.model, after)
    }

    /// The trainer's gradient estimate (W, b, c flattened) averaged over `updates` calls after
    /// `burnIn` unrecorded ones; the parameters never change, the chains walk on.
    static func averagedGradient(_ trainer: DataParallelTrainer, batch: MatrixMinibatch, burnIn: Int = 50,
                                 updates: Int = 300) -> [Double] {
        for _ in 0..<burnIn { _ = trainer.estimateGradient(batch: batch) }
        var sum = [Double](repeating: 0, count: trainer.visibleCount * trainer.hiddenCount
                           + trainer.visibleCount + trainer.hiddenCount)
        for _ in 0..<updates {
            let g = trainer.estimateGradient(batch: batch)
            for (index, value) in (g.weights + g.visibleBias + g.hiddenBias).enumerated() {
                sum[index] += Double(value) / Double(updates)
            }
        }
        return sum
    }
}

extension ExactStatistics {
    /// The exact log-likelihood gradient E_data[v P(h|v)ᵀ] − E_model[v P(h|v)ᵀ] (W, b, c
    /// flattened), the model term by enumerating every visible state.
    static func gradient(model: RBMModel, rows: [[Float]]) -> [Double] {
        let positive = ExactStatistics(model: model, rows: rows)
        let negative = ExactStatistics.model(model)
        return zip(positive.weights, negative.weights).map { $0 - $1 }
            + zip(positive.visibleBias, negative.visibleBias).map { $0 - $1 }
            + zip(positive.hiddenBias, negative.hiddenBias).map { $0 - $1 }
    }
}
