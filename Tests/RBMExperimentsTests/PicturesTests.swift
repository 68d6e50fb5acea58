import CZlib
import Foundation
import RBMSystem
import Testing
import RBM
@testable import RBMExperiments

/// Reads a PNG's chunks without libpng: checks the signature and every chunk's CRC-32, and
/// returns IHDR's width and height.
func pngHeader(_ path: String) throws -> (width: Int, height: Int, chunks: [String]) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
    func u32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
    var offset = 8
    var chunks: [String] = []
    var size = (0, 0)
    while offset + 12 <= bytes.count {
        let length = u32(offset)
        let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
        let crcStored = UInt(u32(offset + 8 + length))
        let crc = bytes[(offset + 4)..<(offset + 8 + length)].withUnsafeBufferPointer {
            crc32(0, $0.baseAddress, UInt32($0.count))
        }
        #expect(UInt(crc) == crcStored, "CRC of \(type)")
        if type == "IHDR" { size = (u32(offset + 8), u32(offset + 12)) }
        chunks.append(type)
        offset += 12 + length
    }
    return (size.0, size.1, chunks)
}

@Suite struct PicturesTests {
    @Test func pngRoundTripsThroughLibpngAndHasValidChunks() throws {
        let path = NSTemporaryDirectory() + "rbm-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var image = GrayImage(width: 7, height: 5)
        for y in 0..<5 { for x in 0..<7 { image[x, y] = UInt8(x * 30 + y) } }
        try PNG.write(image, to: path)
        let header = try pngHeader(path)
        #expect(header.width == 7 && header.height == 5 && header.chunks.first == "IHDR" && header.chunks.last == "IEND")
        #expect(try PNG.read(path) == image)
    }

    @Test func filterGridHasOneTilePerHiddenUpToTheLimit() {
        let model = RBMModel.initialized(visibleCount: 784, hiddenCount: 500, seed: 1)
        let image = Pictures.filters(model: model, shape: (28, 28))
        // 256 tiles: a 16 × 16 grid of 28 × 28 tiles with 1-pixel borders.
        #expect(image.width == 16 * 29 + 1 && image.height == 16 * 29 + 1)
        let small = Pictures.filters(model: RBMModel.initialized(visibleCount: 36, hiddenCount: 10, seed: 1), shape: (6, 6))
        #expect(small.width == 4 * 7 + 1 && small.height == 3 * 7 + 1)
    }

    @Test func tilesAreContrastNormalisedPerTile() {
        let image = Pictures.tiled([[0, 1, 2, 3], [10, 10, 10, 20]], shape: (2, 2), gridColumns: 2, scaling: .perTile)
        #expect(image[1, 1] == 0 && image[2, 2] == 255)        // first tile: 0 → black, 3 → white
        #expect(image[4, 1] == 0 && image[5, 2] == 255)        // second tile stretched on its own
        #expect(image[0, 0] == 128)                            // border
    }

    @Test func nonImageDataGetsASquareishTiling() {
        #expect(Pictures.tileShape(featureCount: 784, imageShape: (28, 28)) == (28, 28))
        #expect(Pictures.tileShape(featureCount: 36, imageShape: nil) == (6, 6))
        #expect(Pictures.tileShape(featureCount: 10, imageShape: nil) == (3, 4))
        #expect(Pictures.tileShape(featureCount: 7, imageShape: (2, 2)) == (3, 3))
    }

    @Test func runWritesPicturesCurvesAndAReportThatReferencesThem() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.epochs=3", "training.sampler=pcd", "evaluation.every=3"])
        let result = try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()
        let filters = try pngHeader(result.folder + "/filters.png")
        #expect(filters.width == 3 * 7 + 1 && filters.height == 3 * 7 + 1)    // 8 hidden units of 6 × 6
        let reconstructions = try pngHeader(result.folder + "/reconstructions.png")
        #expect(reconstructions.width == 10 * 7 + 1 && reconstructions.height == 4 * 7 + 1)  // 20 images, 2 pairs of rows
        let samples = try pngHeader(result.folder + "/samples.png")
        #expect(samples.width == 4 * 7 + 1)                                   // 10 chains (the batch size)
        let html = try String(contentsOfFile: result.folder + "/report.html", encoding: .utf8)
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(Set(sources) == ["filters.png", "reconstructions.png", "samples.png", "curves.svg"])
        for source in sources { #expect(FileManager.default.fileExists(atPath: result.folder + "/" + source)) }
        let last = try #require(result.history.last)
        #expect(html.contains(format(last.reconstructionError, 3)))
        #expect(html.contains(format(try #require(last.logLikelihood), 2)))
        #expect(!html.contains("http://") && !html.contains("https://"), "no network references")
        let svg = try String(contentsOfFile: result.folder + "/curves.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("log-likelihood"))
    }
}
