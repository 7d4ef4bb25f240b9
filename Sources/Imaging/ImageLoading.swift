// One entry point for reading an image file: sniff the format, decode, return 8-bit RGB.

import FileIO

/// The image formats `decodeImage` recognises from their first bytes.
public enum ImageFormat: String, Sendable {
    case png
    case jpeg

    /// Sniffs the magic bytes: PNG's 8-byte signature, or JPEG's SOI marker FF D8 FF.
    public init?(sniffing bytes: UnsafeRawBufferPointer) {
        if bytes.count >= 8 && zip(bytes.prefix(8), pngSignature).allSatisfy({ $0 == $1 }) {
            self = .png
        } else if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF {
            self = .jpeg
        } else {
            return nil
        }
    }
}

/// Reads a PNG or JPEG file and returns what Pillow 11.3's `Image.open(path).convert("RGB")`
/// returns, byte for byte (see PNGCodec.swift and JPEGCodec.swift for the per-mode rules).
public func loadImage(path: String) throws -> RGBImage {
    let file: MappedFile
    do {
        file = try MappedFile(path: path)
    } catch let error as FileError {
        switch error {
        case .notFound: throw ImagingError.unreadable(name: path, reason: "no such file")
        case .isDirectory: throw ImagingError.unreadable(name: path, reason: "is a directory, expected an image file")
        case .unreadable(_, let reason): throw ImagingError.unreadable(name: path, reason: reason)
        // Already one sentence naming the path ("…: is a FIFO (named pipe), expected a regular file").
        default: throw error
        }
    }
    return try withExtendedLifetime(file) {
        try decodeImage(bytes: file.bytes, name: path)
    }
}

/// Decodes PNG or JPEG bytes held in memory; `name` (a path or a label) is used in errors.
public func decodeImage(bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
    guard bytes.count > 0 else { throw ImagingError.empty(name: name) }
    switch ImageFormat(sniffing: bytes) {
    case .png: return try decodePNG(bytes: bytes, name: name)
    case .jpeg: return try decodeJPEG(bytes: bytes, name: name)
    case nil:
        // A PNG cut inside its signature is still a PNG to the person who has to fix it.
        if bytes.count < 8 && zip(bytes, pngSignature).allSatisfy({ $0 == $1 }) {
            throw ImagingError.corruptPNG(name: name, detail: "truncated inside the signature")
        }
        throw ImagingError.unknownFormat(name: name)
    }
}

/// Decodes PNG or JPEG bytes held in memory; `name` (a path or a label) is used in errors.
public func decodeImage(bytes: [UInt8], name: String) throws -> RGBImage {
    try bytes.withUnsafeBytes { try decodeImage(bytes: $0, name: name) }
}
