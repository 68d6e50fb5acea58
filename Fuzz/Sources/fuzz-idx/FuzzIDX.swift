import FuzzSupport
import RBMData

/// IDX headers and bodies: the in-memory parser, and the streaming reader over the same bytes
/// as a file (plain; gzip framing is zlib's). Any input must give data or a DataError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? IDXArray.parse(bytes, path: "fuzz")
    let path = writeScratchFile("input-idx3-ubyte", data, size)
    if let reader = try? IDXRowReader(path: path), reader.count <= 1 << 16, reader.rowSize <= 1 << 16 {
        var buffer: [UInt8] = []
        var remaining = reader.count
        while remaining > 0 {
            let rows = min(remaining, 7)
            if (try? reader.readRows(rows, into: &buffer)) == nil { break }
            remaining -= rows
        }
        if remaining == 0 { _ = try? reader.checkEnd() }
    }
    return 0
}

@_cdecl("fuzz_idx_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
