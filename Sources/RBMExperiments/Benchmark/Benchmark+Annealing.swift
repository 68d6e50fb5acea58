import RBM
import RBMSystem

/// `rbm bench --ais`: AIS and reverse AIS per kind of visible unit at one size, so that the
/// kinds' rates per multiply-add can be held against each other in one run.
extension Benchmark {
    /// One kind's times.
    public struct AnnealingRow: Sendable {
        public var units: VisibleUnits
        public var layer: AnnealedImportanceSampling.Layer
        public var forwardSeconds: Double
        public var reverseSeconds: Double
        /// With mode jumps (`evaluation.ais_jumps`; the guide's pilot counted in the AIS time).
        public var jumps = false
    }

    /// The kinds measured: every registered one, at 784 visible columns (categorical: 196
    /// variables of 4 states; binomial: 16 trials).
    static let annealingUnits: [VisibleUnits] = VisibleUnits.Kind.allCases.map { kind in
        VisibleUnits(kind: kind, parameter: kind.parameter?.configKey == "categories" ? 4 : 16)
    }

    /// Times `runs` AIS runs and `runs` reverse-AIS chains through `betaCount` inverse
    /// temperatures for each kind of visible unit on a random 784 → `hiddenCount` model (weights
    /// N(0, 0.05²)), with all `workers`; prints the table, multiply-adds counted dense (2 · 784 ·
    /// n_hidden per run and β).
    public static func measureAnnealing(hiddenCount: Int, betaCount: Int, runs: Int, workers: Int,
                                        log: (String) -> Void = { print($0) }) {
        log(machineDescription())
        let visibleCount = 784
        log("AIS and reverse AIS: \(visibleCount) → \(hiddenCount), \(runs) runs × \(groupedThousands(Double(betaCount))) β, "
            + "\(workers) worker(s)")
        let stream = RandomStream(seed: 7, purpose: .evaluation, step: 77)
        let weights = (0..<(visibleCount * hiddenCount)).map { Float(0.05 * stream.normal(row: 0, index: UInt32($0))) }
        var rows: [AnnealingRow] = []
        for units in annealingUnits {
            let marginals = [Float](repeating: units.hasDensity ? 0 : (units.oneHotStates.map { 1 / Float($0) } ?? 0.13),
                                    count: visibleCount)
            let base = AnnealedImportanceSampling.baseBias(units: units, marginals: marginals)
            var model = RBMModel(visibleCount: visibleCount, hiddenCount: hiddenCount, weights: weights,
                                 visibleBias: base, hiddenBias: [Float](repeating: -1, count: hiddenCount))
            model.visibleUnits = units
            // The reverse chains start from the base model's own draws: data of the right kind.
            let data = AnnealedImportanceSampling.baseSamples(units: units, baseVisibleBias: base, rows: runs, seed: 3)
            // Each layer plain, and the default layer with jumps where `ais_jumps: auto` turns them on.
            let preferred = AnnealedImportanceSampling.Layer.preferred(for: units)
            let passes = AnnealedImportanceSampling.Layer.allCases.map { ($0, false) }
                + (ModeJumps.auto.resolved(for: units) ? [(preferred, true)] : [])
            for (layer, jumps) in passes {
                var annealing = AnnealedImportanceSampling(runs: runs, betaCount: betaCount, seed: 1, workers: workers)
                annealing.layer = layer
                let forwardStart = monotonicSeconds()
                if jumps {
                    annealing.guide = AnnealingGuide.pilot(model: model, baseVisibleBias: base, visible: data, rows: runs,
                                                           seed: 1, workers: workers)
                }
                _ = annealing.estimate(model: model, baseVisibleBias: base)
                let forwardSeconds = monotonicSeconds() - forwardStart
                let reverseStart = monotonicSeconds()
                _ = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: runs)
                let row = AnnealingRow(units: units, layer: layer, forwardSeconds: forwardSeconds,
                                       reverseSeconds: monotonicSeconds() - reverseStart, jumps: jumps)
                log("\(units), \(layer) layer\(jumps ? ", mode jumps" : ""): AIS \(format(row.forwardSeconds, 2)) s, reverse AIS \(format(row.reverseSeconds, 2)) s")
                rows.append(row)
            }
        }
        let multiplyAdds = 2.0 * Double(visibleCount * hiddenCount) * Double(runs) * Double(betaCount)
        let bernoulli = rows.first { $0.units == .bernoulli && $0.layer == .visible }
        log("")
        log("| visible units | layer annealed | AIS s | reverse AIS s | GMAC/s (AIS, dense count) | AIS time × Bernoulli's | reverse × Bernoulli's |")
        log("|---|---|---:|---:|---:|---:|---:|")
        for row in rows {
            let ratio = bernoulli.map { format(row.forwardSeconds / $0.forwardSeconds, 2) + "×" } ?? "–"
            let reverseRatio = bernoulli.map { format(row.reverseSeconds / $0.reverseSeconds, 2) + "×" } ?? "–"
            let isDefault = AnnealedImportanceSampling.Layer.preferred(for: row.units) == row.layer
                && row.jumps == ModeJumps.auto.resolved(for: row.units)
            let label = row.layer.rawValue + (row.jumps ? ", mode jumps" : "") + (isDefault ? " (default)" : "")
            log("| \(row.units) | \(label) | \(format(row.forwardSeconds, 2)) | \(format(row.reverseSeconds, 2)) | "
                + "\(format(multiplyAdds / row.forwardSeconds / 1e9, 1)) | \(ratio) | \(reverseRatio) |")
        }
    }
}
