import RBMStore
import RBMSystem

extension ExperimentConfig {
    /// The config a checkpoint was trained with, its data section replaced when `data` names
    /// other data: what `rbm evaluate`, `rbm images` and `rbm features` read the data with.
    public static func stored(in checkpoint: Checkpoint, path: String, data: String?) throws(ConfigError) -> ExperimentConfig {
        var config = try ConfigLoader.parse(checkpoint.config, file: path + " (config)")
        if let data { config.data = try Data.named(data, replacing: config.data) }
        return config
    }
}

extension ExperimentConfig.Data {
    /// The data a command-line argument names: an IDX folder (this section with that path; for
    /// `rbm features`, `wholeTrainingFile` keeps its training file whole), a
    /// config file (its data section) or a data file (.h5, .npy, .npz, .csv: its own splits,
    /// nothing held out, with this section's binarization and scale).
    public static func named(_ argument: String, replacing data: Self, wholeTrainingFile: Bool = false) throws(ConfigError) -> Self {
        if isDirectory(argument) {
            var folder = data
            folder.path = argument
            folder.format = .idx
            if wholeTrainingFile {
                folder.validation = 0
                folder.trainSamples = 0
            }
            return folder
        }
        let lower = argument.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json") {
            return try ConfigLoader.load(path: argument).data
        }
        var file = Self()
        file.path = argument
        file.validation = 0
        file.binarization = data.binarization
        file.scale = data.scale
        file.imageShape = data.imageShape
        return file
    }
}
