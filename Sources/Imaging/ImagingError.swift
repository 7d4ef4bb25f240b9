// The errors of the Imaging module, written for the person who has to fix them.

/// Why an image could not be read, decoded, encoded or written. `description` is one sentence
/// that names the file (or value), says what is wrong and what to do.
public enum ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read (missing, a directory, permissions).
    case unreadable(name: String, reason: String)
    /// The file has zero bytes.
    case empty(name: String)
    /// The first bytes are neither a PNG nor a JPEG signature.
    case unknownFormat(name: String)
    /// A PNG that libpng (or the chunk walk before it) rejected: truncated, bad CRC, bad zlib data...
    case corruptPNG(name: String, detail: String)
    /// A JPEG that libjpeg-turbo rejected, or one that ends early.
    case corruptJPEG(name: String, detail: String)
    /// A valid file whose flavour this decoder cannot reproduce exactly.
    case unsupported(name: String, detail: String)
    /// An image larger than the decoder is willing to allocate.
    case tooLarge(name: String, width: Int, height: Int)
    /// `RGBImage(width:height:pixels:)` got a pixel buffer of the wrong size, or bad dimensions.
    case invalidPixelBuffer(width: Int, height: Int, count: Int)
    /// A colour string that is not `#rrggbb`.
    case invalidColor(String)
    /// libpng refused to encode the image.
    case encodeFailed(detail: String)
    /// The destination exists and the caller asked not to replace it.
    case wouldOverwrite(path: String)
    /// The destination could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let name, let reason):
            return "\(name): cannot read the image: \(reason); check the path and its permissions"
        case .empty(let name):
            return "\(name): the file is empty (0 bytes); re-export or re-download the image"
        case .unknownFormat(let name):
            return "\(name): not a PNG or JPEG file (its first bytes match neither signature); only PNG and JPEG are supported, convert the image to one of them"
        case .corruptPNG(let name, let detail):
            return "\(name): corrupt or truncated PNG (\(detail)); re-export or re-download the image"
        case .corruptJPEG(let name, let detail):
            return "\(name): corrupt or truncated JPEG (\(detail)); re-export or re-download the image"
        case .unsupported(let name, let detail):
            return "\(name): unsupported image (\(detail)); convert it to an 8-bit RGB PNG or a JPEG"
        case .tooLarge(let name, let width, let height):
            return "\(name): image of \(width)×\(height) pixels is too large to decode; downscale it first"
        case .invalidPixelBuffer(let width, let height, let count):
            let area = max(0, width).multipliedReportingOverflow(by: max(0, height))
            let bytes = area.partialValue.multipliedReportingOverflow(by: 3)
            let expected = area.overflow || bytes.overflow ? "more bytes than memory holds" : "\(bytes.partialValue)"
            return "RGB image of \(width)×\(height): pixel buffer holds \(count) bytes, expected width·height·3 = \(expected) with non-negative dimensions; pass a buffer of the right size"
        case .invalidColor(let text):
            return "'\(text)': not a colour; write it as #rrggbb with six hexadecimal digits, e.g. #1f77b4"
        case .encodeFailed(let detail):
            return "PNG encoding failed: \(detail); check the image dimensions"
        case .wouldOverwrite(let path):
            return "\(path): already exists; refusing to replace it, choose another path or allow overwriting"
        case .unwritable(let path, let reason):
            return "\(path): cannot write: \(reason); check the directory exists and is writable"
        }
    }
}
