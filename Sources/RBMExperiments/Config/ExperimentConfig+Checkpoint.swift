import RBMStore
import RBMSystem

extension ExperimentConfig {
    /// The config a checkpoint was trained with, its data section replaced when `data` names
    /// an IDX folder (the path only) or a config file (its whole data section): what `rbm
    /// evaluate`, `rbm images` and `rbm features` read the data with.
    public static func stored(in checkpoint: Checkpoint, path: String, data: String?) throws(ConfigError) -> ExperimentConfig {
        var config = try ConfigLoader.parse(checkpoint.config, file: path + " (config)")
        if let data {
            if isDirectory(data) { config.data.path = data } else { config.data = try ConfigLoader.load(path: data).data }
        }
        return config
    }
}
