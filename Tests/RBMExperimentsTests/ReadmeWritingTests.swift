import Foundation
import RBMData
import RBMStore
import Testing
@testable import RBMExperiments

/// The README's "Writing your data so that rbm reads it": the Python block runs for real, and
/// every `rbm train my.yaml --set …` line after it trains on the file it wrote.
@Suite struct ReadmeWritingTests {
    func section() throws -> (python: String, commands: [String]) {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- tested-writing:"))
        let rest = readme[marker.upperBound...]
        let open = try #require(rest.range(of: "```python\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        let shell = try #require(rest[close.upperBound...].range(of: "```sh\n"))
        let shellEnd = try #require(rest[shell.upperBound...].range(of: "```"))
        let commands = rest[shell.upperBound..<shellEnd.lowerBound].split(separator: "\n").map(String.init)
        return (String(rest[open.upperBound..<close.lowerBound]), commands)
    }

    @Test func everyFileTheReadmeWritesTrains() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (python, commands) = try section()
        let (status, output) = try DataFiles.python(python, in: folder.path)
        #expect(status == 0, "python3 failed (numpy, h5py and pandas: `make deps` installs them):\n\(output)")
        #expect(commands.count == 4)
        for (index, command) in commands.enumerated() {
            let words = command.split(separator: " ").map(String.init)
            #expect(Array(words.prefix(3)) == ["rbm", "train", "my.yaml"], "\(command)")
            var settings: [String] = []
            for (position, word) in words.enumerated() where word == "--set" && position + 1 < words.count {
                let setting = words[position + 1]
                settings.append(setting.hasPrefix("data.path=") ? "data.path=\(folder.path)/" + setting.dropFirst(10) : setting)
            }
            var run = TrainingRun(config: try folder.config(settings + ["training.epochs=1", "model.hidden=4",
                                                                        "output.pictures=false", "output.name=readme\(index)"]),
                                  log: { _ in })
            run.progress = ProgressLine(enabled: false)
            let result = try run.run()
            #expect(result.model.visibleCount == 64, "\(command)")
            let features = try HDF5File.openReadOnly(path: RunFolder(path: result.folder).features)
            #expect(features.exists("/train/labels"), "\(command): the labels reach features.h5")
        }
    }
}
