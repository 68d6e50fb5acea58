/// Inverse temperatures 0 = β₀ < β₁ < … < β_K = 1 for AIS and reverse AIS.
///
/// **The paper's schedule** (Salakhutdinov & Murray 2008) spends its steps near β = 1: equal steps
/// in [0, 0.5], [0.5, 0.9] and [0.9, 1] in the proportion 500 : 4,000 : 10,000.
///
/// **A lag-adapted schedule** puts the steps where the chains fall behind the path. A step's
/// increment, log f_k(v_k) − log f_{k−1}(v_k) ≈ Δβ_k·∂_β log f_β(v_k), averaged over the chains,
/// sums over a stretch of β to ≈ ∫ E[∂_β log f_β] dβ taken under the distribution the chains are
/// really in. Chains that lag behind the path carry states of the β they came from: AIS's (from
/// β = 0) those of a smaller β, reverse AIS's (from the data) those of a larger one. So in region
/// i of β (one of `regions` equal parts of [0, 1]) the sum of the reverse chains' mean increments
/// R_i exceeds AIS's F_i by about both lags, and Σ_i (R_i − F_i) is the hysteresis that makes
/// the bracket wide (the mean log weights' difference; each side's own bias is part of it).
///
/// A lag shrinks as the region gets more steps; taking it ∝ 1/n_i — the lag of a chain moved
/// n_i times over a fixed change of distribution — the total Σ G_i/n_i with G_i = (R_i − F_i)·n_i
/// (n_i: the steps the measurement had there) is smallest for a fixed K at n_i ∝ √G_i. The
/// schedule gives every region one step and a fraction `floor` of the others evenly (a stretch
/// that measured no lag keeps some steps), the rest ∝ √G_i, in equal steps within each region.
///
/// Measured on a Fashion-MNIST categorical model with 20 hidden units (exact log Z 773.17,
/// 14,500 β): the paper's schedule left R − F = 14.6 nats, 12.8 of them at β ∈ (0.2, 0.6] where
/// it takes 1,400 steps; the schedule adapted from that run left 5.7, and reverse AIS on it
/// moved from 3.46 to 2.00 nats above the exact log Z (on a CD-trained 16-hidden model, from
/// 9.60 to 2.97; with jumps after every transition, 1.31 and 2.27; docs/models.md).
public enum AnnealingSchedule {
    /// The paper's schedule scaled to `count` inverse temperatures in all (spacing 10⁻³, 10⁻⁴
    /// and 10⁻⁵ at 14,500).
    public static func paper(count: Int) -> [Double] {
        precondition(count >= 3, "AIS needs at least 3 inverse temperatures")
        let first = max(1, Int((Double(count) * 500 / 14_500).rounded()))
        let second = max(1, Int((Double(count) * 4_000 / 14_500).rounded()))
        let third = max(1, count - first - second)
        var betas: [Double] = [0]
        for (start, end, steps) in [(0.0, 0.5, first), (0.5, 0.9, second), (0.9, 1.0, third)] {
            for step in 1...steps { betas.append(start + (end - start) * Double(step) / Double(steps)) }
        }
        betas[betas.count - 1] = 1
        return betas
    }

    /// The equal parts of [0, 1] the lag is measured and the steps are placed in.
    public static let regions = 40
    /// The share of the steps spread evenly over the regions.
    public static let defaultFloor = 0.1

    /// One direction of annealing as the schedule sees it: its inverse temperatures and the
    /// mean increment of each step (`Estimate.meanIncrements`, `ReverseEstimate.meanIncrements`).
    public struct Run: Sendable {
        public var betas: [Double]
        public var meanIncrements: [Double]
        public init(betas: [Double], meanIncrements: [Double]) {
            precondition(betas.count == meanIncrements.count + 1, "an increment per step")
            self.betas = betas
            self.meanIncrements = meanIncrements
        }

        /// Per region: the increments of the steps whose midpoint lies in it, summed, and their count.
        func regionSums() -> (sums: [Double], steps: [Int]) {
            var sums = [Double](repeating: 0, count: AnnealingSchedule.regions)
            var steps = [Int](repeating: 0, count: AnnealingSchedule.regions)
            for k in 1..<betas.count {
                let region = AnnealingSchedule.region(of: (betas[k - 1] + betas[k]) / 2)
                sums[region] += meanIncrements[k - 1]
                steps[region] += 1
            }
            return (sums, steps)
        }
    }

    static func region(of beta: Double) -> Int { min(regions - 1, max(0, Int(beta * Double(regions)))) }

    /// The lag each region showed: max(0, R_i − F_i) between a reverse run and an AIS run (on
    /// schedules of their own), in nats.
    public static func regionLags(forward: Run, reverse: Run) -> [Double] {
        let forwardSums = forward.regionSums().sums, reverseSums = reverse.regionSums().sums
        return (0..<regions).map { max(0, reverseSums[$0] - forwardSums[$0]) }
    }

    /// The fewest inverse temperatures a lag-adapted schedule is made of: 4 per region.
    public static let minimumAdaptedCount = 4 * regions

    /// `count` inverse temperatures placed by the lag between `forward` and `reverse`, as above,
    /// with G_i counted at the reverse run's steps; nil when no region lags or `count` is below
    /// `minimumAdaptedCount`.
    public static func lagAdapted(count: Int, forward: Run, reverse: Run, floor: Double = defaultFloor) -> [Double]? {
        precondition(floor > 0 && floor <= 1)
        guard count >= minimumAdaptedCount else { return nil }
        let lags = regionLags(forward: forward, reverse: reverse)
        let measuredSteps = reverse.regionSums().steps
        let roots = (0..<regions).map { (lags[$0] * Double(measuredSteps[$0])).squareRoot() }
        let total = roots.reduce(0, +)
        guard total > 0, total.isFinite else { return nil }
        // One step per region, the rest by the shares (largest remainders, so exactly `count`).
        let shares = roots.map { (1 - floor) * $0 / total + floor / Double(regions) }
        let spare = Double(count - regions)
        var steps = shares.map { 1 + Int(($0 * spare).rounded(.down)) }
        let byRemainder = (0..<regions).sorted {
            let (a, b) = (shares[$0] * spare, shares[$1] * spare)
            return a - a.rounded(.down) != b - b.rounded(.down) ? a - a.rounded(.down) > b - b.rounded(.down) : $0 < $1
        }
        for region in byRemainder.prefix(count - steps.reduce(0, +)) { steps[region] += 1 }
        var betas: [Double] = [0]
        for (region, regionSteps) in steps.enumerated() {
            let start = Double(region) / Double(regions), end = Double(region + 1) / Double(regions)
            for step in 1...regionSteps { betas.append(start + (end - start) * Double(step) / Double(regionSteps)) }
        }
        betas[betas.count - 1] = 1
        return betas
    }
}
