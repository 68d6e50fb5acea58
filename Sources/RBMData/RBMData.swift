/// # RBMData: data sets
///
/// Owns reading data (IDX files, plain or gzip, in the MNIST folder layout), datasets and
/// their splits, binarization, the epoch shuffle and minibatches the trainer reads.
///
/// It must not know of HDF5, configs, run folders or training loops.
public enum RBMDataModule {}
