/// Several rounds of AIS and reverse AIS taken together, so that a second look adds its samples
/// to the first round's instead of replacing them.
///
/// **AIS.** Each round's Ẑ_r = Z_A · mean(w) is unbiased for Z, so is any average fixed before
/// the rounds are drawn; weighting each run alike (Ẑ = Z_A · mean of all the rounds' w) is such
/// an average, with the rounds' run counts as weights. Its log is within log R of the largest
/// round's log Ẑ_r over R rounds of equal runs (Σ_r Ẑ_r ≥ max_r Ẑ_r), and, unlike that maximum,
/// still a stochastic lower bound on log Z: E[log Ẑ] ≤ log E[Ẑ] = log Z.
///
/// **Reverse AIS.** For a data point v*, each chain's p̂ is unbiased for the annealed model of its
/// round, q_r(v*), so the mean over all the rounds' chains from v* is unbiased for the mixture
/// q̄(v*) = Σ_r (M_r / M) q_r(v*), and L(v*) = −log (1/M) Σ exp(−L_m) over the M = Σ M_r chains
/// is again a stochastic upper bound on −log q̄(v*) + log p*(v*) — conservative for q̄ as each
/// round is for its own q_r. Each point's L is within log R of its best round's (the mixture
/// is at least q_r / R), and M chains per point narrow Jensen's gap as more chains per point do
/// in one round.
extension AnnealedImportanceSampling.Estimate {
    /// Every run of `estimates` as one estimate (the same model and base model). The mean
    /// increments are the last round's: rounds at one count may place their β differently, so
    /// step k is not the same β in each.
    public static func pooled(_ estimates: [Self]) -> Self {
        precondition(!estimates.isEmpty)
        guard estimates.count > 1 else { return estimates[0] }
        return Self(logWeights: estimates.flatMap(\.logWeights), baseLogPartitionFunction: estimates[0].baseLogPartitionFunction,
                    meanIncrements: estimates.last!.meanIncrements)
    }
}

extension AnnealedImportanceSampling.ReverseEstimate {
    /// Every chain of `estimates` as one estimate from the same data points: a point's L pools
    /// all the rounds' chains from it (round by round, in the order given). The mean increments
    /// are the last round's, as for AIS.
    public static func pooled(_ estimates: [Self]) -> Self {
        precondition(!estimates.isEmpty)
        guard estimates.count > 1 else { return estimates[0] }
        let points = estimates[0].points
        precondition(estimates.allSatisfy { $0.points == points }, "pooled reverse AIS needs the same data points")
        let perPoint = estimates.reduce(0) { $0 + $1.chainsPerPoint }
        var chainLogPartitions: [Double] = []
        chainLogPartitions.reserveCapacity(perPoint * points.count)
        for point in points.indices {
            for estimate in estimates {
                let start = point * estimate.chainsPerPoint
                chainLogPartitions += estimate.chainLogPartitions[start..<(start + estimate.chainsPerPoint)]
            }
        }
        return Self(chainLogPartitions: chainLogPartitions, points: points, chainsPerPoint: perPoint,
                    baseLogPartitionFunction: estimates[0].baseLogPartitionFunction, meanIncrements: estimates.last!.meanIncrements)
    }
}
