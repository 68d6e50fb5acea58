import RBM
import RBMSystem

/// One thing wrong with a checkpoint's contents: the dataset or attribute, and what was
/// expected of it against what it holds.
public struct CheckpointProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    /// "/model/weights", "attribute batch", "/optimizer attribute momentum", …
    public var object: String
    public var detail: String

    public init(_ object: String, _ detail: String) {
        self.object = object
        self.detail = detail
    }

    public var description: String { "\(object): \(detail)" }

    /// True for NaN or Inf in the model's parameters: what a diverged run would have saved.
    public var isDivergedModel: Bool { object.hasPrefix("/model/") && detail.contains("not finite") }
}

extension Checkpoint {
    /// Everything wrong with the checkpoint's state on its own (no config or data needed):
    /// counters in range and consistent, every array finite, chain and offset values that the
    /// unit type allows, parallel tempering's inverse temperatures well formed, a history of
    /// `epoch` rows. Shapes are checked as the file is read (`read`). Empty for a checkpoint
    /// this program wrote; `read` refuses a checkpoint with any.
    public func problems() -> [CheckpointProblem] {
        var problems: [CheckpointProblem] = []
        let model = state.model
        let nv = model.visibleCount

        // The counters: (epoch, batch, step) key the random streams and the data's order.
        if epoch < 0 { problems.append(.init("attribute epoch", "is \(epoch); expected a count of epochs ≥ 0")) }
        if batchInEpoch < 0 { problems.append(.init("attribute batch", "is \(batchInEpoch); expected a count of minibatches ≥ 0")) }
        if state.step < 0 { problems.append(.init("attribute step", "is \(state.step); expected a count of updates ≥ 0")) }
        // Every epoch has at least one update: step = epoch × (minibatches per epoch) + batch.
        if epoch >= 0, batchInEpoch >= 0, state.step >= 0, state.step < epoch + batchInEpoch {
            problems.append(.init("attribute step", "is \(state.step), fewer than the \(epoch) epoch(s) and \(batchInEpoch) minibatch(es) done need"))
        }
        if !(learningRate.isFinite && learningRate >= 0) {
            problems.append(.init("/optimizer attribute learning_rate", "is \(learningRate); expected a finite number ≥ 0"))
        }
        if !(momentum.isFinite && momentum >= 0 && momentum <= 1) {
            problems.append(.init("/optimizer attribute momentum", "is \(momentum); expected a number in [0, 1]"))
        }

        // Every array finite.
        func finite(_ values: [Float], _ name: String, columns: Int = 1) {
            var count = 0
            var first = -1
            for (index, value) in values.enumerated() where !value.isFinite {
                if first < 0 { first = index }
                count += 1
            }
            guard count > 0 else { return }
            let place = columns > 1 ? "[\(first / columns), \(first % columns)]" : "[\(first)]"
            problems.append(.init(name, "\(count) value(s) not finite (NaN or Inf), the first at \(place)"))
        }
        func inRange(_ values: [Float], _ name: String, _ range: ClosedRange<Float>, columns: Int = 1) {
            guard let index = values.firstIndex(where: { $0.isFinite && !range.contains($0) }) else { return }
            let place = columns > 1 ? "[\(index / columns), \(index % columns)]" : "[\(index)]"
            problems.append(.init(name, "holds \(values[index]) at \(place); expected values in [\(Int(range.lowerBound)), \(Int(range.upperBound))]"))
        }
        let nh = model.hiddenCount
        finite(model.weights, "/model/weights", columns: nh)
        finite(model.visibleBias, "/model/visible_bias")
        finite(model.hiddenBias, "/model/hidden_bias")
        finite(state.weightVelocity, "/optimizer/weight_velocity", columns: nh)
        finite(state.visibleBiasVelocity, "/optimizer/visible_bias_velocity")
        finite(state.hiddenBiasVelocity, "/optimizer/hidden_bias_velocity")

        // The persistent chains: states the visible units can take, probabilities for P(h|v).
        if let chains = state.chainVisible {
            finite(chains, "/sampler/persistent_chains", columns: nv)
            switch model.visibleUnits {
            case .bernoulli:
                inRange(chains, "/sampler/persistent_chains", 0...1, columns: nv)
            case let .categorical(states):
                inRange(chains, "/sampler/persistent_chains", 0...1, columns: nv)
                // One-hot groups (all zeros before the first update).
                for group in stride(from: 0, to: chains.count, by: states) {
                    let sum = chains[group..<min(chains.count, group + states)].reduce(0, +)
                    if sum.isFinite && sum > 1.001 {
                        problems.append(.init("/sampler/persistent_chains", "row \(group / nv) has a group of \(states) states summing to \(sum); expected one-hot groups"))
                        break
                    }
                }
            case .gaussian:
                break
            }
            if chains.isEmpty { problems.append(.init("/sampler/persistent_chains", "has no chains; a persistent sampler needs one per minibatch row")) }
        }
        if let hidden = state.chainHiddenProbabilities {
            finite(hidden, "/sampler/persistent_hidden_probabilities", columns: nh)
            inRange(hidden, "/sampler/persistent_hidden_probabilities", 0...1, columns: nh)
        }
        if let fast = state.fastParameters {
            finite(fast.weights, "/sampler/fast_weights", columns: nh)
            finite(fast.visibleBias, "/sampler/fast_visible_bias")
            finite(fast.hiddenBias, "/sampler/fast_hidden_bias")
        }

        // Parallel tempering: β₁ = 1 > β₂ > … > β_M > 0, M chains per minibatch row.
        if sampler == .parallelTempering {
            if let betas = inverseTemperatures, !betas.isEmpty {
                let ordered = betas.first == 1 && zip(betas, betas.dropFirst()).allSatisfy { $0 > $1 && $1 > 0 }
                if !ordered {
                    problems.append(.init("/sampler/inverse_temperatures", "is \(betas); expected 1 first, then decreasing values above 0"))
                }
                if let chains = state.chainVisible, nv > 0, (chains.count / nv) % betas.count != 0 {
                    problems.append(.init("/sampler/persistent_chains", "holds \(chains.count / nv) chains, not a whole number of rows of \(betas.count) temperatures"))
                }
            } else {
                problems.append(.init("/sampler/inverse_temperatures", "is missing; parallel tempering needs its temperatures"))
            }
        }

        // Centering's offsets: μ the data mean, λ a mean of hidden probabilities.
        if let offsets = state.visibleOffsets {
            finite(offsets, "/centering/visible_offsets")
            if model.visibleUnits != .gaussian { inRange(offsets, "/centering/visible_offsets", 0...1) }
        }
        if let offsets = state.hiddenOffsets {
            finite(offsets, "/centering/hidden_offsets")
            inRange(offsets, "/centering/hidden_offsets", 0...1)
        }

        if let standardization {
            if standardization.mean.count != nv {
                problems.append(.init("/data/mean", "has \(standardization.mean.count) values; expected one per visible unit (\(nv))"))
            }
            finite(standardization.mean, "/data/mean")
            finite(standardization.standardDeviation, "/data/std")
            if let index = standardization.standardDeviation.firstIndex(where: { $0.isFinite && !($0 > 0) }) {
                problems.append(.init("/data/std", "holds \(standardization.standardDeviation[index]) at [\(index)]; expected standard deviations > 0"))
            }
        }

        if let imageShape {
            let pixels = imageShape.reduce(1, *)
            let variables = nv / max(1, model.visibleUnits.states > 2 ? model.visibleUnits.states : 1)
            if imageShape.contains(where: { $0 < 1 }) || (pixels != nv && pixels != variables) {
                problems.append(.init("attributes image_rows, image_columns", "are \(imageShape); expected positive numbers whose product is the \(variables) visible variables"))
            }
        }

        let lengths = Set(history.columns.map(\.values.count))
        if lengths.count > 1 {
            problems.append(.init("/history", "has series of different lengths \(lengths.sorted()); expected one value per epoch in each"))
        } else if let length = lengths.first, epoch >= 0, length != epoch {
            problems.append(.init("/history", "has \(length) epoch(s) of metrics; attribute epoch says \(epoch)"))
        }
        return problems
    }
}
