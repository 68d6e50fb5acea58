import Foundation
import RBM
import RBMData
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// FIFOs, devices and folders named as data, configs or checkpoints are refused at once,
/// naming what they are; one SIGINT or SIGTERM stops the program in any phase, loading included.
@Suite(.serialized) struct SpecialFileTests {
    func makeFIFO(_ path: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw FileError.fromErrno(path: path, "mkfifo") }
    }

    /// A FIFO named as `.npy` blocked in open(2) forever; `/dev/zero` as `.csv` grew to
    /// gigabytes. Both are errors within seconds, naming the file and its kind.
    @Test func aFIFOOrADeviceAsDataIsAnErrorNotAHang() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        try makeFIFO(folder.path + "/data.npy")
        try makeFIFO(folder.path + "/data.h5")
        let config = folder.path + "/c.yaml"
        try ConfigLoader.render(try folder.config(["training.epochs=1"])).write(toFile: config, atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            (folder.path + "/data.npy", "is not a regular file but a FIFO (named pipe)"),
            (folder.path + "/data.h5", "is not a regular file but a FIFO (named pipe)"),
            ("/dev/zero", "is not a regular file but a character device"),
            (folder.path, "is not a regular file but a folder"),
        ]
        for (path, expected) in cases {
            let started = Date()
            var arguments = ["train", config, "--quiet", "--set", "data.path=\(path)", "--set", "data.validation=0"]
            if path == "/dev/zero" { arguments += ["--set", "data.format=csv"] }
            if path == folder.path { arguments += ["--set", "data.format=npy"] }
            let (status, output) = try Child(arguments).finish(timeout: 30)
            #expect(status == 1, "\(path): \(output)")
            #expect(output.contains("\(path): ") && output.contains(expected), "\(path): \(output)")
            #expect(Date().timeIntervalSince(started) < 20, "\(path)")
        }
        // The readers themselves, and a config or checkpoint that is a FIFO.
        #expect(throws: DataError.self) { try CSVTable.read(path: "/dev/zero") }
        #expect(throws: DataError.self) { try NPYArray(path: folder.path + "/data.npy") }
        let (configStatus, configOutput) = try Child(["train", folder.path + "/data.npy"]).finish(timeout: 30)
        #expect(configStatus != 0 && configOutput.contains("FIFO"), "\(configOutput)")
        for command in ["inspect", "evaluate"] {
            let (status, output) = try Child([command, folder.path + "/data.h5"]).finish(timeout: 30)
            #expect(status == 1 && output.contains("is not a regular file but a FIFO"), "\(command): \(output)")
        }
    }

    /// While the data load (here a file on which libhdf5 loops, read by a child process for
    /// up to RBM_HDF5_READ_TIMEOUT seconds) one SIGTERM ends `rbm train` at once, with status
    /// 143 and a line saying so; the reading child ends with it.
    @Test func oneSignalStopsTheProgramWhileItLoads() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        // A copy under a name of this test's own: other tests read the same sample at the same time.
        let hanging = folder.path + "/hanging.h5"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Fuzz/known-libhdf5/timeout-11d92dd8263c3a2bb9eb853faf4d0d0e2adac9e8",
                                         toPath: hanging)
        let config = folder.path + "/c.yaml"
        try ConfigLoader.render(try folder.config(["training.epochs=1", "data.path=\(hanging)", "data.format=hdf5",
                                                   "data.validation=0"]))
            .write(toFile: config, atomically: true, encoding: .utf8)
        let child = try Child(["train", config], environment: ["RBM_HDF5_READ_TIMEOUT": "60"])
        // The reader child is running once the parent has one (it loops in libhdf5).
        #expect(waitUntil(timeout: 20) { !childProcesses(of: child.process.processIdentifier).isEmpty })
        let signalled = Date()
        child.signal(SIGTERM)
        let (status, output) = child.finish(timeout: 20)
        #expect(status == 143, "\(output)")
        #expect(Date().timeIntervalSince(signalled) < 5)
        #expect(output.contains("rbm: stopped by a signal (files are written whole or not at all)"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/runs/tiny/checkpoint.h5"))
        #expect(waitUntil(timeout: 5) { !anyProcessReads(hanging) }, "the child reading the file ended too")

        // The same for the commands that only read: `rbm inspect` on the looping file.
        let inspect = try Child(["inspect", hanging], environment: ["RBM_HDF5_READ_TIMEOUT": "60"])
        #expect(waitUntil(timeout: 20) { !childProcesses(of: inspect.process.processIdentifier).isEmpty })
        let asked = Date()
        inspect.signal(SIGTERM)
        let (inspectStatus, inspectOutput) = inspect.finish(timeout: 20)
        #expect(inspectStatus == 143 && Date().timeIntervalSince(asked) < 5, "\(inspectOutput)")
        #expect(waitUntil(timeout: 5) { !anyProcessReads(hanging) }, "inspect's reading child ended too")
    }

    /// An HDF5 reader child ends with the process that started it, even one that never learnt
    /// its pid (a signal between starting the reader and registering it): a parent gone
    /// before the reader got going ends it at once, and one that ends while it reads takes it
    /// with it (the kernel's parent-death signal). Left alone the reader would loop for 60 s.
    @Test func anHDF5ReaderNeverOutlivesItsParent() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let hanging = folder.path + "/orphan.h5"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Fuzz/known-libhdf5/timeout-11d92dd8263c3a2bb9eb853faf4d0d0e2adac9e8",
                                         toPath: hanging)
        for parentSeconds in [0, 2] {
            // The shell plays the parent: it starts the reader as `rbm` would, then ends. (Run
            // by ChildProcess, which passes no descriptor on: Foundation's Process would wait
            // for an orphaned reader holding its socket.)
            var readingWhileParentLives = false
            let shell = try ChildProcess.run(
                ["/bin/sh", "-c", "RBM_PARENT_PID=$$ \"$0\" hdf5-child layout \"$1\" - 60 >/dev/null 2>&1 & echo $!; sleep \(parentSeconds)",
                 try rbmExecutable(), hanging], timeout: 30,
                slowNotice: (after: 1, action: { readingWhileParentLives = anyProcessReads(hanging) }))
            #expect(shell.termination == .exited(0))
            let reader = String(decoding: shell.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(Int32(reader) != nil, "the shell printed the reader's pid: \(reader)")
            if parentSeconds > 0 {
                #expect(readingWhileParentLives, "the reader was reading while its parent lived")
            }
            usleep(1_000_000)  // time for a reader that outlived its parent to be looping
            #expect(waitUntil(timeout: 5) { !anyProcessReads(hanging) },
                    "a reader whose parent ended after \(parentSeconds) s ended with it")
            if let pid = Int32(reader) { kill(pid, SIGKILL) }  // whatever the outcome, no orphan is left
        }
    }
}

/// True while some process has `path` among its arguments.
func anyProcessReads(_ path: String) -> Bool {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).contains { candidate in
        guard let arguments = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(candidate)/cmdline")) else { return false }
        return String(decoding: arguments, as: UTF8.self).split(separator: "\0").contains { $0 == path }
            && String(decoding: arguments, as: UTF8.self).contains("hdf5-child")
    }
}
