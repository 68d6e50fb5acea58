import RBM
import RBMData
import RBMStore
import RBMSystem

/// The pictures, curves and HTML report of a run folder.
public enum RunReport {
    public static let filtersFile = "filters.png"
    public static let reconstructionsFile = "reconstructions.png"
    public static let samplesFile = "samples.png"
    public static let curvesFile = "curves.svg"
    public static let reportFile = "report.html"

    /// What the pictures are made from.
    public struct Inputs {
        public var model: RBMModel
        /// Images for the reconstructions (binarized as in evaluation), or nil.
        public var images: [Float]?
        public var imageCount: Int
        /// Starting states for the samples (the PCD chains, or data), rows × n_visible.
        public var chainStart: [Float]
        public var chainCount: Int
        public var shape: (rows: Int, columns: Int)?
        public var seed: UInt64
        public var workers: Int
        public var gibbsSteps = 1000
        /// Gaussian units: the data's standardisation, to draw values as intensities again.
        public var standardization: Standardization?

        public init(model: RBMModel, images: [Float]?, imageCount: Int, chainStart: [Float], chainCount: Int,
                    shape: (rows: Int, columns: Int)?, seed: UInt64, workers: Int) {
            self.model = model
            self.images = images
            self.imageCount = imageCount
            self.chainStart = chainStart
            self.chainCount = chainCount
            self.shape = shape
            self.seed = seed
            self.workers = workers
        }
    }

    /// Writes filters.png, reconstructions.png (when there are images) and samples.png to
    /// `folder`; returns the names written.
    @discardableResult
    public static func writePictures(_ inputs: Inputs, to folder: String) throws(PNGError) -> [String] {
        let model = inputs.model
        let shape = Pictures.tileShape(featureCount: Pictures.variables(model), imageShape: inputs.shape)
        var written: [String] = []
        try PNG.write(Pictures.filters(model: model, shape: shape), to: folder + "/" + filtersFile)
        written.append(filtersFile)
        if let images = inputs.images, inputs.imageCount > 0 {
            try PNG.write(Pictures.reconstructions(model: model, images: images, count: inputs.imageCount, shape: shape,
                                                   standardization: inputs.standardization),
                          to: folder + "/" + reconstructionsFile)
            written.append(reconstructionsFile)
        }
        if inputs.chainCount > 0 {
            try PNG.write(Pictures.samples(model: model, start: inputs.chainStart, count: inputs.chainCount,
                                           steps: inputs.gibbsSteps, seed: inputs.seed, shape: shape, workers: inputs.workers,
                                           standardization: inputs.standardization),
                          to: folder + "/" + samplesFile)
            written.append(samplesFile)
        }
        return written
    }

    /// The run's page: config, final metrics, curves and pictures, all local files.
    public static func html(title: String, configYAML: String, history: [EpochMetrics], pictures: [String],
                            hasCurves: Bool) -> String {
        var rows: [String] = []
        if let last = history.last {
            func row(_ name: String, _ value: Double?, _ decimals: Int = 3) {
                guard let value, value.isFinite else { return }
                rows.append("<tr><th>\(escape(name))</th><td>\(format(value, decimals))</td></tr>")
            }
            row("epochs", Double(last.epoch), 0)
            row("reconstruction error (train)", last.reconstructionError)
            row("reconstruction error (validation)", last.validationReconstructionError)
            row("mean free energy (train)", last.freeEnergyTrain)
            row("mean free energy (validation)", last.freeEnergyValidation)
            row("free energy gap", last.freeEnergyGap)
            if let evaluated = history.last(where: { $0.logLikelihood != nil || $0.pseudoLikelihood != nil }) {
                row("log-likelihood (epoch \(evaluated.epoch))", evaluated.logLikelihood, 2)
                row("log Z (epoch \(evaluated.epoch))", evaluated.logPartitionFunction, 2)
                row("pseudo-log-likelihood (epoch \(evaluated.epoch))", evaluated.pseudoLikelihood, 2)
            }
            row("samples/s (last epoch)", last.samplesPerSecond, 0)
        }
        let captions = [
            filtersFile: "Filters: each hidden unit's weights, contrast-normalised per tile.",
            reconstructionsFile: "Images (upper rows) above their one-step reconstructions.",
            samplesFile: "Samples: P(v|h) of the model's chains after many Gibbs steps.",
        ]
        let figures = pictures.map { name in
            "<figure><img src=\"\(escape(name))\" alt=\"\(escape(name))\"><figcaption>\(escape(captions[name] ?? name))</figcaption></figure>"
        }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
            table { border-collapse: collapse; } th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
            td { font-variant-numeric: tabular-nums; } figure { display: inline-block; margin: 0 1.5em 1.5em 0; vertical-align: top; }
            img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; } pre { background: #f6f6f6; padding: 1em; }
            </style></head><body>
            <h1>\(escape(title))</h1>
            <h2>Final metrics</h2>
            <table>\(rows.joined())</table>
            \(hasCurves ? "<h2>Learning curves</h2>\n<img src=\"\(curvesFile)\" alt=\"learning curves\">" : "")
            <h2>Pictures</h2>
            \(figures)
            <h2>Config</h2>
            <pre>\(escape(configYAML))</pre>
            </body></html>

            """
    }

    /// Writes curves.svg and report.html for a run folder.
    public static func writeReport(folder: String, title: String, configYAML: String, history: [EpochMetrics],
                                   pictures: [String]) throws(FileError) {
        let panels = LearningCurves.panels(history)
        if !panels.isEmpty {
            try writeTextAtomically(LearningCurves.svg(panels), to: folder + "/" + curvesFile)
        }
        try writeTextAtomically(html(title: title, configYAML: configYAML, history: history, pictures: pictures,
                                     hasCurves: !panels.isEmpty), to: folder + "/" + reportFile)
    }
}
