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
///
/// With `langevinAdjusted` (MALA) each step is a proposal u' = d(u) + √(2η)ξ, d(u) = u − η∇F(u),
/// accepted with probability min(1, α),
///
///     log α = F(u) − F(u') − (|u − d(u')|² − |u' − d(u)|²)/(4η),
///
/// F(u) = |u − b|²/2 − Σ_j softplus(c_j + (uW)_j), by one uniform per chain and step: the
/// Metropolis–Hastings rule for the Gaussian proposal, so the chains leave the model exactly
/// invariant whatever η (the unadjusted chain's bias is O(η)). It costs the same two products
/// per step and the softplus sums.
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
        if configuration.langevinAdjusted {
            runAdjustedLangevinSteps(rows: rowRange, visible: negativeVisible, hidden: negativeHidden, scratch: scratch,
                                     workspace: workspace)
            if let chains {
                (chains.visible + rowRange.lowerBound * nv).update(from: negativeVisible, count: n * nv)
                (chains.hiddenProbabilities + rowRange.lowerBound * nh).update(from: negativeHidden, count: n * nh)
            }
            return
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

    /// MALA from the states `visible` (n × n_visible, updated in place), leaving P(h|u) of the
    /// final states in `hidden`. `scratch` is the shard's Langevin scratch: zeros, then the
    /// current means, the proposal, its means (first its noise), the drift and its P(h|u').
    private func runAdjustedLangevinSteps(rows rowRange: Range<Int>, visible: UnsafeMutablePointer<Float>,
                                          hidden: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                          workspace: ShardWorkspace) {
        workspace.langevinProposals = 0
        workspace.langevinAcceptances = 0
        let n = rowRange.count, nv = visibleCount, nh = hiddenCount
        let zeros = UnsafePointer(scratch + n * nv)
        let means = scratch
        let proposal = scratch + (n + 1) * nv
        let proposalMeans = proposal + n * nv
        let drift = proposalMeans + n * nv
        let proposalHidden = drift + n * nv
        let eta = configuration.langevinStepSize
        let noiseScale = (2 * eta).squareRoot()
        var freeEnergies = [Double](repeating: 0, count: n)
        var proposalFreeEnergies = [Double](repeating: 0, count: n)
        langevinState(rows: n, visible: visible, hidden: hidden, means: means, freeEnergies: &freeEnergies)
        var uniform: Float = 0
        var forward = [Double](repeating: 0, count: n)
        for gibbsStep in 0..<configuration.gibbsSteps {
            for langevinStep in 0..<configuration.langevinSteps {
                let substep = UInt32(gibbsStep * configuration.langevinSteps + langevinStep)
                let noiseStream = RandomStream(seed: configuration.seed, purpose: .langevinNoise,
                                               step: UInt32(truncatingIfNeeded: step), substep: substep)
                GibbsHalfStep.drawVisible(.gaussian, noiseStream, rows: n, count: nv, streamRow: { rowRange.lowerBound + $0 },
                                          means: zeros, meansStride: 0, into: proposalMeans)
                for r in 0..<n {
                    var squares = 0.0
                    for i in (r * nv)..<((r + 1) * nv) {
                        drift[i] = visible[i] + eta * (means[i] - visible[i])
                        proposal[i] = drift[i] + noiseScale * proposalMeans[i]
                        let step = Double(proposal[i]) - Double(drift[i])
                        squares += step * step
                    }
                    forward[r] = squares
                }
                langevinState(rows: n, visible: proposal, hidden: proposalHidden, means: proposalMeans,
                              freeEnergies: &proposalFreeEnergies)
                let acceptStream = RandomStream(seed: configuration.seed, purpose: .langevinNoise,
                                                step: UInt32(truncatingIfNeeded: step), substep: (1 << 22) + substep)
                for r in 0..<n {
                    var backward = 0.0
                    for i in (r * nv)..<((r + 1) * nv) {
                        let reverseDrift = Double(proposal[i]) + Double(eta) * (Double(proposalMeans[i]) - Double(proposal[i]))
                        let step = Double(visible[i]) - reverseDrift
                        backward += step * step
                    }
                    let logRatio = freeEnergies[r] - proposalFreeEnergies[r] - (backward - forward[r]) / (4 * Double(eta))
                    acceptStream.uniforms(row: UInt32(rowRange.lowerBound + r), count: 1, into: &uniform)
                    // log U < log α, with U ∈ [0, 1): U = 0 always accepts.
                    workspace.langevinProposals += 1
                    guard uniform == 0 || _log(Double(uniform)) < logRatio else { continue }
                    workspace.langevinAcceptances += 1
                    (visible + r * nv).update(from: proposal + r * nv, count: nv)
                    (means + r * nv).update(from: proposalMeans + r * nv, count: nv)
                    (hidden + r * nh).update(from: proposalHidden + r * nh, count: nh)
                    freeEnergies[r] = proposalFreeEnergies[r]
                }
            }
        }
    }

    /// For `rows` states u (`visible`): P(h|u) into `hidden`, the means b + W·P(h|u) into
    /// `means`, and F(u) = |u − b|²/2 − Σ_j softplus(c_j + (uW)_j) per row (double precision).
    private func langevinState(rows n: Int, visible: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                               means: UnsafeMutablePointer<Float>, freeEnergies: inout [Double]) {
        let nv = visibleCount, nh = hiddenCount
        let sampling = samplingParameters
        BLAS.gemm(m: n, n: nh, k: nv, a: visible, b: sampling.weights, c: hidden)
        for r in 0..<n {
            var quadratic = 0.0
            for i in 0..<nv {
                let d = Double(visible[r * nv + i]) - Double(sampling.visibleBias[i])
                quadratic += d * d / 2
            }
            freeEnergies[r] = quadratic - Logistic.softplusSum(hidden + r * nh, offset: sampling.hiddenBias, count: nh)
        }
        Logistic.applyWithBias(hidden, rows: n, columns: nh, bias: sampling.hiddenBias)
        RBMKernels.visibleMeans(units: visibleUnits, hidden: hidden, rows: n, weights: sampling.weights,
                                visibleBias: sampling.visibleBias, visibleCount: nv, hiddenCount: nh, into: means)
    }

    /// Adjusted Langevin: the fraction of proposals accepted since the last call, over every
    /// rank (collective under several ranks; NaN when none were made); then the counts restart.
    public func takeLangevinAcceptanceRate() -> Double {
        let gathered = ranks.allGather(doubles: [Double(langevinProposals), Double(langevinAcceptances)])
        var proposals = 0.0, acceptances = 0.0
        for (index, value) in gathered.enumerated() {
            if index % 2 == 0 { proposals += value } else { acceptances += value }
        }
        langevinProposals = 0
        langevinAcceptances = 0
        return proposals > 0 ? acceptances / proposals : .nan
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
