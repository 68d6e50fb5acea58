/// # RBMStore: HDF5 files
///
/// Owns the files users and other tools read (**contract**, format_version 1): checkpoints,
/// hidden-feature files and the metric names of a checkpoint's /history (`Metric`); the typed
/// layer over libhdf5; `rbm inspect`'s description; and reading files from outside in a child
/// process (`IsolatedRead`), because libhdf5 can crash or hang on damaged input.
///
/// It must not know of configs or training loops: it stores what it is given.
public enum RBMStoreModule {}
