import ArgumentParser
import RBMStore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an HDF5 file: format and version, datasets and shapes, config, last metrics.")

    @Argument(help: "A checkpoint, a feature file or any HDF5 file.")
    var file: String

    @Flag(help: "Leave out the stored config.")
    var noConfig = false

    func run() throws {
        print(try IsolatedRead.description(path: file, showConfig: !noConfig))
    }
}
