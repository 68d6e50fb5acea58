import Foundation
import Testing
@testable import RBMExperiments

/// The README's h5py example, run for real with python3 against the files a run wrote.
@Suite struct ReadmeExampleTests {
    /// The first ```python block after the "tested" marker in README.md.
    func readmeSnippet() throws -> String {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- tested:"))
        let afterMarker = readme[marker.upperBound...]
        let open = try #require(afterMarker.range(of: "```python\n"))
        let close = try #require(afterMarker[open.upperBound...].range(of: "```"))
        return String(afterMarker[open.upperBound..<close.lowerBound])
    }

    @Test func readmeH5pyExampleLoadsTheFeaturesAndWeights() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.epochs=2", "output.folder=\(folder.path)/runs", "output.name=default"])
        _ = try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()

        let checks = """

            assert X_train.shape == (200, 8) and X_train.dtype == np.float32, X_train.shape
            assert y_train.shape == (200,) and X_test.shape == (40, 8) and y_test.shape == (40,)
            assert W.shape == (36, 8) and b.shape == (36,) and c.shape == (8,)
            assert 0.0 <= X_train.min() and X_train.max() <= 1.0
            with h5py.File("runs/default/features.h5", "r") as f:
                assert isinstance(f.attrs["format"], str), "string attributes must load as str"
            print("README example OK")
            """
        let script = try readmeSnippet() + checks
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "python3 failed (is h5py installed? `make deps` installs it):\n\(text)")
        #expect(text.contains("README example OK") && text.contains("rbm-features"))
    }
}
