/// Reverse annealing from the data (RAISE: Burda, Grosse & Salakhutdinov 2015), the conservative
/// side of a log-likelihood bracket.
///
/// Read AIS's chain as a generative model q: v₁ ~ p_A, v_{k+1} ~ T_k(· | v_k) for k = 1 … K
/// (T_K at β = 1), emitting v_{K+1}. For a data point v*, propose the earlier states by running
/// the same transitions backwards from it: v_K ~ T_K(· | v*), v_{K−1} ~ T_{K−1}(· | v_K), …,
/// v₁ ~ T₁(· | v₂). Each T_k is reversible with respect to f_k, so T_k(v_{k+1} | v_k) /
/// T_k(v_k | v_{k+1}) = f_k(v_{k+1}) / f_k(v_k), and the importance weight of the proposal is
///
///     q(v₁ … v_{K+1}) / r(v₁ … v_K | v*) = p_A(v₁) · Πₖ f_k(v_{k+1}) / f_k(v_k)
///                                         = f_K(v*) / Z_A · Πₖ f_{k−1}(v_k) / f_k(v_k),
///
/// an unbiased estimate of q(v*). Each ratio f_{k−1}/f_k is taken at v_k, the state T_k has just
/// produced (Upadhya & Sastry 2015, eq. 10; taking it at the state before the step, as one reading
/// of the original paper does, gives a different, biased estimator — the tests tell them apart on
/// a model small enough to compute q exactly). With f_K(v*) = e^(−F(v*)):
///
///     log p̂(v*) = −F(v*) − L(v*),   L(v*) = log Z_A + Σₖ [log f_k(v_k) − log f_{k−1}(v_k)],
///
/// and E[log p̂(v*)] ≤ log q(v*) by Jensen's inequality: the estimate errs low, where AIS's log Ẑ
/// errs low and so its log-likelihood high. q is the annealed approximation of the model, close
/// to it when the schedule is fine; L plays the part of log Z, and its mean over data points is
/// the conservative log Z reported beside AIS's.
///
/// **Several chains per point.** Jensen's gap E[log p̂] ≤ log q is about half the variance of
/// log p̂ when that is small, and log p̂ of one chain varies by several nats on sharp models:
/// with one chain per point, reverse AIS on a categorical CD-1 model (Fashion-MNIST, 20 hidden
/// units, exact log Z known) sat 12 nats above the exact log Z, the spread of L over its 100
/// points 4.3 nats. The mean of M chains' p̂ from the same point is unbiased for q(v*) too, so
///
///     L(v*) = −log (1/M) Σₘ exp(−Lₘ(v*)),   log p̂(v*) = −F(v*) − L(v*),
///
/// is again a stochastic lower bound on log q(v*), and a tighter one: on that model the gap
/// measured over 10 points fell from 13.2 nats with one chain to 2.6 with M = 20 (docs/models.md,
/// "Several chains per data point"). The points
/// then number `runs` / `chainsPerPoint`, rows spread evenly over the data (all of them when
/// there are fewer): the mean of −F is taken over every row, the mean of L over these points.
/// Chain i starts at point ⌊i / M⌋ and reads row i of the `reverseAnnealing` streams at step k
/// (substep 0 for h, 1 for v), so the estimate is the same on any number of workers and ranks.
extension AnnealedImportanceSampling {
    public struct ReverseEstimate: Sendable, Equatable {
        /// The mean of L over the points: log Z as reverse annealing sees it (a stochastic upper
        /// bound on the annealed model's, so a conservative log-likelihood −mean F − this).
        public var logPartitionFunction: Double
        /// The standard error of that mean: the spread of L over the points / √points.
        public var standardError: Double
        /// L of each point (the log-mean-exp of its chains').
        public var pointLogPartitions: [Double]
        /// Lₘ of each chain, point by point (chain i from point ⌊i / `chainsPerPoint`⌋).
        public var chainLogPartitions: [Double]
        /// The data rows the chains started from, one per point.
        public var points: [Int]
        public var chainsPerPoint: Int
        public var baseLogPartitionFunction: Double
        /// Step k's increment log f_k(v_k) − log f_{k−1}(v_k) averaged over the points, k = 1 … K
        /// (the chains run k = K … 1): with AIS's, where the two directions lag.
        public var meanIncrements: [Double] = []
    }

    /// The chains per point reverse annealing runs: `chainsPerPoint`, at most `runs`.
    public var reverseChainsPerPoint: Int { max(1, min(chainsPerPoint, runs)) }

    /// The rows reverse annealing starts from: `runs` / `reverseChainsPerPoint` rows spread
    /// evenly over `rows`, or all of them.
    public func reverseStartingRows(rows: Int) -> [Int] {
        let count = min(runs / reverseChainsPerPoint, rows)
        return (0..<count).map { $0 * rows / count }
    }

    /// Reverse-anneals from rows of `visible` (`rows` × n_visible, as the model sees data:
    /// binarized, standardised) to the base model with visible biases `baseVisibleBias`.
    public func reverseEstimate(model: RBMModel, baseVisibleBias: [Float], visible: [Float], rows: Int,
                                ranks: any RankGroup = SingleProcess()) -> ReverseEstimate {
        if model.visibleLogVariance != nil {
            // The unit-variance model from u = v/σ; log Z_v = log Z_u + Σ log σ_i.
            var estimate = reverseEstimate(model: model.unitVarianceModel, baseVisibleBias: baseVisibleBias,
                                           visible: model.unitVarianceCoordinates(visible, rows: rows), rows: rows, ranks: ranks)
            let shift = model.logScaleDeterminant
            estimate.logPartitionFunction += shift
            estimate.pointLogPartitions = estimate.pointLogPartitions.map { $0 + shift }
            estimate.baseLogPartitionFunction += shift
            return estimate
        }
        precondition(Self.fits(baseVisibleBias, model) && visible.count == rows * model.visibleCount)
        precondition(rows > 0 && betas.count >= 2)
        let points = reverseStartingRows(rows: rows)
        let perPoint = reverseChainsPerPoint
        let chainPoints = points.flatMap { Array(repeating: $0, count: perPoint) }
        let proposals = guide?.proposals
        let transfer = UnsafeTransfer((model, baseVisibleBias, visible, chainPoints, self, proposals))
        let chunkResults = DataParallel.mapChunks(count: chainPoints.count, chunkSize: Self.runsPerChunk, workers: workers,
                                                  ranks: ranks) { range in
            let (model, base, visible, points, sampler, proposals) = transfer.value
            return sampler.reverseAnneal(model: model, baseVisibleBias: base, visible: visible, points: points, chains: range,
                                         proposals: proposals)
        }
        let baseLogZ = Double(model.hiddenCount) * _log(2)
            + model.visibleUnits.baseLogPartition(base: baseVisibleBias, visibleCount: model.visibleCount)
        let (weights, meanIncrements) = Self.split(chunkResults, steps: betas.count - 1)
        return ReverseEstimate(chainLogPartitions: weights.map { baseLogZ + $0 }, points: points, chainsPerPoint: perPoint,
                               baseLogPartitionFunction: baseLogZ, meanIncrements: meanIncrements)
    }

    /// −log (1/M) Σₘ exp(−Lₘ): one point's L from its M chains', in double precision, shifted by
    /// the smallest Lₘ so that no term overflows.
    static func logMeanExpNegated(_ chainValues: ArraySlice<Double>) -> Double {
        guard let smallest = chainValues.min() else { return .nan }
        let sum = chainValues.reduce(0.0) { $0 + _exp(smallest - $1) }
        return smallest - _log(sum / Double(chainValues.count))
    }

    /// The chains `range` of the points: from v* down the schedule; returns Σₖ [log f_k(v_k) −
    /// log f_{k−1}(v_k)] of each (L less log Z_A), then each step's term summed over the chains.
    func reverseAnneal(model: RBMModel, baseVisibleBias: [Float], visible: [Float], points: [Int],
                       chains range: Range<Int>, proposals: AnnealingProposals? = nil) -> [Double] {
        let chains = AnnealingChains(model: model, baseVisibleBias: baseVisibleBias, chains: range,
                                     layer: layer ?? .preferred(for: model.visibleUnits))
        visible.withUnsafeBufferPointer { data in
            chains.start(at: data.baseAddress!, rows: range.map { points[$0] },
                         RandomStream(seed: seed, purpose: .reverseAnnealing, step: 0, substep: 2))
        }
        var logWeights = [Double](repeating: 0, count: range.count)
        var increments = [Double](repeating: 0, count: betas.count - 1)
        chains.prepareRatio()
        for k in stride(from: betas.count - 1, through: 1, by: -1) {
            let jump = proposals.flatMap { $0.jumps(at: k) ? $0 : nil }.map {
                ($0, RandomStream(seed: seed, purpose: .reverseAnnealing, step: UInt32(k), substep: 3))
            }
            chains.transition(beta: Float(betas[k]),
                              hiddenStream: RandomStream(seed: seed, purpose: .reverseAnnealing, step: UInt32(k), substep: 0),
                              visibleStream: RandomStream(seed: seed, purpose: .reverseAnnealing, step: UInt32(k), substep: 1),
                              jump: jump, reversed: true)
            chains.prepareRatio()
            increments[k - 1] = chains.addLogRatioSummed(from: betas[k - 1], to: betas[k], into: &logWeights)
        }
        return logWeights + increments
    }
}

extension AnnealedImportanceSampling.ReverseEstimate {
    /// The estimate from each chain's Lₘ (point by point, `chainsPerPoint` each): a point's L
    /// is the log-mean-exp of its chains', log Z the mean over the points, the standard error
    /// the spread over them / √points.
    init(chainLogPartitions: [Double], points: [Int], chainsPerPoint perPoint: Int, baseLogPartitionFunction: Double,
         meanIncrements: [Double]) {
        let pointLogPartitions = (0..<points.count).map { point in
            AnnealedImportanceSampling.logMeanExpNegated(chainLogPartitions[(point * perPoint)..<((point + 1) * perPoint)])
        }
        let count = Double(pointLogPartitions.count)
        let mean = pointLogPartitions.reduce(0, +) / count
        let variance = count > 1 ? pointLogPartitions.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1) : 0
        self.init(logPartitionFunction: mean, standardError: (variance / count).squareRoot(),
                  pointLogPartitions: pointLogPartitions, chainLogPartitions: chainLogPartitions, points: points,
                  chainsPerPoint: perPoint, baseLogPartitionFunction: baseLogPartitionFunction,
                  meanIncrements: meanIncrements)
    }
}
