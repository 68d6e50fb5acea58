/// # RBMExperiments: experiments, from config to run folder
///
/// Owns what a user runs: configs and their validation (`Config/`), the training loop and run
/// folders (`Training/`), evaluation, features and `reproduce` (`Evaluation/`), pictures and
/// reports (`Reports/`), sweeps (`Sweeps/`). Each command of the `rbm` tool is one function
/// here (`TrainingRun.train`, `SweepRunner.sweep`, `ModelEvaluation.evaluate(checkpoint:…)`,
/// `FeatureExtraction.extract`, `RunReport.draw`, `Reproduction.reproduce`, `Benchmark.measure`).
/// Under `mpirun` the same functions take the job's ranks from `RBMCluster.Cluster.world()`:
/// rank 0 reads and writes the run folder and broadcasts what it read.
///
/// It must not parse command lines (that is `rbm`'s) nor touch libhdf5 or the operating
/// system directly (that is `RBMStore`'s and `RBMSystem`'s).
public enum RBMExperimentsModule {}
