import RBM
import RBMCluster
import RBMSystem

extension SweepRunner {
    /// `rbm sweep FILE`: validates the whole sweep file, then (unless `dryRun`, which lists
    /// the runs) trains every run with Ctrl-C handling and prints the ranked table.
    ///
    /// Under `mpirun` the runs are handed out to the ranks as they free up (rank 0 writes
    /// results.csv); `part` runs a fixed share of the runs instead and `collect` merges the
    /// parts' run folders into results.csv.
    public static func sweep(path: String, overrides: [String], dryRun: Bool, part: SweepPart? = nil,
                             collect: Bool = false) throws {
        let loaded = try SweepLoader.load(path: path, overrides: overrides)
        if dryRun {
            for (index, point) in loaded.spec.points.enumerated() where part.map({ $0.runs(of: loaded.spec.points.count).contains(index) }) ?? true {
                print(point.id + "  " + point.values.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
            return
        }
        Interruption.install()
        var runner = SweepRunner(spec: loaded.spec, outputRoot: loaded.outputRoot)
        let world = part == nil && !collect ? Cluster.world() : SingleProcess()
        if let mpi = Cluster.mpiWorld, world.size > 1, !world.isRoot {
            runner.log = { _ in }
            runner.progress = ProgressLine(enabled: false)
            do { try runner.runAsWorker(mpi) } catch let error as TrainingError { throw SweepStopped(cause: error) }
            return
        }
        let outcomes: [SweepOutcome]
        do {
            if let part {
                outcomes = try runner.runPart(part)
            } else if collect {
                outcomes = try runner.collect()
            } else if let mpi = Cluster.mpiWorld, world.size > 1 {
                outcomes = try runner.runAsCoordinator(mpi)
            } else {
                outcomes = try runner.run()
            }
        } catch let error as TrainingError {
            throw SweepStopped(cause: error)
        }
        print()
        print(runner.table(outcomes))
        if part != nil {
            print("\npart \(part!) done; when every part is: rbm sweep \(path) --collect")
            return
        }
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
