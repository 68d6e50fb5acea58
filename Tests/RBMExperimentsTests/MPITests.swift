import Foundation
import Testing
import RBM
import RBMStore
@testable import RBMExperiments

/// `mpirun` on the PATH (Open MPI, installed by `make deps`), or nil.
let mpirunPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
    .split(separator: ":").map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// The launcher's own options for these tests: more ranks than cores, as root where the
/// tests run as root, and the transport (`vader` shared memory by default, or TCP).
func mpirunArguments(ranks: Int, tcp: Bool = false) -> [String] {
    ["--oversubscribe", "-np", String(ranks)] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
        + (tcp ? ["--mca", "btl", "self,tcp"] : [])
}

/// `mpirun … rbm arguments` running in the background, its output collected in a file.
final class MPIJob {
    let process = Process()
    let outputPath = NSTemporaryDirectory() + "rbm-mpirun-\(UUID().uuidString).log"

    init(ranks: Int, tcp: Bool = false, _ arguments: [String]) throws {
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: mpirunPath!)
        process.arguments = mpirunArguments(ranks: ranks, tcp: tcp) + [try rbmExecutable()] + arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(atPath: outputPath) }

    /// The ranks: mpirun's child processes.
    var ranks: [Int32] { childProcesses(of: process.processIdentifier) }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits for mpirun to exit (at most `timeout` seconds, then ends it) and returns
    /// (status, output, whether it exited by itself).
    func finish(timeout: Double = 120) -> (status: Int32, output: String, exited: Bool) {
        let exited = waitUntil(timeout: timeout) { !process.isRunning }
        if !exited { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, output, exited)
    }
}

/// Runs `mpirun … rbm arguments` to the end, returning (status, output).
@discardableResult
func mpirun(ranks: Int, tcp: Bool = false, _ arguments: [String], timeout: Double = 120) throws -> (Int32, String) {
    let result = try MPIJob(ranks: ranks, tcp: tcp, arguments).finish(timeout: timeout)
    return (result.status, result.output)
}

/// The trainer's state as bits: equal only when every float is the same bit pattern.
func bits(_ state: TrainerState) -> [[UInt32]] {
    [state.model.weights, state.model.visibleBias, state.model.hiddenBias, state.weightVelocity,
     state.visibleBiasVelocity, state.hiddenBiasVelocity, state.chainVisible ?? [], state.chainHiddenProbabilities ?? [],
     state.fastParameters?.weights ?? [], state.fastParameters?.hiddenBias ?? [], state.hiddenOffsets ?? [],
     state.model.visibleLogVariance ?? [], state.logVarianceVelocity ?? []]
        .map { $0.map(\.bitPattern) }
}

@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed: `make deps` installs Open MPI (openmpi-bin)"))
struct MPITests {
    /// The synthetic data and a config file for `rbm train`: 4 shards, so 1, 2 and 4 ranks
    /// divide them; no decay of ε, so that a resume with more epochs continues the same run.
    func configFile(_ folder: SyntheticIDXFolder, _ extra: [String]) throws -> String {
        let path = folder.path + "/mpi-\(UUID().uuidString).yaml"
        let config = try folder.config(["training.shards=4", "training.batch_size=20", "training.epochs=3",
                                        "output.features=false", "output.pictures=false", "model.hidden=12"] + extra)
        try ConfigLoader.render(config).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func checkpoint(_ folder: SyntheticIDXFolder, _ name: String) throws -> Checkpoint {
        try Checkpoint.read(path: folder.path + "/runs/\(name)/checkpoint.h5")
    }

    /// 1, 2 and 4 ranks × 1 and 2 workers, over shared memory and over TCP, every sampler and
    /// hidden blocks: the weights, velocities and chains are bit for bit those of one process.
    @Test(arguments: ["cd", "pcd", "fpcd+centering", "pt", "pcd+blocks", "pt+variance", "cd+langevin"])
    func ranksTrainBitIdenticalWeightsToOneProcess(variant: String) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let sampler = String(variant.split(separator: "+")[0])
        // "+blocks": 70 hidden units in 3 hidden blocks inside every shard; "+variance": Gaussian
        // units with learned variances.
        let blocks = variant.hasSuffix("+blocks") ? ["model.hidden=70", "training.hidden_blocks=3"]
            : variant.hasSuffix("+variance") ? ["model.visible=gaussian", "data.binarization=none", "model.learn_variance=true",
                                                "training.learning_rate=0.01", "training.variance_learning_rate=0.05"]
            : variant.hasSuffix("+langevin") ? ["model.visible=gaussian", "data.binarization=none", "model.learn_variance=true",
                                                "training.learning_rate=0.01", "training.langevin_steps=2", "training.chain_start=noise",
                                                "training.clip_norm=1"] : []
        let config = try configFile(folder, ["training.sampler=\(sampler)", "model.centering=\(variant.hasSuffix("+centering"))",
                                             "training.temperatures=3"] + blocks)
        let single = try Child(["train", config, "--quiet", "--set", "output.name=single"]).finish()
        try #require(single.0 == 0, "\(single.1)")
        let reference = bits(try checkpoint(folder, "single").state)
        for (ranks, workers, tcp) in [(1, 2, false), (2, 1, false), (2, 2, false), (4, 1, false), (4, 2, false), (2, 1, true)] {
            let name = "r\(ranks)w\(workers)\(tcp ? "tcp" : "shm")"
            let (status, output) = try mpirun(ranks: ranks, tcp: tcp, ["train", config, "--quiet", "--workers", String(workers),
                                                                       "--set", "output.name=\(name)"])
            try #require(status == 0, "\(name): \(output)")
            #expect(bits(try checkpoint(folder, name).state) == reference, "\(name) differs from one process")
        }
    }

    /// Two epochs under 2 ranks, then two more under 4 ranks (and under one process): the same
    /// bits as four epochs straight in one process.
    @Test func aRunResumesUnderAnotherRankCountWithTheSameWeights() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try configFile(folder, ["training.sampler=pcd", "training.epochs=4"])
        try #require(try Child(["train", config, "--quiet", "--set", "output.name=straight"]).finish().0 == 0)
        for (name, second) in [("to4", 4), ("to1", 1)] {
            let first = try mpirun(ranks: 2, ["train", config, "--quiet", "--set", "training.epochs=2", "--set", "output.name=\(name)"])
            try #require(first.0 == 0, "\(first.1)")
            let resumed = try mpirun(ranks: second, ["resume", folder.path + "/runs/\(name)", "--epochs", "4"])
            try #require(resumed.0 == 0, "\(resumed.1)")
            #expect(resumed.1.contains("resuming after epoch 2"))
            let state = try checkpoint(folder, name)
            #expect(state.epoch == 4)
            #expect(bits(state.state) == bits(try checkpoint(folder, "straight").state), "2 ranks then \(second)")
        }
    }

    /// SIGTERM to every rank (what mpirun sends on Ctrl-C): all ranks stop after the same
    /// update, rank 0 writes one checkpoint of that state (the one a single process stopped
    /// at that update writes), the message comes once, and the run resumes.
    @Test func aSignalStopsEveryRankAfterTheSameUpdateWithOneCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try configFile(folder, ["training.sampler=pcd", "training.epochs=100000"])
        let job = try MPIJob(ranks: 2, ["train", config, "--set", "output.name=stop"])
        let metrics = folder.path + "/runs/stop/metrics.csv"
        let started = waitUntil(timeout: 60) {
            ((try? String(contentsOfFile: metrics, encoding: .utf8))?.split(separator: "\n").count ?? 0) > 3
        }
        try #require(started, "the run did not start: \(job.output)")
        // The ranks are the launcher's children: signal them directly, as mpirun does.
        for rank in job.ranks { kill(rank, SIGTERM) }
        let (_, log, ended) = job.finish(timeout: 30)
        #expect(ended)
        #expect(log.components(separatedBy: "stopped by signal 15").count == 2, "\(log)")
        let stopped = try checkpoint(folder, "stop")
        #expect(stopped.batchInEpoch > 0 || stopped.epoch > 0)

        // One process stopped after the same update holds the same bits.
        var single = TrainingRun(config: try ConfigLoader.load(path: config, overrides: ["output.name=single"]),
                                 log: { _ in }, progress: ProgressLine(enabled: false))
        let counter = SignalBox()
        var updates = 0
        single.stopRequest = {
            updates += 1
            if updates == stopped.state.step { counter.value = SIGTERM }
            return counter.value
        }
        #expect(throws: TrainingError.self) { try single.run() }
        #expect(bits(try checkpoint(folder, "single").state) == bits(stopped.state))
        let resumed = try mpirun(ranks: 2, ["resume", folder.path + "/runs/stop", "--epochs", String(stopped.epoch + 1), "--quiet"])
        #expect(resumed.0 == 0, "\(resumed.1)")
    }

    /// A rank killed with -9 ends the job with an error naming the rank and the host; the last
    /// checkpoint is intact and resumes.
    @Test func aKilledRankEndsTheJobNamingItAndLeavesTheCheckpointIntact() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try configFile(folder, ["training.epochs=100000", "output.checkpoint_every=1"])
        let job = try MPIJob(ranks: 2, ["train", config, "--quiet", "--set", "output.name=kill"])
        let checkpointPath = folder.path + "/runs/kill/checkpoint.h5"
        try #require(waitUntil(timeout: 60) { ((try? Checkpoint.read(path: checkpointPath))?.epoch ?? 0) >= 3 })
        let ranks = job.ranks
        try #require(ranks.count == 2, "expected two ranks, found \(ranks)")
        kill(ranks[1], SIGKILL)
        let (status, log, ended) = job.finish(timeout: 30)
        #expect(ended && status != 0)
        #expect(log.contains("rank") && log.contains("on node") && log.contains("signal 9"), "\(log)")
        let intact = try Checkpoint.read(path: checkpointPath)
        let resumed = try Child(["resume", folder.path + "/runs/kill", "--epochs", String(intact.epoch + 1), "--quiet"]).finish()
        #expect(resumed.0 == 0, "\(resumed.1)")
    }

    /// Periodic evaluation splits log Z's work (AIS runs, exact enumeration chunks) between the
    /// ranks: metrics.csv holds the same numbers as one process's, to the last digit — for the
    /// bracket, reverse AIS's chains too.
    @Test(arguments: ["ais", "exact", "bracket"])
    func evaluationSplitBetweenRanksRecordsTheSameNumbers(method: String) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try configFile(folder, ["evaluation.every=1", "evaluation.log_likelihood=\(method)",
                                             "evaluation.ais_runs=60", "evaluation.ais_betas=200", "training.epochs=2"])
        try #require(try Child(["train", config, "--quiet", "--set", "output.name=single"]).finish().0 == 0)
        let ranks = try mpirun(ranks: 3, ["train", config, "--quiet", "--set", "output.name=ranks"])
        try #require(ranks.0 == 0, "\(ranks.1)")
        func table(_ name: String) throws -> [[String]] {
            let lines = try String(contentsOfFile: folder.path + "/runs/\(name)/metrics.csv", encoding: .utf8).split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            let timing = Set(["samples_per_second", "seconds"].compactMap { header.firstIndex(of: $0) })
            return lines.map { line in
                line.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                    .filter { !timing.contains($0.offset) }.map { String($0.element) }
            }
        }
        let single = try table("single")
        #expect(single.count == 3)
        let column = single[0].firstIndex(of: "log_likelihood")!
        #expect(!single[1][column].isEmpty && !single[2][column].isEmpty)
        let conservative = single[0].firstIndex(of: "log_likelihood_lower")!
        #expect(single[1][conservative].isEmpty == (method != "bracket"))
        #expect(try table("ranks") == single)

        // `rbm evaluate` under mpirun: rank 0 reads the checkpoint and sends it; the same report.
        let checkpoint = folder.path + "/runs/single/checkpoint.h5"
        let arguments = ["evaluate", checkpoint, "--\(method)", "--ais-runs", "60", "--ais-betas", "200"]
        let alone = try Child(arguments).finish()
        let shared = try mpirun(ranks: 2, arguments)
        try #require(alone.0 == 0 && shared.0 == 0, "\(alone.1)\n\(shared.1)")
        let withoutTime = { (text: String) in text.split(separator: "\n").filter { !$0.hasPrefix("time:") } }
        #expect(withoutTime(shared.1) == withoutTime(alone.1))
        #expect(shared.1.contains("log Z:") && shared.1.contains("log-likelihood bracket") == (method == "bracket"))
    }

    /// features.h5 written at the end of a run under 3 ranks, and by `rbm features` under 2:
    /// every split's features are the single process's bits.
    @Test func featuresSplitBetweenRanksAreTheSameBits() throws {
        let folder = SyntheticIDXFolder(trainCount: 1300, testCount: 600)
        defer { folder.remove() }
        let config = try configFile(folder, ["output.features=true", "training.epochs=1"])
        try #require(try Child(["train", config, "--quiet", "--set", "output.name=single"]).finish().0 == 0)
        let ranks = try mpirun(ranks: 3, ["train", config, "--quiet", "--set", "output.name=ranks"])
        try #require(ranks.0 == 0, "\(ranks.1)")
        let extracted = folder.path + "/extracted.h5"
        let command = try mpirun(ranks: 2, ["features", folder.path + "/runs/single/checkpoint.h5", "--data", folder.dataPath,
                                            "--out", extracted])
        try #require(command.0 == 0, "\(command.1)")
        let reference = try HDF5File.openReadOnly(path: folder.path + "/runs/single/features.h5")
        let trained = try HDF5File.openReadOnly(path: folder.path + "/runs/ranks/features.h5")
        for split in ["train", "validation", "test"] {
            let expected = try reference.readFloats("/\(split)/features").values.map(\.bitPattern)
            #expect(split == "validation" || expected.count > 2 * 256 * 12, "\(split): more rows than two chunks")
            #expect(try trained.readFloats("/\(split)/features").values.map(\.bitPattern) == expected, "\(split)")
        }
        // `rbm features` on an IDX folder takes the whole training file and the test file.
        let alone = folder.path + "/alone.h5"
        try #require(try Child(["features", folder.path + "/runs/single/checkpoint.h5", "--data", folder.dataPath,
                                "--out", alone]).finish().0 == 0)
        let a = try HDF5File.openReadOnly(path: alone), b = try HDF5File.openReadOnly(path: extracted)
        for split in ["train", "test"] {
            #expect(try a.readFloats("/\(split)/features").values.map(\.bitPattern) == b.readFloats("/\(split)/features").values.map(\.bitPattern))
        }
    }

    /// More ranks than shards is a clear error before anything is written.
    @Test func moreRanksThanShardsIsAClearError() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try configFile(folder, ["training.shards=1"])
        let (status, output) = try mpirun(ranks: 2, ["train", config, "--quiet", "--set", "output.name=many"])
        #expect(status != 0)
        #expect(output.contains("2 ranks cannot share training.shards 1"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/runs/many/checkpoint.h5"))
    }
}

/// The processes whose parent is `pid`, in increasing pid order (mpirun's ranks).
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { child in
        guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == pid
    }.sorted()
}

@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed: `make deps` installs Open MPI (openmpi-bin)"))
struct DistributedSweepTests {
    /// results.csv without its timing column (seconds), as rows of fields.
    func results(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields.remove(at: fields.count - 2)
            return fields
        }
    }

    /// The same sweep three ways — one process, two MPI ranks, and two `--part`s merged by
    /// `--collect` — gives the same results.csv values (every metric exactly, every status).
    @Test func mpiAndPartsGiveTheSequentialSweepsResults() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let body = "set:\n  training.epochs: 2\n  output.features: false\n  output.pictures: false\n"
            + "grid:\n  training.learning_rate: [0.05, 0.2]\n  model.hidden: [4, 8, 16]\nmetric: reconstruction_error\n"
        var paths: [String] = []
        for name in ["sequential", "ranks", "parts"] {
            paths.append(try writeSweep(folder, name: name, body: body))
        }
        let sequential = try Child(["sweep", paths[0]]).finish()
        try #require(sequential.0 == 0, "\(sequential.1)")
        let ranks = try mpirun(ranks: 2, ["sweep", paths[1]])
        try #require(ranks.0 == 0, "\(ranks.1)")
        #expect(ranks.1.contains("on 2 ranks") && ranks.1.contains("(on rank 1)"), "\(ranks.1)")
        for part in ["1/2", "2/2"] {
            let result = try Child(["sweep", paths[2], "--part", part]).finish()
            try #require(result.0 == 0, "\(result.1)")
            #expect(result.1.contains("part \(part)"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/sweeps/parts/results.csv"))
        let collected = try Child(["sweep", paths[2], "--collect"]).finish()
        try #require(collected.0 == 0, "\(collected.1)")
        let reference = try results(folder.path + "/sweeps/sequential/results.csv")
        #expect(reference.count == 7)
        #expect(try results(folder.path + "/sweeps/ranks/results.csv") == reference)
        #expect(try results(folder.path + "/sweeps/parts/results.csv") == reference)
        // Running the sequential sweep again skips every run and keeps the exact values.
        let again = try Child(["sweep", paths[0]]).finish()
        try #require(again.0 == 0, "\(again.1)")
        let rerun = try results(folder.path + "/sweeps/sequential/results.csv")
        #expect(rerun.dropFirst().allSatisfy { $0[2] == "done (earlier)" })
        #expect(rerun.map { $0.enumerated().filter { $0.offset != 2 }.map(\.element) }
                == reference.map { $0.enumerated().filter { $0.offset != 2 }.map(\.element) })
    }

    /// `--collect` before every part has run lists the missing runs as not run.
    @Test func collectBeforeEveryPartRanMarksTheMissingRuns() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, body: "set:\n  training.epochs: 1\n  output.features: false\n  output.pictures: false\n"
                                  + "grid:\n  model.hidden: [4, 8, 16]\nmetric: reconstruction_error\n")
        try #require(try Child(["sweep", path, "--part", "2/3"]).finish().0 == 0)
        let collected = try Child(["sweep", path, "--collect"]).finish()
        #expect(collected.0 == 0)
        let rows = try results(folder.path + "/sweeps/tiny-sweep/results.csv").dropFirst()
        #expect(rows.filter { $0[2] == "done" }.count == 1 && rows.filter { $0[2] == "not run" }.count == 2, "\(rows)")
        #expect(collected.1.contains("2 not finished"))
    }

    @Test func aMalformedPartIsAUsageError() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, body: "grid:\n  model.hidden: [4, 8]\n")
        for bad in ["0/2", "3/2", "1", "a/b"] {
            let (status, output) = try Child(["sweep", path, "--part", bad]).finish()
            #expect(status == 64 && output.contains("--part takes K/N"), "\(bad): \(status) \(output)")
        }
    }
}
