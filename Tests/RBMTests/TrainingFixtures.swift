import Foundation
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
