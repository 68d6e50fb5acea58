import ArgumentParser
import RBM
import RBMCluster
import RBMStore
import RBMSystem
#if canImport(Glibc)
@preconcurrency import Glibc  // for `stdout`, read once before any thread starts
#endif

/// # rbm: the command-line tool
///
/// Only parses: each subcommand in `Commands/` turns its arguments into one call of
/// `RBMExperiments` (or `RBMStore` for `inspect`). Errors leave in one place, `main()`: the
/// project's errors carry their exit status (`ExitStatusError`), are printed once as
/// `error: …` with their hint, and end the process with that status.
@main
struct RBMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbm",
        abstract: "Train Restricted Boltzmann Machines on the CPU, fast and reproducibly.",
        discussion: """
            Training is data-parallel: each minibatch is cut into shards that run on all cores, \
            and the same seed gives bit-identical weights for any number of workers.

            Start with `rbm train experiments/default.yaml`.
            """,
        subcommands: [Train.self, Resume.self, Sweep.self, Evaluate.self, Features.self, Images.self, Inspect.self,
                      Bench.self, Reproduce.self, HDF5Child.self])

    static func main() {
        // HDF5 files from outside are read by a child copy of this executable (IsolatedRead).
        IsolatedRead.childrenRunThisExecutable()
        // Every line reaches a file or a pipe as it is printed, as it would a terminal: a log
        // of a run killed with -9 keeps its epochs. (The progress line is terminal-only.)
        setvbuf(stdout, nil, _IOLBF, 0)
        // BLIS (for thin products) is loaded while the process has one thread: loading sets an
        // environment variable, which is not safe while other threads read the environment.
        BLAS.useSingleThread()
        do {
            var command = try parseAsRoot()
            try command.run()
            Cluster.finalize()
        } catch let error as any ExitStatusError {
            // A stop by signal is agreed by every rank: rank 0 says so for all of them.
            let agreedStop = error.exitStatus > 128 && (Cluster.mpiWorld.map { $0.rank != 0 } ?? false)
            if !agreedStop { writeToStandardError("error: \(error)\n" + (error.hint.map { $0 + "\n" } ?? "")) }
            exitAfterError(status: error.exitStatus)
        } catch {
            // The argument parser's own: usage errors, --help, --version, ExitCode.
            exit(withError: error)
        }
    }

    /// Under mpirun with several ranks, one rank's error ends the whole job (the others would
    /// wait for it in the next collective); mpirun names the rank and host. A stop by signal
    /// (status 128 + n) is agreed by every rank after the same update, so they end together.
    static func exitAfterError(status: Int32) -> Never {
        if let world = Cluster.mpiWorld, world.size > 1, status <= 128 {
            writeToStandardError("(\(world.description): ending the job)\n")
            Cluster.abort(status: status)
        }
        Cluster.finalize()
        Glibc.exit(status)
    }
}
