/// # RBM: the model and its math
///
/// Owns the RBM (energy, conditionals, free energy; Bernoulli, Gaussian and categorical visible
/// units), counter-based random numbers (Philox), Gibbs sampling, the data-parallel trainer
/// (`DataParallelTrainer`: CD-k, PCD-k, fast PCD, parallel tempering, centering; shards of rows
/// and blocks of hidden units; its state, buffers and update kernels), the worker threads that
/// run parallel sections (`DataParallel`, `WorkerTeam`), the monitors, and evaluation: exact log Z, pseudo-likelihood
/// and AIS. Every result is the same for any number of workers — and of ranks: `RankGroup` is
/// the trainer's view of the processes a job runs on (MPI lives in RBMCluster, not here).
/// Products go through `BLAS.gemm` (OpenBLAS; BLIS for thin ones, `SmallProducts`; sums of rows
/// for sampled binary operands, `BinaryProducts`); the C kernels it calls (CRBMKernels) give the
/// same bits as their portable twins.
///
/// It must not know of files, formats, configs, MPI or training loops: no file I/O, no HDF5;
/// data arrive as `MinibatchSource`s and arrays.
public enum RBMModule {}
