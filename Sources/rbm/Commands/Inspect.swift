import ArgumentParser
import RBMSystem
import RBMExperiments
import RBMStore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an HDF5 file: format and version, datasets and shapes, config, last metrics.",
        discussion: """
            A checkpoint is also checked whole (counters, shapes, finite values, values its unit \
            type allows, agreement with its stored config): what is wrong is listed and the \
            command exits with status 1.
            """)

    @Argument(help: "A checkpoint, a feature file or any HDF5 file.")
    var file: String

    @Flag(help: "Leave out the stored config.")
    var noConfig = false

    func run() throws {
        // One Ctrl-C or SIGTERM ends the command at once, and the HDF5 reader child with it.
        Interruption.install()
        try Inspection.inspect(path: file, showConfig: !noConfig) { print($0) }
    }
}
