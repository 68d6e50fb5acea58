import FuzzSupport
import RBMStore

/// HDF5 files as checkpoints, feature files and anything `rbm inspect` is pointed at.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeScratchFile("input.h5", data, size)
    _ = try? Checkpoint.read(path: path)
    _ = try? Inspection.describe(path: path)
    return 0
}

@_cdecl("fuzz_hdf5_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
