import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// No file a run writes follows a symbolic link planted at its name: the link is replaced by
/// the run's own file (written to a temporary name and renamed), or refused when appended to.
@Suite(.serialized) struct OutputLinkTests {
    /// Every name a run writes, parallel tempering's tempering.csv included.
    static let outputNames = [
        RunFolder.configFile, RunFolder.checkpointFile, RunFolder.metricsFile, RunFolder.featuresFile, RunFolder.temperingFile,
        RunReport.filtersFile, RunReport.reconstructionsFile, RunReport.samplesFile, RunReport.curvesFile, RunReport.reportFile,
    ]

    /// Links planted at every output name, half to a file outside the run folder and half
    /// dangling (checkpoint.h5's dangles: a link to a file there is taken for a finished run
    /// and refused without --force): after a PT run (pictures and features on) the outside file is unchanged, no
    /// dangling target was created, and each name holds the run's own regular file.
    @Test func linksPlantedAtEveryOutputNameAreReplacedNotWrittenThrough() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (runFolder, victim) = try emptyRunFolderAndAFileOutsideIt(folder)
        for (index, name) in Self.outputNames.enumerated() {
            let target = index % 2 == 0 ? victim : folder.path + "/dangling-\(name)"
            try FileManager.default.createSymbolicLink(atPath: runFolder + "/" + name, withDestinationPath: target)
        }
        var run = TrainingRun(config: try folder.config(["training.epochs=2", "training.sampler=pt", "training.temperatures=3",
                                                         "training.shards=2"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        _ = try run.run()
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        for name in Self.outputNames {
            #expect(!FileManager.default.fileExists(atPath: folder.path + "/dangling-\(name)"), "\(name)")
            #expect(isRegularFile(runFolder + "/" + name), "\(name) is the run's own file")
        }
        let tempering = try String(contentsOfFile: runFolder + "/" + RunFolder.temperingFile, encoding: .utf8)
        #expect(tempering.split(separator: "\n").map { $0.split(separator: ",").first! } == ["epoch", "1", "2"])
    }

    /// A link planted at a file the run appends to while it runs is refused, naming the file.
    @Test func appendingRefusesALink() throws {
        let folder = NSTemporaryDirectory() + "rbm-append-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "keep\n".write(toFile: folder + "/target.csv", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/metrics.csv", withDestinationPath: folder + "/target.csv")
        #expect(throws: FileError(path: folder + "/metrics.csv", reason: "is a symbolic link; rbm does not write through links")) {
            try appendLine("1,2,3", to: folder + "/metrics.csv")
        }
        #expect(try String(contentsOfFile: folder + "/target.csv", encoding: .utf8) == "keep\n")
        try appendLine("a", to: folder + "/plain.csv")
        try appendLine("b", to: folder + "/plain.csv")
        #expect(try String(contentsOfFile: folder + "/plain.csv", encoding: .utf8) == "a\nb\n")
    }

    /// Resuming keeps tempering.csv's rows of the checkpoint's epochs only: a row a killed run
    /// appended after its last checkpoint is not repeated.
    @Test func resumingKeepsTheTemperingRowsOfTheCheckpointsEpochs() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let settings = ["training.sampler=pt", "training.temperatures=3", "output.pictures=false", "output.features=false"]
        var first = TrainingRun(config: try folder.config(["training.epochs=2"] + settings), log: { _ in })
        first.progress = ProgressLine(enabled: false)
        let result = try first.run()
        let path = result.folder + "/" + RunFolder.temperingFile
        try appendLine("3,0.5,0.5", to: path)   // as if epoch 3 ended and the run died before its checkpoint
        var resumed = TrainingRun(config: try folder.config(["training.epochs=3"] + settings), resume: true, log: { _ in })
        resumed.progress = ProgressLine(enabled: false)
        _ = try resumed.run()
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(rows.map { $0.split(separator: ",").first! } == ["epoch", "1", "2", "3"])
        #expect(rows.last != "3,0.5,0.5")
    }
}

/// `runs/tiny` made empty in `folder`, and a file outside it holding "precious": the target of
/// the links a test plants in the run folder.
func emptyRunFolderAndAFileOutsideIt(_ folder: SyntheticIDXFolder) throws -> (runFolder: String, victim: String) {
    let runFolder = folder.path + "/runs/tiny"
    try FileManager.default.createDirectory(atPath: runFolder, withIntermediateDirectories: true)
    let victim = folder.path + "/outside.txt"
    try "precious".write(toFile: victim, atomically: false, encoding: .utf8)
    return (runFolder, victim)
}
