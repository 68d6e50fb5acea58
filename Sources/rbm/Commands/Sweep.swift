import ArgumentParser
import RBMExperiments

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a grid (or random samples) of configs and rank them by a metric.",
        discussion: """
            A sweep file names a base config, a grid over config key paths (or random samples from \
            uniform, log-uniform or choice distributions), the metric to rank by and optional \
            per-run budgets (see experiments/sweep-*.yaml). Runs go one after another, each using \
            all cores, into <output.folder>/<sweep>/<run-id>/; results.csv and report.html are \
            rewritten after every run. A failing run is recorded and the sweep goes on. Running \
            the same sweep again skips finished runs and continues interrupted ones.

            Under mpirun (`mpirun -np 8 rbm sweep FILE`) the runs are handed out to the \
            processes as they free up, each run on one process with its cores; rank 0 writes \
            results.csv. Without MPI, `--part K/N` trains a fixed share of the runs (runs K, \
            K+N, K+2N, …: one job-array task each) and `--collect` then merges every run's \
            folder into results.csv and report.html.
            """)

    @Argument(help: "The sweep file, e.g. experiments/sweep-fashion-lr-hidden.yaml.")
    var file: String

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override a base config key for every run (repeatable).", valueName: "key.path=value"))
    var overrides: [String] = []

    @Flag(help: "Only validate the sweep file and list its runs (this part's with --part).")
    var dryRun = false

    @Option(help: ArgumentHelp("Train only share K of N of the runs (1 ≤ K ≤ N), e.g. one SLURM array task each.",
                               valueName: "K/N"))
    var part: String?

    @Flag(help: "Merge the run folders the parts wrote into results.csv and report.html.")
    var collect = false

    func validate() throws {
        if let part, SweepPart(part) == nil {
            throw ValidationError("--part takes K/N with 1 ≤ K ≤ N (e.g. 3/16), not '\(part)'")
        }
        if part != nil && collect { throw ValidationError("--part trains a share of the runs and --collect merges them: give one") }
    }

    func run() throws {
        try SweepRunner.sweep(path: file, overrides: overrides, dryRun: dryRun, part: part.flatMap(SweepPart.init),
                              collect: collect)
    }
}
