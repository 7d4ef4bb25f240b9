// Decoding equals Pillow 11.3's Image.open(path).convert("RGB"), byte for byte.

import Imaging
import Testing
import TestSupport

/// Files the decoder refuses on purpose (see PNGCodec.swift): they must fail cleanly, naming the file.
let knownUnsupported: Set<String> = ["rgba16.png"]

@Suite struct DecodeTests {
    @Test(arguments: ImageManifest.shared.decode)
    func decodeMatchesPillow(_ c: DecodeCase) throws {
        let path = fixturePath("imaging/" + c.file)
        if knownUnsupported.contains(c.file) {
            do {
                _ = try loadImage(path: path)
                Issue.record("\(c.file) decoded although it is listed as unsupported")
            } catch let error as ImagingError {
                guard case .unsupported = error else { Issue.record("unexpected error \(error)"); return }
                #expect(error.description.contains(path))
            }
            return
        }
        let image = try loadImage(path: path)
        #expect(image.width == c.width)
        #expect(image.height == c.height)
        let expected = try fixtureBytes(c.expected)
        #expect(firstDifference(image.pixels, expected) == "equal", "\(c.file)")
    }

    @Test(arguments: ImageManifest.shared.decode.filter { !knownUnsupported.contains($0.file) })
    func decodeFromMemoryMatchesFile(_ c: DecodeCase) throws {
        let bytes = try fixtureBytes(c.file)
        let fromMemory = try decodeImage(bytes: bytes, name: c.file)
        let fromFile = try loadImage(path: fixturePath("imaging/" + c.file))
        #expect(fromMemory == fromFile)
    }

    @Test(arguments: ImageManifest.shared.corrupt)
    func corruptFilesThrowNamingTheFile(_ c: CorruptCase) {
        let path = fixturePath("imaging/" + c.file)
        do {
            let image = try loadImage(path: path)
            Issue.record("\(c.file) decoded to \(image.width)×\(image.height); expected an ImagingError")
        } catch let error as ImagingError {
            #expect(error.description.contains(path), "\(error)")
        } catch {
            Issue.record("\(c.file): expected an ImagingError, got \(type(of: error)): \(error)")
        }
    }

    @Test func missingFileIsAnImagingError() {
        let path = fixturePath("imaging/does-not-exist.png")
        #expect(throws: ImagingError.unreadable(name: path, reason: "no such file")) {
            try loadImage(path: path)
        }
    }

    @Test func unknownFormatSaysWhatIsSupported() throws {
        let error = #expect(throws: ImagingError.self) { try decodeImage(bytes: Array("GIF89a....".utf8), name: "x.gif") }
        #expect(error == .unknownFormat(name: "x.gif"))
        #expect(error?.description.contains("PNG") == true)
        #expect(error?.description.contains("JPEG") == true)
    }

    @Test func everyTruncationOfAPNGFailsCleanly() throws {
        // Every prefix of a valid PNG throws an ImagingError (never crashes), except the one that
        // lacks only the 12-byte IEND chunk: Pillow reads that, and so must we, to the same pixels.
        let bytes = try fixtureBytes("palette4.png")
        let full = try decodeImage(bytes: bytes, name: "palette4.png")
        for n in 0..<bytes.count {
            do {
                let image = try decodeImage(bytes: Array(bytes.prefix(n)), name: "cut.png")
                #expect(n == bytes.count - 12, "prefix of \(n) of \(bytes.count) bytes decoded")
                #expect(image == full)
            } catch is ImagingError {
                #expect(n != bytes.count - 12, "PNG without IEND was refused")
            }
        }
    }

    @Test func hugeDimensionsAreRefusedWithoutAllocating() throws {
        // An IHDR claiming 4294967295 × 4294967295 (valid CRC) must not overflow or allocate.
        var png = try fixtureBytes("rgb8.png")
        for i in 16..<24 { png[i] = 0xFF }
        var c: UInt32 = 0xFFFF_FFFF
        for b in png[12..<29] {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        c ^= 0xFFFF_FFFF
        png[29] = UInt8(c >> 24); png[30] = UInt8((c >> 16) & 0xFF); png[31] = UInt8((c >> 8) & 0xFF); png[32] = UInt8(c & 0xFF)
        let error = #expect(throws: ImagingError.self) { _ = try decodeImage(bytes: png, name: "huge.png") }
        #expect(error?.description.contains("huge.png") == true)
    }

    @Test func truncationsOfAJPEGFailCleanly() throws {
        let bytes = try fixtureBytes("progressive.jpg")
        for n in stride(from: 0, to: bytes.count - 2, by: 7) {
            #expect(throws: ImagingError.self, "prefix of \(n) bytes") { _ = try decodeImage(bytes: Array(bytes.prefix(n)), name: "cut.jpg") }
        }
    }
}
