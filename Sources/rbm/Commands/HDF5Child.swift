import ArgumentParser
import RBMStore

/// The child process `IsolatedRead` starts to let libhdf5 parse a file from outside.
struct HDF5Child: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: IsolatedRead.childCommand,
        abstract: "Internal: read an HDF5 file for another rbm process.",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough)
    var request: [String] = []

    func run() throws {
        let status = IsolatedRead.childMain(request)
        if status != 0 { throw ExitCode(status) }
    }
}
