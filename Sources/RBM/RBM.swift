/// # RBM: the model and its math
///
/// Owns the Bernoulli–Bernoulli RBM (energy, conditionals, free energy), counter-based random
/// numbers (Philox), Gibbs sampling, the data-parallel CD-k / PCD-k trainer (`DataParallelTrainer`
/// with its state, buffers and update kernels), the monitors, and evaluation: exact log Z,
/// pseudo-likelihood and AIS. Every result is the same for any number of workers.
///
/// It must not know of files, formats, configs or training loops: no file I/O, no HDF5; data
/// arrive as `MinibatchSource`s and arrays.
public enum RBMModule {}
