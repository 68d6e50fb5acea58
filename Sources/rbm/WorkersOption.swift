import ArgumentParser

/// `--workers N`, parsed and range-checked here, once, for every command that takes it: a whole
/// number of threads from 1 up (leave it out for every core). Commands pass the number on as a
/// value; nothing below re-reads or clamps it.
enum WorkersOption {
    static func parse(_ argument: String) throws -> Int {
        guard let count = Int(argument), count >= 1 else {
            throw ValidationError("--workers takes a whole number of threads, 1 or more (got '\(argument)'); leave it out to use every core")
        }
        return count
    }
}
