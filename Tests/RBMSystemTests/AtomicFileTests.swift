import Foundation
import RBMSystem
import Testing

@Suite struct AtomicFileTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "rbm-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
    }

    @Test func writeReplacesTheFileWholeAndLeavesNoTemporary() throws {
        let path = folder + "/metrics.csv"
        try writeTextAtomically("first\n", to: path)
        try writeTextAtomically("second, longer\n", to: path)
        #expect(try readText(path: path) == "second, longer\n")
        #expect(try leftovers().isEmpty)
    }

    @Test func temporaryNamesAreUnpredictableAndNeverReused() throws {
        let path = folder + "/checkpoint.h5"
        let first = try AtomicFile.createTemporary(for: path)
        let second = try AtomicFile.createTemporary(for: path)
        defer { AtomicFile.discard(temporary: first); AtomicFile.discard(temporary: second) }
        let prefix = AtomicFile.temporaryPath(for: path, pid: getpid())
        #expect(first.hasPrefix(prefix + "-") && second.hasPrefix(prefix + "-"))
        #expect(first != second)
    }

    /// A symbolic link planted where a temporary might go is never written through: the
    /// writer's own temporary is a new file, and the link's target stays as it was.
    @Test func aLinkPlantedAtTheTemporaryNameIsNotFollowed() throws {
        let path = folder + "/config.yaml"
        let victim = folder + "/victim.txt"
        try "keep me".write(toFile: victim, atomically: false, encoding: .utf8)
        let predictable = AtomicFile.temporaryPath(for: path, pid: getpid())
        try FileManager.default.createSymbolicLink(atPath: predictable, withDestinationPath: victim)
        try writeTextAtomically("model: {}\n", to: path)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect(try readText(path: path) == "model: {}\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
    }

    @Test func temporariesOfDeadProcessesAreRemovedAndLiveOnesKept() throws {
        let path = folder + "/checkpoint.h5"
        let dead = AtomicFile.temporaryPath(for: path, pid: 4_194_305) + "-abc"
        let deadOldStyle = AtomicFile.temporaryPath(for: path, pid: 4_194_306)
        let live = AtomicFile.temporaryPath(for: path, pid: 1) + "-xyz"
        for name in [dead, deadOldStyle, live] { FileManager.default.createFile(atPath: name, contents: Data()) }
        AtomicFile.removeStaleTemporaries(of: path)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(!FileManager.default.fileExists(atPath: deadOldStyle))
        #expect(FileManager.default.fileExists(atPath: live))
    }

    @Test func aWriteIntoAMissingFolderNamesThePathAndTheReason() throws {
        let path = folder + "/absent/config.yaml"
        #expect {
            try writeTextAtomically("x", to: path)
        } throws: { error in
            "\(error)".contains(folder + "/absent") && "\(error)".contains("No such file or directory")
        }
    }

    @Test func commitMovesAFileWrittenByName() throws {
        let path = folder + "/features.h5"
        let temporary = try AtomicFile.createTemporary(for: path)
        try Data("payload".utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(!FileManager.default.fileExists(atPath: path))
        try AtomicFile.commit(temporary: temporary, to: path)
        #expect(try readText(path: path) == "payload")
        #expect(!FileManager.default.fileExists(atPath: temporary))
    }
}

@Suite struct FormattingTests {
    @Test func fixedDecimalsRoundHalfAwayFromZero() {
        #expect(format(3.14159, 2) == "3.14")
        #expect(format(-0.005, 2) == "-0.01")
        #expect(format(-0.0001, 2) == "0.00")
        #expect(format(2.5, 0) == "3")
        #expect(format(1.05, 1) == "1.1")
    }

    @Test func shortFormDropsAZeroFraction() {
        #expect(format(7.0) == "7")
        #expect(format(0.5) == "0.5")
    }

    @Test func durationsAndCounts() {
        #expect(formatDuration(125) == "2:05")
        #expect(formatDuration(3723) == "1:02:03")
        #expect(formatDuration(.nan) == "–")
        #expect(groupedThousands(41_234.4) == "41,234")
        #expect(groupedThousands(-1_234_567) == "-1,234,567")
        #expect(groupedThousands(999) == "999")
    }
}
