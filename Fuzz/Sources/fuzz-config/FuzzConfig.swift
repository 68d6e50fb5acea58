import FuzzSupport
import RBMExperiments

/// Configs and sweeps: the input's first line is tried as a --set override, the whole input
/// as a config and as a sweep file. Any input must give a config or a ConfigError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let firstLine = String(text.prefix { $0 != "\n" })
    _ = try? ConfigLoader.parse(text, file: "fuzz.yaml", overrides: [firstLine])
    _ = try? ConfigLoader.parse(text, file: "fuzz.yaml")
    let path = writeScratchFile("sweep.yaml", data, size)
    _ = try? SweepLoader.load(path: path)
    return 0
}

@_cdecl("fuzz_config_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
