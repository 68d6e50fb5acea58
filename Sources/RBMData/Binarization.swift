import RBM

/// How pixel intensities in [0, 1] become the visible units' values.
public enum Binarization: String, Sendable, CaseIterable {
    /// v_i ~ Bernoulli(x_i), drawn afresh each epoch (a pure function of seed, epoch, sample).
    case stochastic
    /// v_i = 1 when x_i ≥ 0.5.
    case threshold
    /// v_i = x_i: intensities used as probabilities.
    case none

    /// The epoch number that keys the one fixed stochastic binarization used for evaluation.
    public static let evaluationEpoch: UInt32 = .max

    /// Writes the binarized values of dataset rows `samples` into `destination`, row by row.
    /// `epoch` keys the stochastic draws; sample `s` of the dataset always uses row `s` of the
    /// stream, so a sample is binarized the same way wherever it lands in a batch.
    public func apply<Indices: Collection<Int>>(
        to dataset: Dataset, samples: Indices, epoch: UInt32, seed: UInt64,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let d = dataset.featureCount
        let stream = RandomStream(seed: seed, purpose: .binarization, step: epoch)
        dataset.values.withUnsafeBufferPointer { values in
            for (position, sample) in samples.enumerated() {
                let source = values.baseAddress! + sample * d
                let target = destination + position * d
                switch self {
                case .none:
                    target.update(from: source, count: d)
                case .threshold:
                    for i in 0..<d { target[i] = source[i] >= 0.5 ? 1 : 0 }
                case .stochastic:
                    stream.bernoulli(row: UInt32(truncatingIfNeeded: sample), probabilities: source,
                                     count: d, into: target)
                }
            }
        }
    }

    /// Binarizes `rows` rows already gathered at `values` (in place when `destination` is
    /// `values`); row `r` is dataset sample `samples[r]`, which keys its stochastic draws.
    public func apply<Indices: Collection<Int>>(
        gathered values: UnsafePointer<Float>, samples: Indices, featureCount d: Int, epoch: UInt32, seed: UInt64,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let stream = RandomStream(seed: seed, purpose: .binarization, step: epoch)
        for (position, sample) in samples.enumerated() {
            let source = values + position * d
            let target = destination + position * d
            switch self {
            case .none:
                if UnsafePointer(target) != source { target.update(from: source, count: d) }
            case .threshold:
                for i in 0..<d { target[i] = source[i] >= 0.5 ? 1 : 0 }
            case .stochastic:
                stream.bernoulli(row: UInt32(truncatingIfNeeded: sample), probabilities: source, count: d, into: target)
            }
        }
    }

    /// The visible marginals p_i the binarized data have in expectation: the intensities'
    /// means, or for `threshold` the fraction of samples at or above 0.5. They initialize the
    /// visible biases and define AIS's base-rate model.
    public func marginals(of dataset: Dataset) -> [Float] {
        guard self == .threshold else { return dataset.featureMeans }
        var counts = [Int](repeating: 0, count: dataset.featureCount)
        for sample in 0..<dataset.count {
            let base = sample * dataset.featureCount
            for i in 0..<dataset.featureCount where dataset.values[base + i] >= 0.5 { counts[i] += 1 }
        }
        return counts.map { Float(Double($0) / Double(max(dataset.count, 1))) }
    }

    /// The whole dataset binarized once with the evaluation stream (or threshold / identity).
    public func evaluationValues(of dataset: Dataset, seed: UInt64) -> [Float] {
        var output = [Float](repeating: 0, count: dataset.values.count)
        output.withUnsafeMutableBufferPointer { buffer in
            apply(to: dataset, samples: 0..<dataset.count, epoch: Self.evaluationEpoch, seed: seed,
                  into: buffer.baseAddress!)
        }
        return output
    }
}
