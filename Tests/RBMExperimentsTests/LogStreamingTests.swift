import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

@Suite(.serialized) struct LogStreamingTests {
    /// `rbm train … > log.txt`: each epoch line is in the file as soon as the epoch ends, so
    /// kill -9 keeps the log of every completed epoch.
    @Test func epochLinesReachAFileAsTheyHappen() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let child = try Child(["train", try longRunConfig(folder)])
        let logged = waitUntil {
            ((try? String(contentsOfFile: child.outputPath, encoding: .utf8)) ?? "").contains("epoch      2/100000")
        }
        let running = child.process.isRunning
        child.signal(SIGKILL)
        _ = child.finish()
        #expect(logged && running, "the second epoch's line was in the file while the run went on")
    }
}
