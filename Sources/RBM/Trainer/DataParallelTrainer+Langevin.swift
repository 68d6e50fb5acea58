/// The negative phase by Langevin dynamics, for real-valued visible units
/// (`training.langevin_steps`; Liao, Kornblith, Ren, Fleet & Hinton 2022, "Gaussian-Bernoulli
/// RBMs Without Tears").
///
/// The visible states move on the marginal density p(u) ∝ e^(−F(u)) (the hidden layer summed
/// out; u = v/σ with learned variances, else v), by unadjusted Langevin steps of size η:
///
///     ∇F(u) = u − b − W·P(h|u),     u ← u − η∇F(u) + √(2η)·ξ = u + η(b + W·P(h|u) − u) + √(2η)·ξ,
///
/// with ξ ~ N(0, I). Each of the k Gibbs steps of CD-k / PCD-k is `langevinSteps` of them; the
/// hidden layer enters through its Gibbs conditional P(h|u), in ∇F and in the statistics (the
/// last P(h|uᵏ)). CD's chains start at the data, or at N(0, I) with `chainStart = .noise` (the
/// modified CD of Liao et al.); PCD's continue from their states. Each step costs the two
/// products of a Gibbs step. Noise is keyed by (seed, update, step t·L + l, chain row), so
/// the chains are the same on any number of workers.
extension DataParallelTrainer {
    func runLangevinChains(workspace: ShardWorkspace, rows rowRange: Range<Int>) {
        guard let scratch = workspace.langevinScratch else { preconditionFailure("no Langevin scratch") }
        let n = rowRange.count
        let nv = visibleCount
        let nh = hiddenCount
        let dataVisible = UnsafePointer(workspace.stackedVisible)
        let negativeVisible = workspace.stackedVisible + n * nv
        let negativeHidden = workspace.stackedHidden + n * nh
        let sampling = samplingParameters
        let weights = UnsafePointer(sampling.weights)
        let visibleBias = UnsafePointer(sampling.visibleBias)
        let hiddenBias = UnsafePointer(sampling.hiddenBias)
        let means = scratch
        let zeros = UnsafePointer(scratch + n * nv)
        let steps = configuration.langevinSteps
        let eta = configuration.langevinStepSize
        let noiseScale = (2 * eta).squareRoot()

        /// N(0, I) for the shard's rows into `means`, from the stream's rows of the chains.
        func drawNoise(_ stream: RandomStream) {
            GibbsHalfStep.drawVisible(.gaussian, stream, rows: n, count: nv, streamRow: { rowRange.lowerBound + $0 },
                                      means: zeros, meansStride: 0, into: means)
        }

        if let chains {
            negativeVisible.update(from: chains.visible + rowRange.lowerBound * nv, count: n * nv)
        } else if configuration.chainStart == .noise {
            drawNoise(RandomStream(seed: configuration.seed, purpose: .langevinNoise, step: UInt32(truncatingIfNeeded: step),
                                   substep: 1 << 23))
            negativeVisible.update(from: means, count: n * nv)
        } else {
            negativeVisible.update(from: dataVisible, count: n * nv)
        }
        for gibbsStep in 0..<configuration.gibbsSteps {
            for langevinStep in 0..<steps {
                // b + W·P(h|u), then u + η(mean − u) + √(2η)ξ.
                RBMKernels.hiddenProbabilities(visible: negativeVisible, rows: n, weights: weights, hiddenBias: hiddenBias,
                                               visibleCount: nv, hiddenCount: nh, into: negativeHidden)
                RBMKernels.visibleMeans(units: visibleUnits, hidden: negativeHidden, rows: n, weights: weights,
                                        visibleBias: visibleBias, visibleCount: nv, hiddenCount: nh, into: means)
                for index in 0..<(n * nv) { negativeVisible[index] += eta * (means[index] - negativeVisible[index]) }
                drawNoise(RandomStream(seed: configuration.seed, purpose: .langevinNoise, step: UInt32(truncatingIfNeeded: step),
                                       substep: UInt32(gibbsStep * steps + langevinStep)))
                for index in 0..<(n * nv) { negativeVisible[index] += noiseScale * means[index] }
            }
        }
        RBMKernels.hiddenProbabilities(visible: negativeVisible, rows: n, weights: weights, hiddenBias: hiddenBias,
                                       visibleCount: nv, hiddenCount: nh, into: negativeHidden)
        if let chains {
            (chains.visible + rowRange.lowerBound * nv).update(from: negativeVisible, count: n * nv)
            (chains.hiddenProbabilities + rowRange.lowerBound * nh).update(from: negativeHidden, count: n * nh)
        }
    }

    /// Gradient-norm clipping (`clipNorm` > 0): min(1, clip/‖g‖) for the batch-averaged gradient
    /// g of the totals T — (1/B)·T for W, b and c, ½(T/B − 1) for the log-variances — its
    /// squares summed in double precision in a fixed order (the same on every rank), before
    /// weight decay.
    func clippingFactor(totals: UnsafePointer<Float>, varianceTotals: UnsafePointer<Float>?) -> Float {
        guard configuration.clipNorm > 0 else { return 1 }
        let scale = 1 / Double(configuration.batchSize)
        let count = visibleCount * hiddenCount + visibleCount + hiddenCount
        var squares = 0.0
        for index in 0..<count {
            let g = scale * Double(totals[index])
            squares += g * g
        }
        if let varianceTotals {
            for i in 0..<visibleCount {
                let g = 0.5 * (scale * Double(varianceTotals[i]) - 1)
                squares += g * g
            }
        }
        let norm = squares.squareRoot()
        return norm > Double(configuration.clipNorm) ? Float(Double(configuration.clipNorm) / norm) : 1
    }
}
