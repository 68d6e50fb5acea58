import RBM
import RBMCluster
import RBMData
import RBMStore
import RBMSystem

extension ModelEvaluation {
    /// `rbm evaluate CHECKPOINT`: evaluates a checkpoint on one split of its data (or of
    /// `data`, a config or IDX folder), the first `samples` rows when given, printing the report.
    /// Under `mpirun`, rank 0 reads the checkpoint and sends it to the others (the data must be
    /// readable on every host); log Z's work is split between the ranks and rank 0 prints.
    @discardableResult
    public static func evaluate(checkpoint givenPath: String, split: String, data: String?, samples: Int?,
                                options: EvaluationOptions, log givenLog: @escaping (String) -> Void = { print($0) }) throws -> EvaluationReport {
        let ranks = Cluster.world()
        let log: (String) -> Void = { line in if ranks.isRoot { givenLog(line) } }
        let path = try ranks.localCopy(of: givenPath)
        guard let chosenSplit = ExperimentConfig.EvaluationSplit(rawValue: split) else {
            throw UsageError("--split must be train, validation or test")
        }
        let saved = try Checkpoint.readChecked(path: path)
        let config = try ExperimentConfig.stored(in: saved, path: givenPath, data: data)
        let splits = try DataLoader.load(config.data, for: saved)
        guard let chosen = splits[chosenSplit] else { throw UsageError("\(config.data.path) has no \(split) split") }
        let dataset = try chosen.firstRows(samples ?? chosen.count)
        guard dataset.featureCount == saved.model.visibleCount else {
            throw FeatureError.visibleMismatch(source: dataset.source, dataFeatures: dataset.featureCount,
                                               modelVisible: saved.model.visibleCount)
        }
        let binarization = config.data.binarization
        var options = options
        options.seed = options.estimateSeed ?? config.training.seed
        log("\(givenPath): \(saved.model.visibleCount) visible × \(saved.model.hiddenCount) hidden after \(saved.epoch) epoch(s); "
            + "data \(config.data.path), \(binarization.rawValue) binarization")
        let moments = try DataScan.moments(of: splits.train, binarization: binarization,
                                           unitInterval: saved.model.visibleUnits.takesUnitInterval)
        var report = try evaluate(
            model: saved.model, split: split, visible: binarization.evaluationValues(of: dataset, seed: config.training.seed),
            rows: dataset.count, baseMarginals: moments.means,
            baseVariances: moments.variances,
            options: options, ranks: ranks, progress: log)
        report.standardized = saved.standardization != nil
        for line in report.lines { log(line) }
        return report
    }
}
