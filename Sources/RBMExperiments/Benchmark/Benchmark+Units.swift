import RBM
import RBMData
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// `rbm bench --units`: one update's cost per kind of visible unit and per sampler, on the
/// same 784 columns, in one run — the figures behind "every unit type at the binary path's
/// speed" and "parallel tempering without waste".
extension Benchmark {
    /// One measured row of `measureUnits`.
    public struct UnitsRow: Sendable {
        public var units: VisibleUnits
        /// "CD-1", "PCD-1", "PT-1 × 5".
        public var label: String
        public var temperatures: Int
        public var samplesPerSecond: Double
        /// Gaussian units with learned variances (`model.learn_variance`): the label says so,
        /// and the row is compared with Bernoulli's and its own kind's fixed-variance PCD-1.
        public var learnsVariance = false

        public init(units: VisibleUnits, label: String, temperatures: Int, samplesPerSecond: Double,
                    learnsVariance: Bool = false) {
            self.units = units
            self.label = label
            self.temperatures = temperatures
            self.samplesPerSecond = samplesPerSecond
            self.learnsVariance = learnsVariance
        }

        /// The sampler's label without the learned-variance note.
        var samplerLabel: String { learnsVariance ? String(label.dropLast(Self.learnedNote.count)) : label }
        static let learnedNote = ", learned σ"
    }

    /// The kinds compared: Bernoulli, Gaussian and categorical with 4 states, each on 784
    /// visible columns (categorical: 196 variables × 4 one-hot columns).
    static let comparedUnits: [VisibleUnits] = [
        .bernoulli, .gaussian, VisibleUnits(kind: .categorical, parameter: 4),
    ]

    /// The data each kind trains on: the images as they are (Bernoulli units binarize them
    /// stochastically, Gaussian units read the intensities), and for categorical units each
    /// group of 4 pixels' mean intensity quantised to one of 4 states, one-hot.
    static func unitsData(_ images: Dataset, units: VisibleUnits) -> (Dataset, Binarization) {
        guard let states = units.oneHotStates else {
            return (images, units.isBinary ? .stochastic : .none)
        }
        let columns = images.featureCount / states * states
        var values = [Float](repeating: 0, count: images.count * columns)
        for row in 0..<images.count {
            for group in 0..<(columns / states) {
                var mean: Float = 0
                for k in 0..<states { mean += images.values[row * images.featureCount + group * states + k] }
                let state = min(states - 1, Int(mean / Float(states) * Float(states)))
                values[row * columns + group * states + state] = 1
            }
        }
        return (Dataset(values: values, count: images.count, featureCount: columns, source: images.source + " (one-hot)"),
                .none)
    }

    /// β₁ = 1 > … > β_M = 0.1, geometric (`training.temperature_spacing: geometric`).
    static func benchTemperatures(_ count: Int) -> [Float] {
        (0..<count).map { t -> Float in t == 0 ? 1 : Float(pow(0.1, Double(t) / Double(count - 1))) }
    }

    /// Samples per second of updates under `configuration` for `units` on `data`, and the
    /// persistent chains' mean visible value per temperature afterwards.
    func unitsSpeed(units: VisibleUnits, data: Dataset, binarization: Binarization,
                    configuration: TrainerConfiguration) -> (samplesPerSecond: Double, chainMeans: [Double]) {
        let model = RBMModel.initialized(visibleCount: data.featureCount, hiddenCount: hiddenCount, seed: 1,
                                         visibleMarginals: data.featureMeans, visibleUnits: units)
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        // Fewer updates for the tempered rows, which cost about M times more each.
        let speed = timedUpdates(trainer, data: data, binarization: binarization, learningRate: 0.001, warmUp: 10,
                                 timed: max(20, updates / configuration.chainsPerRow))
        // The chains' mean visible value by temperature (Bernoulli: the fraction of units on,
        // which sets what the products with them cost).
        let chains = trainer.state.chainVisible ?? []
        let perChain = data.featureCount, perRow = configuration.chainsPerRow
        let means = (0..<perRow).map { t -> Double in
            var sum = 0.0, count = 0
            for chain in stride(from: t, to: chains.count / perChain, by: perRow) {
                for value in chains[(chain * perChain)..<((chain + 1) * perChain)] { sum += Double(value) }
                count += perChain
            }
            return count > 0 ? sum / Double(count) : .nan
        }
        return (speed, means)
    }

    /// Measures CD-1, PCD-1 and PT-1 with each of `temperatureCounts` for every compared kind
    /// (best of `repetitions`), then prints the table: each row's time per update against
    /// Bernoulli's with the same sampler, and each PT row's against its own kind's PCD-1 beside
    /// the cost its work accounts for, (2M + 2)/4 of a PCD-1 update.
    func measureUnits(workers: Int, temperatureCounts: [Int], log: (String) -> Void) {
        log("\(shards) shard(s), \(workers) worker(s), batch \(batchSize), 784 columns → \(hiddenCount), best of \(repetitions)")
        var rows: [UnitsRow] = []
        for units in Self.comparedUnits {
            let (kindData, binarization) = Self.unitsData(data, units: units)
            // Units that can learn their variances also run PCD-1 with them (what it costs over fixed ones).
            // PT as by default (hot end uniform) and tempered toward the data's base rates
            // (`training.tempering_base: data`), whose hot chains are as sparse as the data.
            let runs: [(SamplerKind, Int, learned: Bool, towardBase: Bool)] =
                [(.contrastiveDivergence, 1, false, false), (.persistentContrastiveDivergence, 1, false, false)]
                + (units.learnsVariance ? [(.persistentContrastiveDivergence, 1, true, false)] : [])
                + temperatureCounts.flatMap { [(.parallelTempering, $0, false, false), (.parallelTempering, $0, false, true)] }
            for (sampler, temperatures, learned, towardBase) in runs {
                var configuration = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: workers, sampler: sampler,
                                                         gibbsSteps: 1, weightDecay: 1e-4, seed: 1)
                if sampler == .parallelTempering { configuration.inverseTemperatures = Self.benchTemperatures(temperatures) }
                if towardBase { configuration.temperingBase = AnnealedImportanceSampling.baseBias(units: units, marginals: kindData.featureMeans) }
                configuration.learnsVariance = learned
                if let refused = configuration.problems(visibleCount: kindData.featureCount, hiddenCount: hiddenCount,
                                                        visibleUnits: units).first {
                    log("\(units.name) \(sampler.label(steps: 1)): not measured (\(refused.reason))")
                    continue
                }
                let measured = (0..<repetitions).map { _ in
                    unitsSpeed(units: units, data: kindData, binarization: binarization, configuration: configuration)
                }
                let speed = measured.map(\.samplesPerSecond).max()!
                let label = sampler.label(steps: 1) + (sampler == .parallelTempering ? " × \(temperatures)" : "")
                    + (learned ? UnitsRow.learnedNote : "") + (towardBase ? ", data base" : "")
                rows.append(UnitsRow(units: units, label: label, temperatures: temperatures, samplesPerSecond: speed,
                                     learnsVariance: learned))
                let means = measured[0].chainMeans
                var chainNote = ""
                if units.isBinary, let cold = means.first, !cold.isNaN {
                    chainNote = " (chains' units on: \(format(cold, 3))"
                        + (means.count > 1 ? " at β = 1 … \(format(means[means.count - 1], 3)) at the hottest)" : ")")
                }
                log("\(units.description) \(label): \(format(speed, 0)) samples/s\(chainNote)")
            }
        }
        log("")
        log(Self.unitsTable(rows))
    }

    /// The table of `measureUnits`: time per update relative to Bernoulli's row of the same
    /// sampler, and for PT and learned-variance rows relative to the kind's PCD-1 (PT beside the
    /// bound (2M + 2)/4).
    static func unitsTable(_ rows: [UnitsRow]) -> String {
        var lines = ["| units | sampler | samples/s | time ÷ Bernoulli's | time ÷ own PCD-1 | work ÷ PCD-1 work, (2M + 2)/4 |",
                     "|---|---|---:|---:|---:|---:|"]
        for row in rows {
            let bernoulli = rows.first { $0.units == .bernoulli && $0.label == row.samplerLabel }
            let pcd = rows.first { $0.units == row.units && $0.label == "PCD-1" }
            let versusBernoulli = bernoulli.map { format($0.samplesPerSecond / row.samplesPerSecond, 2) } ?? "—"
            let tempered = row.temperatures > 1
            let versusPCD = tempered || row.learnsVariance ? pcd.map { format($0.samplesPerSecond / row.samplesPerSecond, 2) } ?? "—" : ""
            let work = tempered ? format(Double(2 * row.temperatures + 2) / 4, 2) : ""
            lines.append("| \(row.units.description) | \(row.label) | \(format(row.samplesPerSecond, 0)) | \(versusBernoulli) | \(versusPCD) | \(work) |")
        }
        return lines.joined(separator: "\n")
    }
}
