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
        counterProblems() + parameterProblems() + samplerProblems() + dataProblems()
    }

    /// (epoch, batch, step) key the random streams and the data's order: ≥ 0, and at least one
    /// update per epoch (step = epoch × minibatches per epoch + batch); ε ≥ 0, μ in [0, 1].
    func counterProblems() -> [CheckpointProblem] {
        var problems: [CheckpointProblem] = []
        if epoch < 0 { problems.append(.init("attribute epoch", "is \(epoch); expected a count of epochs ≥ 0")) }
        if batchInEpoch < 0 { problems.append(.init("attribute batch", "is \(batchInEpoch); expected a count of minibatches ≥ 0")) }
        if state.step < 0 { problems.append(.init("attribute step", "is \(state.step); expected a count of updates ≥ 0")) }
        let (updatesNeeded, overflow) = epoch.addingReportingOverflow(batchInEpoch)
        if epoch >= 0, batchInEpoch >= 0, state.step >= 0, overflow || state.step < updatesNeeded {
            problems.append(.init("attribute step", "is \(state.step), fewer than the \(epoch) epoch(s) and \(batchInEpoch) minibatch(es) done need"))
        }
        if !(learningRate.isFinite && learningRate >= 0) {
            problems.append(.init("/optimizer attribute learning_rate", "is \(learningRate); expected a finite number ≥ 0"))
        }
        if !(momentum.isFinite && momentum >= 0 && momentum <= 1) {
            problems.append(.init("/optimizer attribute momentum", "is \(momentum); expected a number in [0, 1]"))
        }
        return problems
    }

    /// The model, its momentum buffers and FPCD's fast parameters: finite.
    func parameterProblems() -> [CheckpointProblem] {
        let nh = state.model.hiddenCount
        var arrays: [([Float], String, Int)] = [
            (state.model.weights, "/model/weights", nh), (state.model.visibleBias, "/model/visible_bias", 1),
            (state.model.hiddenBias, "/model/hidden_bias", 1), (state.weightVelocity, "/optimizer/weight_velocity", nh),
            (state.visibleBiasVelocity, "/optimizer/visible_bias_velocity", 1),
            (state.hiddenBiasVelocity, "/optimizer/hidden_bias_velocity", 1),
        ]
        if let logVariance = state.model.visibleLogVariance {
            arrays.append((logVariance, "/model/visible_log_variance", 1))
        }
        if let velocity = state.logVarianceVelocity {
            arrays.append((velocity, "/optimizer/visible_log_variance_velocity", 1))
        }
        if let fast = state.fastParameters {
            arrays += [(fast.weights, "/sampler/fast_weights", nh), (fast.visibleBias, "/sampler/fast_visible_bias", 1),
                       (fast.hiddenBias, "/sampler/fast_hidden_bias", 1)]
        }
        return arrays.compactMap { Self.nonFinite($0.0, $0.1, columns: $0.2) }
    }

    /// The persistent chains hold states the visible units can take and probabilities for
    /// P(h|v); parallel tempering's β₁ = 1 > β₂ > … > β_M > 0, M chains per minibatch row.
    func samplerProblems() -> [CheckpointProblem] {
        var problems: [CheckpointProblem] = []
        let nv = state.model.visibleCount, nh = state.model.hiddenCount
        if let chains = state.chainVisible {
            let name = "/sampler/persistent_chains"
            if chains.isEmpty { problems.append(.init(name, "has no chains; a persistent sampler needs one per minibatch row")) }
            problems += [Self.nonFinite(chains, name, columns: nv)].compactMap { $0 }
            if let detail = state.model.visibleUnits.impossibleChainValue(chains, rowLength: nv) {
                problems.append(.init(name, detail))
            }
        }
        if let hidden = state.chainHiddenProbabilities {
            let name = "/sampler/persistent_hidden_probabilities"
            problems += [Self.nonFinite(hidden, name, columns: nh), Self.outside(0...1, hidden, name, columns: nh)].compactMap { $0 }
        }
        guard sampler == .parallelTempering else { return problems }
        guard let betas = inverseTemperatures, !betas.isEmpty else {
            return problems + [.init("/sampler/inverse_temperatures", "is missing; parallel tempering needs its temperatures")]
        }
        if !(betas.first == 1 && zip(betas, betas.dropFirst()).allSatisfy { $0 > $1 && $1 > 0 }) {
            problems.append(.init("/sampler/inverse_temperatures", "is \(betas); expected 1 first, then decreasing values above 0"))
        }
        if let chains = state.chainVisible, nv > 0, (chains.count / nv) % betas.count != 0 {
            problems.append(.init("/sampler/persistent_chains", "holds \(chains.count / nv) chains, not a whole number of rows of \(betas.count) temperatures"))
        }
        return problems
    }

    /// Centering's offsets (μ the data mean, λ a mean of hidden probabilities), the
    /// standardisation, the image shape and the history's length.
    func dataProblems() -> [CheckpointProblem] {
        var problems: [CheckpointProblem] = []
        let units = state.model.visibleUnits
        let nv = state.model.visibleCount
        if let offsets = state.visibleOffsets {
            let name = "/centering/visible_offsets"
            problems += [Self.nonFinite(offsets, name), units.takesUnitInterval ? Self.outside(0...1, offsets, name) : nil].compactMap { $0 }
        }
        if let offsets = state.hiddenOffsets {
            let name = "/centering/hidden_offsets"
            problems += [Self.nonFinite(offsets, name), Self.outside(0...1, offsets, name)].compactMap { $0 }
        }
        if let standardization {
            if standardization.mean.count != nv {
                problems.append(.init("/data/mean", "has \(standardization.mean.count) values; expected one per visible unit (\(nv))"))
            }
            problems += [Self.nonFinite(standardization.mean, "/data/mean"),
                         Self.nonFinite(standardization.standardDeviation, "/data/std")].compactMap { $0 }
            if let index = standardization.standardDeviation.firstIndex(where: { $0.isFinite && !($0 > 0) }) {
                problems.append(.init("/data/std", "holds \(standardization.standardDeviation[index]) at [\(index)]; expected standard deviations > 0"))
            }
        }
        if let imageShape {
            // Attributes read from a file can be any Int64: their product may overflow.
            let pixels = imageShape.reduce(1) { product, side in
                let (result, overflow) = product.multipliedReportingOverflow(by: side)
                return overflow ? -1 : result
            }
            let variables = units.variableCount(visibleCount: nv)
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

    /// "N value(s) not finite (NaN or Inf), the first at [row, column]", or nil.
    static func nonFinite(_ values: [Float], _ name: String, columns: Int = 1) -> CheckpointProblem? {
        guard let first = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        let count = values.lazy.filter { !$0.isFinite }.count
        return CheckpointProblem(name, "\(count) value(s) not finite (NaN or Inf), the first at \(place(first, columns: columns))")
    }

    /// The first finite value outside `range`, or nil.
    static func outside(_ range: ClosedRange<Float>, _ values: [Float], _ name: String, columns: Int = 1) -> CheckpointProblem? {
        guard let index = values.firstIndex(where: { $0.isFinite && !range.contains($0) }) else { return nil }
        return CheckpointProblem(name, "holds \(values[index]) at \(place(index, columns: columns)); expected values in [\(Int(range.lowerBound)), \(Int(range.upperBound))]")
    }

    /// "[row, column]" of a flat index into a row-major matrix, or "[index]" for a vector.
    static func place(_ index: Int, columns: Int) -> String {
        columns > 1 ? "[\(index / columns), \(index % columns)]" : "[\(index)]"
    }
}
