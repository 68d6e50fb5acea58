import CPNG
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// An 8-bit grayscale picture, rows top to bottom.
public struct GrayImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, fill: UInt8 = 0) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: fill, count: width * height)
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

/// A PNG that could not be written or read.
public struct PNGError: ExitStatusError {
    public var path: String
    public var detail: String
    public var description: String { "\(path): \(detail)" }
}

/// PNG files through libpng's simplified API.
public enum PNG {
    /// Encodes `image` in memory, then writes the bytes to `path` atomically (`AtomicFile`):
    /// a full disk is "no space left on device" with the room needed, and `path` keeps its
    /// old contents.
    public static func write(_ image: GrayImage, to path: String) throws(PNGError) {
        let bytes: [UInt8]
        do { bytes = try encode(image) } catch { throw PNGError(path: path, detail: error.detail) }
        try write(bytes, to: path)
    }

    /// The PNG file's bytes for `image`.
    public static func encode(_ image: GrayImage) throws(PNGError) -> [UInt8] {
        var bytes: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer {
            rbm_png_encode_gray(UInt32(image.width), UInt32(image.height), $0.baseAddress, &bytes, &size)
        }
        guard status == 0, let bytes else {
            throw PNGError(path: "(memory)", detail: "libpng could not encode a \(image.width)×\(image.height) picture")
        }
        defer { free(bytes) }
        return Array(UnsafeBufferPointer(start: bytes, count: size))
    }

    static func write(_ bytes: [UInt8], to path: String) throws(PNGError) {
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw PNGError(path: path, detail: "cannot write PNG: \(error.reason)")
        }
    }

    public static func read(_ path: String) throws(PNGError) -> GrayImage {
        var width: UInt32 = 0, height: UInt32 = 0
        var pixels: UnsafeMutablePointer<UInt8>?
        guard rbm_png_read_gray(path, &width, &height, &pixels) == 0, let pixels else {
            throw PNGError(path: path, detail: "not a readable PNG")
        }
        defer { free(pixels) }
        var image = GrayImage(width: Int(width), height: Int(height))
        image.pixels = Array(UnsafeBufferPointer(start: pixels, count: Int(width * height)))
        return image
    }
}
