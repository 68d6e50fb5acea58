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
            """)

    @Argument(help: "The sweep file, e.g. experiments/sweep-fashion-lr-hidden.yaml.")
    var file: String

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override a base config key for every run (repeatable).", valueName: "key.path=value"))
    var overrides: [String] = []

    @Flag(help: "Only validate the sweep file and list its runs.")
    var dryRun = false

    func run() throws {
        try SweepRunner.sweep(path: file, overrides: overrides, dryRun: dryRun)
    }
}
