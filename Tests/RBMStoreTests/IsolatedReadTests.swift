import Foundation
import Testing
import RBM
@testable import RBMStore

/// Reads of files from outside run in a child `rbm` process (IsolatedRead): the results must be
/// those of an in-process read, and libhdf5 crashing or hanging in the child must come back as
/// an error while this process goes on.
@Suite struct IsolatedReadTests {
    static let knownLibHDF5Failures: [String] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path + "/Fuzz/known-libhdf5"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("crash-") || $0.hasPrefix("timeout-") }.sorted().map { folder + "/" + $0 }
    }()

    @Test func theRbmExecutableIsFoundSoReadsAreIsolated() {
        // Without it IsolatedRead falls back to reading in this process, and the tests below
        // would not exercise the child (swift build --build-tests builds rbm beside the tests).
        #expect(IsolatedRead.executable != nil)
    }

    @Test(arguments: [true, false])
    func checkpointReadInAChildEqualsTheInProcessRead(persistent: Bool) throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/checkpoint.h5"
        let written = sampleCheckpoint(persistent: persistent)
        try written.write(to: path)
        let isolated = try IsolatedRead.checkpoint(path: path)
        let direct = try Checkpoint.read(path: path)
        #expect(isolated.state == written.state && isolated.state == direct.state)
        #expect(isolated.seed == written.seed && isolated.epoch == 2 && isolated.batchInEpoch == 17 && isolated.state.step == 1234)
        #expect(isolated.config == written.config && isolated.sampler == written.sampler && isolated.createdBy == "rbm test")
        #expect(isolated.learningRate == 0.0125 && isolated.momentum == 0.9)
        #expect(isolated.history.columns.map(\.name) == direct.history.columns.map(\.name))
        #expect(isolated.history["reconstruction_error"] == [10.5, 9.25])
        #expect(isolated.history["free_energy_validation"]![0].isNaN && isolated.history["free_energy_validation"]![1] == -3.5)
        #expect(try IsolatedRead.description(path: path) == Inspection.describe(path: path))
        // The child's copy is gone and nothing was added beside the checkpoint.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["checkpoint.h5"])
    }

    @Test func errorsTheChildFindsComeBackUnchanged() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fake = folder + "/fake.h5"
        FileManager.default.createFile(atPath: fake, contents: Data("not hdf5 at all".utf8))
        #expect(throws: StoreError.notHDF5(path: fake)) { try IsolatedRead.checkpoint(path: fake) }
        #expect(throws: StoreError.notHDF5(path: fake)) { try IsolatedRead.description(path: fake) }
        #expect(throws: StoreError.cannotOpen(path: folder + "/absent.h5")) { try IsolatedRead.checkpoint(path: folder + "/absent.h5") }

        let damaged = folder + "/damaged.h5"
        do {  // closed at the end of the block: libhdf5 locks a file open for writing
            let file = try HDF5File.create(path: damaged)
            try sampleCheckpoint().writeContents(to: file)
            H5LdeleteForTests(file, "/model/hidden_bias")
        }
        #expect(throws: StoreError.missing(path: damaged, object: "dataset /model/hidden_bias")) {
            try IsolatedRead.checkpoint(path: damaged)
        }
        #expect(throws: StoreError.missing(path: damaged, object: "dataset /model/hidden_bias")) {
            try Checkpoint.read(path: damaged)
        }
    }

    /// Every file in Fuzz/known-libhdf5 crashed (under AddressSanitizer) or hung libhdf5 1.10.8.
    /// Read in a child, each gives an error — or, for a memory error that does not crash a
    /// process built without AddressSanitizer, a result made from values the child checked —
    /// and this process is still here to count them.
    @Test func filesThatCrashOrHangLibHDF5BecomeErrors() throws {
        let inputs = Self.knownLibHDF5Failures
        #expect(inputs.count >= 10, "Fuzz/known-libhdf5 should hold the crash and timeout inputs")
        var crashes = 0, timeouts = 0
        for input in inputs {
            let started = Date()
            var errors: [StoreError] = []
            do { _ = try IsolatedRead.checkpoint(path: input, timeout: 3) } catch { errors.append(error) }
            do { _ = try IsolatedRead.description(path: input, timeout: 3) } catch { errors.append(error) }
            for case let .unreadable(path, detail) in errors {
                #expect(path == input)
                if detail.contains("libhdf5 crashed") { crashes += 1 }
                if detail.contains("did not finish within 3 s") { timeouts += 1 }
            }
            #expect(Date().timeIntervalSince(started) < 20, "\(input): the time limit did not hold")
        }
        // Without isolation these would have ended this process; the library still has these bugs.
        #expect(crashes >= 4, "SIGSEGV inputs should be reported as libhdf5 crashes")
        #expect(timeouts >= 2, "the looping input should be stopped by the time limit (checkpoint and describe)")
    }
}
