import RBMSystem

extension SweepRunner {
    /// `rbm sweep FILE`: validates the whole sweep file, then (unless `dryRun`, which lists
    /// the runs) trains every run with Ctrl-C handling and prints the ranked table.
    public static func sweep(path: String, overrides: [String], dryRun: Bool) throws {
        let loaded = try SweepLoader.load(path: path, overrides: overrides)
        if dryRun {
            for point in loaded.spec.points {
                print(point.id + "  " + point.values.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
            return
        }
        Interruption.install()
        let runner = SweepRunner(spec: loaded.spec, outputRoot: loaded.outputRoot)
        let outcomes: [SweepOutcome]
        do { outcomes = try runner.run() } catch let error as TrainingError { throw SweepStopped(cause: error) }
        print()
        print(runner.table(outcomes))
        print("\nresults: \(runner.folder)/results.csv, report: \(runner.folder)/report.html")
        let failed = outcomes.filter { $0.status == .failed }.count
        if failed > 0 { print("note: \(failed) run(s) failed; see the error column") }
    }
}

/// A sweep that stopped in the middle of a run (Ctrl-C, SIGTERM): running it again continues.
public struct SweepStopped: ExitStatusError {
    public var cause: TrainingError
    public var description: String { cause.description }
    public var exitStatus: Int32 { cause.exitStatus }
    public var hint: String? { "run the same command again to continue the sweep" }
}
