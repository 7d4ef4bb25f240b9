// Reading a config file a user pointed us at: through MappedFile, so a FIFO or device named
// config.json is refused instead of waited on, and with a size limit before any parsing.

import FileIO
import Foundation

/// More than any real config: COCO-panoptic's config.json is ~8 KB, ADE20K-full's 847 labels ~40 KB.
let configFileLimit = 16 << 20

/// The bytes of `path`, or a one-line error naming it (missing, not a regular file, too large).
func configFileBytes(path: String) throws -> Data {
    let file = try MappedFile(path: path)
    guard file.count <= configFileLimit else {
        throw ModelError.badConfig(file: path, detail: "\(file.count) bytes is too large for a config file (at most \(configFileLimit)); is this the right file?")
    }
    return Data(file.bytes)
}
