import FuzzSupport
import RBMData

/// The readers of users' own data: the .npy header parser and a mapped .npy over the same
/// bytes (rows read and released), the .npz (zip) reader, and the CSV parser line by line.
/// Any input must give data or a DataError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? NPYHeader.parse(bytes, path: "fuzz")
    let path = writeScratchFile("input.npy", data, size)
    if let array = try? NPYArray(path: path),
       let source = try? NPYSource(values: array, labels: nil, scale: 1, imageShape: nil, source: path),
       source.featureCount <= 1 << 12 {
        let rows = min(source.count, 64)
        var buffer = [Float](repeating: 0, count: rows * source.featureCount)
        buffer.withUnsafeMutableBufferPointer { _ = try? source.copyRows(0..<rows, into: $0.baseAddress!) }
        _ = try? source.labels(0..<rows)
        source.release(0..<rows)
    }
    let archivePath = writeScratchFile("input.npz", data, size)
    if let archive = try? NPZArchive(path: archivePath) {
        for name in archive.entries.keys.prefix(4) { _ = try? archive.array(name) }
    }
    var parser = CSVTable.Parser(path: "fuzz.csv", header: .auto, labelColumn: size % 2 == 0 ? "" : "label", scale: 1)
    var failed = false
    for line in bytes.split(separator: 10, omittingEmptySubsequences: false) where !failed {
        line.withUnsafeBufferPointer { failed = (try? parser.consume($0)) == nil }
    }
    if !failed { _ = try? parser.finish(imageShape: nil) }
    return 0
}

@_cdecl("fuzz_data_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
