import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

@Suite struct ConfigMessageTests {
    /// A rule that two keys break together is blamed on `--set` when `--set` gave the key.
    @Test func aBrokenRuleFromSetIsBlamedOnSet() throws {
        #expect {
            try ConfigLoader.parse("training:\n  batch_size: 10\n", file: "c.yaml", overrides: ["training.shards=20"])
        } throws: { error in "\(error)".hasPrefix("--set: training.shards: 20 shards cannot split a batch of 10 rows") }
        #expect {
            try ConfigLoader.parse("training:\n  shards: 20\n  batch_size: 10\n", file: "c.yaml")
        } throws: { error in "\(error)".hasPrefix("c.yaml: training.shards:") }
    }

    /// A string value holding NUL (a YAML "\0" escape) is refused: a path ends there for the
    /// system, and so would the config stored in a checkpoint (fuzz-checkpoint found the latter).
    @Test func aStringWithANULCharacterIsRefused() throws {
        #expect {
            try ConfigLoader.parse("data:\n  path: \"/data/a\\0b\"\n", file: "n.yaml")
        } throws: { error in "\(error)".hasPrefix("n.yaml:2: data.path:") && "\(error)".contains("without NUL characters") }
        #expect(try ConfigLoader.parse("data:\n  path: \"/data/ab\"\n", file: "n.yaml").data.path == "/data/ab")
    }

    /// An empty config file trains the defaults, and says so.
    @Test func anEmptyConfigFileSaysTheDefaultsApply() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = folder.path + "/empty.yaml"
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try Child(["train", path, "--quiet", "--set", "data.path=\(folder.dataPath)",
                                          "--set", "data.validation=40", "--set", "training.epochs=1",
                                          "--set", "model.hidden=4", "--set", "output.folder=\(folder.path)/runs",
                                          "--set", "output.pictures=false"]).finish()
        #expect(status == 0, "\(output)")
        #expect(output.contains("note: \(path) sets no keys, so the defaults apply (with --set)"), "\(output)")
    }
}
