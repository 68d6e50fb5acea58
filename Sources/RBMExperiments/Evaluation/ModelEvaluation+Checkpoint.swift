import RBMData
import RBMStore
import RBMSystem

extension ModelEvaluation {
    /// `rbm evaluate CHECKPOINT`: evaluates a checkpoint on one split of its data (or of
    /// `data`, a config or IDX folder), the first `samples` rows when given, printing the report.
    public static func evaluate(checkpoint path: String, split: String, data: String?, samples: Int?,
                                options: EvaluationOptions, log: (String) -> Void = { print($0) }) throws {
        guard let chosenSplit = ExperimentConfig.EvaluationSplit(rawValue: split) else {
            throw UsageError("--split must be train, validation or test")
        }
        let saved = try Checkpoint.readUsable(path: path)
        let config = try ExperimentConfig.stored(in: saved, path: path, data: data)
        let splits = try DataLoader.load(config.data, for: saved)
        guard let chosen = splits[chosenSplit] else { throw UsageError("\(config.data.path) has no \(split) split") }
        let dataset = try chosen.firstRows(samples ?? chosen.count)
        guard dataset.featureCount == saved.model.visibleCount else {
            throw FeatureError.visibleMismatch(source: dataset.source, dataFeatures: dataset.featureCount,
                                               modelVisible: saved.model.visibleCount)
        }
        let binarization = config.data.binarization
        var options = options
        options.seed = config.training.seed
        log("\(path): \(saved.model.visibleCount) visible × \(saved.model.hiddenCount) hidden after \(saved.epoch) epoch(s); "
            + "data \(config.data.path), \(binarization.rawValue) binarization")
        let report = try evaluate(
            model: saved.model, split: split, visible: binarization.evaluationValues(of: dataset, seed: options.seed),
            rows: dataset.count, baseMarginals: try DataScan.marginals(of: splits.train, binarization: binarization,
                                                 unitInterval: saved.model.visibleUnits != .gaussian),
            options: options)
        for line in report.lines { log(line) }
    }
}
