import RBM
import RBMData
import RBMStore
import RBMSystem

extension RunReport {
    /// `rbm images CHECKPOINT`: draws the pictures, curves and report of any checkpoint into
    /// `out` (default: the checkpoint's folder). Reconstructions need the data (the stored
    /// config's, or `data`); samples start from the PCD chains when there are any, else from
    /// data, else from the visible biases' own draws. Returns the files written.
    @discardableResult
    public static func draw(checkpoint path: String, data: String?, out: String?, gibbsSteps: Int, workers: Int?,
                            log: (String) -> Void = { print($0) }) throws -> [String] {
        let saved = try Checkpoint.readChecked(path: path)
        let config = try ExperimentConfig.stored(in: saved, path: path, data: data)
        let model = saved.model
        let seed = config.training.seed
        var shape = saved.imageShape.map { (rows: $0[0], columns: $0[1]) }
        var images: [Float]?
        var imageCount = 0
        var dataStart: [Float]?
        do {
            let splits = try DataLoader.load(config.data, for: saved)
            guard splits.train.featureCount == model.visibleCount else {
                throw FeatureError.visibleMismatch(source: splits.train.source, dataFeatures: splits.train.featureCount,
                                                   modelVisible: model.visibleCount)
            }
            let shown = try (splits.test ?? splits.validation ?? splits.train).firstRows(20)
            images = config.data.binarization.evaluationValues(of: shown, seed: seed)
            imageCount = shown.count
            dataStart = config.data.binarization.evaluationValues(of: try splits.train.firstRows(100), seed: seed)
            shape = splits.train.imageShape ?? shape
        } catch let error as FeatureError {
            throw error
        } catch {
            log("note: no data (\(error)); drawing filters and samples only")
        }
        let start: (values: [Float], count: Int)
        if let chains = saved.state.chainVisible {
            let count = min(100, chains.count / model.visibleCount)
            // The chains hold u = v/σ with learned variances.
            start = (model.dataCoordinates(Array(chains.prefix(count * model.visibleCount)), rows: count), count)
        } else if let dataStart {
            start = (dataStart, dataStart.count / model.visibleCount)
        } else {
            start = (biasSamples(model: model, count: 100, seed: seed), 100)
        }
        let folder = out ?? RunFolder(holding: path).path
        try makeWritableFolder(folder)
        let workers = DataParallel.workers(workers)
        var inputs = Inputs(model: model, images: images, imageCount: imageCount, chainStart: start.values,
                            chainCount: start.count, shape: shape, seed: seed, workers: workers)
        inputs.gibbsSteps = gibbsSteps
        inputs.standardization = saved.standardization
        let pictures = try writePictures(inputs, to: folder)
        try writeReport(folder: folder, title: "RBM \(path)", configYAML: saved.config,
                        history: EpochMetrics.metrics(from: saved.history), pictures: pictures)
        let written = pictures + [curvesFile, reportFile]
        log("wrote \(folder)/: " + written.joined(separator: ", "))
        return written
    }

    /// `count` visible vectors drawn from σ(b) alone (the model's visible biases), for chains
    /// that have neither persistent states nor data to start from.
    static func biasSamples(model: RBMModel, count: Int, seed: UInt64) -> [Float] {
        var draws = model.visibleProbabilities(hidden: [Float](repeating: 0, count: count * model.hiddenCount), rows: count)
        let stream = RandomStream(seed: seed, purpose: .sampling, step: .max)
        draws.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<count {
                let rowStart = buffer.baseAddress! + row * model.visibleCount
                stream.bernoulli(row: UInt32(row), probabilities: rowStart, count: model.visibleCount, into: rowStart)
            }
        }
        return draws
    }
}
