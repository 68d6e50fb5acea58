import Foundation
import Testing
@testable import RBMData

@Suite struct IDXReaderTests {
    @Test(arguments: [false, true])
    func readsPlainAndGzipFilesWithTheirDimensions(gzip: Bool) throws {
        let folder = IDXTestFolder()
        defer { folder.remove() }
        let body = (0..<(3 * 4 * 5)).map { UInt8($0) }
        let path = folder.write("x-idx3-ubyte", IDXTestFolder.idxBytes(dimensions: [3, 4, 5], body: body), gzip: gzip)
        let array = try IDXArray.read(path: path)
        #expect(array.dimensions == [3, 4, 5])
        #expect(array.bytes == body)
    }

    @Test func badMagicNumberIsNamedWithTheFile() {
        let bytes: [UInt8] = [0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0, count: 20)
        #expect(throws: DataError.badMagic(path: "bad.idx", found: [0x1F, 0x8B, 0x08, 0x00])) {
            try IDXArray.parse(bytes, path: "bad.idx")
        }
        let message = "\(DataError.badMagic(path: "bad.idx", found: [0x1F, 0x8B, 0x08, 0x00]))"
        #expect(message.contains("bad.idx") && message.contains("not an IDX file"))
    }

    @Test func unsupportedElementTypeIsRejected() {
        var bytes = IDXTestFolder.idxBytes(dimensions: [2], body: [1, 2])
        bytes[2] = 0x0D  // float32
        #expect(throws: DataError.unsupportedElementType(path: "f.idx", code: 0x0D)) {
            try IDXArray.parse(bytes, path: "f.idx")
        }
    }

    @Test func truncatedBodyReportsExpectedAndFoundBytes() {
        let bytes = IDXTestFolder.idxBytes(dimensions: [10, 2, 2], body: [UInt8](repeating: 7, count: 30))
        #expect(throws: DataError.truncated(path: "t.idx", expectedBytes: 40, foundBytes: 30)) {
            try IDXArray.parse(bytes, path: "t.idx")
        }
    }

    @Test func truncatedHeaderIsReported() {
        let bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 10]
        #expect(throws: DataError.truncated(path: "h.idx", expectedBytes: 16, foundBytes: 8)) {
            try IDXArray.parse(bytes, path: "h.idx")
        }
    }

    @Test func wrongCountInTheHeaderIsReported() {
        // The header says 3 items of 4 bytes; the body holds 5 items.
        let bytes = IDXTestFolder.idxBytes(dimensions: [3, 4], body: [UInt8](repeating: 1, count: 20))
        #expect(throws: DataError.trailingBytes(path: "c.idx", expectedBytes: 12, foundBytes: 20)) {
            try IDXArray.parse(bytes, path: "c.idx")
        }
    }

    @Test func zeroDimensionIsRejected() {
        let bytes = IDXTestFolder.idxBytes(dimensions: [0, 4], body: [])
        #expect(throws: DataError.badDimensions(path: "z.idx", detail: "dimension 0 is 0")) {
            try IDXArray.parse(bytes, path: "z.idx")
        }
    }

    @Test func corruptGzipStreamIsAnErrorNotGarbage() throws {
        let folder = IDXTestFolder()
        defer { folder.remove() }
        let body = (0..<5000).map { UInt8($0 * 7 % 251) }
        let path = folder.write("g-idx1-ubyte", IDXTestFolder.idxBytes(dimensions: [5000], body: body), gzip: true)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data = data.prefix(data.count / 2)
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: DataError.self) { try IDXArray.read(path: path) }
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: DataError.self) { try IDXArray.read(path: "/nonexistent/file-idx3-ubyte.gz") }
        do {
            _ = try IDXArray.read(path: "/nonexistent/file-idx3-ubyte.gz")
        } catch {
            #expect("\(error)".contains("/nonexistent/file-idx3-ubyte.gz"))
        }
    }

    @Test func folderLoadsSplitsWithLabelsAndHoldsOutTheLastSamples() throws {
        let folder = IDXTestFolder()
        defer { folder.remove() }
        folder.writeImageSet(prefix: "train", count: 30, rows: 4, columns: 3, gzip: true)
        folder.writeImageSet(prefix: "t10k", count: 8, rows: 4, columns: 3, gzip: false)
        let splits = try IDXFolder.load(folder: folder.path, validationCount: 10)
        #expect(splits.train.count == 20 && splits.validation?.count == 10 && splits.test?.count == 8)
        #expect(splits.train.featureCount == 12)
        #expect(splits.train.imageShape?.rows == 4 && splits.train.imageShape?.columns == 3)
        // Validation = samples 20..<30 of the file, pixels scaled to [0, 1].
        let validation = try splits.validation!.firstRows(.max), train = try splits.train.firstRows(.max)
        #expect(validation.values[0] == Float(IDXTestFolder.pixel(20 * 12)) / 255)
        #expect(validation.labels![0] == 0 && train.labels![3] == 3)
    }

    @Test func imageAndLabelCountsMustAgree() {
        let folder = IDXTestFolder()
        defer { folder.remove() }
        folder.writeImageSet(prefix: "train", count: 30, rows: 2, columns: 2, gzip: true, labelCount: 29)
        #expect {
            try IDXFolder.load(folder: folder.path, validationCount: 0)
        } throws: { error in
            guard case let DataError.countMismatch(_, _, images, labels) = error else { return false }
            return images == 30 && labels == 29
        }
    }

    @Test func folderWithoutImagesSaysWhichFilesItLookedFor() {
        let folder = IDXTestFolder()
        defer { folder.remove() }
        do {
            _ = try IDXFolder.load(folder: folder.path, validationCount: 0)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("train-images-idx3-ubyte.gz"))
        }
    }
}
