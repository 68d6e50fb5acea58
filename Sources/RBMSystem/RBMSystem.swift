/// # RBMSystem: the floor under the project's file and process work
///
/// Owns what every layer above needs from the operating system, written once:
/// - `AtomicFile`: write-to-temporary-then-rename with the data and the folder flushed to disk;
///   temporaries are created exclusively and never through a symbolic link.
/// - `TextFile` helpers: read, write atomically, append a line, make a writable folder.
/// - `ChildProcess`: run a program with a time limit, collecting its output.
/// - `Interruption`: Ctrl-C and SIGTERM as a flag a loop reads.
/// - `monotonicSeconds`, standard error, and the number formatting every message shares.
/// - `ExitStatusError`: errors that carry the process exit status they end with.
///
/// It must not know of RBMs, HDF5, configs or training: nothing here imports another module of
/// the project.
public enum RBMSystem {}
