// The zip container torch.save writes (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT):
// the central directory is read, and STORED members are handed out as slices of the memory map.
// Every offset and size read from the file is checked against the file before it is used.

import FileIO

public struct ZipMember: Sendable, Equatable {
    public var name: String
    /// Where the member's bytes lie in the file (after its local header).
    public var dataRange: Range<Int>
    public var crc32: UInt32
}

public final class ZipArchive: @unchecked Sendable {
    public let path: String
    public let members: [String: ZipMember]
    /// Names in central-directory order.
    public let names: [String]
    let file: MappedFile

    public var bytes: UnsafeRawBufferPointer { file.bytes }

    public convenience init(path: String) throws {
        try self.init(file: try MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        let reader = ZipReader(bytes: file.bytes, path: file.path)
        let directory = try reader.centralDirectory()
        var members: [String: ZipMember] = [:]
        var names: [String] = []
        var offset = directory.offset
        for _ in 0..<directory.count {
            let (member, next) = try reader.member(at: offset)
            guard members[member.name] == nil else { throw reader.bad("the name '\(member.name)' appears twice") }
            members[member.name] = member
            names.append(member.name)
            offset = next
        }
        self.members = members
        self.names = names
    }

    /// A member's bytes, still mapped from the file (valid while this archive lives).
    public func data(of member: ZipMember) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[member.dataRange])
    }
}

/// Bounds-checked little-endian reads over the mapped file; every failure is a `badArchive`.
struct ZipReader {
    let bytes: UnsafeRawBufferPointer
    let path: String

    func bad(_ detail: String) -> TorchCheckpointError { .badArchive(path: path, detail: detail) }

    func integer<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, _ what: String) throws -> T {
        let (end, overflow) = offset.addingReportingOverflow(MemoryLayout<T>.size)
        guard offset >= 0, !overflow, end <= bytes.count else {
            throw bad("\(what) at byte \(offset) lies beyond the end of the file (\(bytes.count) bytes)")
        }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// `a + b`, refused when it overflows or passes the end of the file.
    func within(_ a: Int, plus b: Int, _ what: String) throws -> Int {
        let (end, overflow) = a.addingReportingOverflow(b)
        guard a >= 0, b >= 0, !overflow, end <= bytes.count else {
            throw bad("\(what) (\(b) bytes at byte \(a)) runs past the end of the file (\(bytes.count) bytes)")
        }
        return end
    }

    /// The end-of-central-directory record: searched backwards over the largest possible comment.
    func centralDirectory() throws -> (offset: Int, count: Int) {
        guard bytes.count >= 22 else { throw bad("\(bytes.count) bytes, too short for a zip archive") }
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while position >= lowest {
            if try integer(UInt32.self, at: position, "signature") == 0x0605_4b50 { break }
            position -= 1
        }
        guard position >= lowest else { throw bad("no end-of-central-directory record (the archive is truncated or not a zip)") }
        var count = Int(try integer(UInt16.self, at: position + 10, "member count"))
        var size = Int(try integer(UInt32.self, at: position + 12, "directory size"))
        var offset = Int(try integer(UInt32.self, at: position + 16, "directory offset"))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            // zip64: a locator sits right before the record and points at the zip64 record.
            let locator = position - 20
            guard locator >= 0, try integer(UInt32.self, at: locator, "zip64 locator") == 0x0706_4b50 else {
                throw bad("the directory needs zip64 sizes but the zip64 locator is missing")
            }
            let record = try integer(UInt64.self, at: locator + 8, "zip64 record offset")
            guard record <= UInt64(bytes.count), try integer(UInt32.self, at: Int(record), "zip64 record") == 0x0606_4b50 else {
                throw bad("the zip64 locator points at byte \(record), where there is no zip64 record")
            }
            let counts = try integer(UInt64.self, at: Int(record) + 32, "zip64 member count")
            let sizes = try integer(UInt64.self, at: Int(record) + 40, "zip64 directory size")
            let offsets = try integer(UInt64.self, at: Int(record) + 48, "zip64 directory offset")
            guard counts <= UInt64(bytes.count), sizes <= UInt64(bytes.count), offsets <= UInt64(bytes.count) else {
                throw bad("zip64 directory of \(counts) members, \(sizes) bytes at byte \(offsets) does not fit the file")
            }
            (count, size, offset) = (Int(counts), Int(sizes), Int(offsets))
        }
        _ = try within(offset, plus: size, "the central directory")
        // Each directory entry takes at least 46 bytes: a count beyond that is a lie.
        guard count <= size / 46 else { throw bad("the directory claims \(count) members in \(size) bytes") }
        return (offset, count)
    }

    /// One central-directory entry at `offset`, its local header checked; returns the next entry's offset.
    func member(at offset: Int) throws -> (ZipMember, Int) {
        guard try integer(UInt32.self, at: offset, "directory entry") == 0x0201_4b50 else {
            throw bad("no central-directory entry at byte \(offset)")
        }
        let flags = try integer(UInt16.self, at: offset + 8, "flags")
        let method = try integer(UInt16.self, at: offset + 10, "method")
        let crc = try integer(UInt32.self, at: offset + 16, "crc")
        var compressedSize = Int(try integer(UInt32.self, at: offset + 20, "compressed size"))
        var size = Int(try integer(UInt32.self, at: offset + 24, "size"))
        let nameLength = Int(try integer(UInt16.self, at: offset + 28, "name length"))
        let extraLength = Int(try integer(UInt16.self, at: offset + 30, "extra length"))
        let commentLength = Int(try integer(UInt16.self, at: offset + 32, "comment length"))
        var localOffset = Int(try integer(UInt32.self, at: offset + 42, "local header offset"))
        let nameEnd = try within(offset + 46, plus: nameLength, "a member name")
        guard let name = String(validating: UnsafeRawBufferPointer(rebasing: bytes[(offset + 46)..<nameEnd]), as: UTF8.self) else {
            throw bad("a member name at byte \(offset + 46) is not UTF-8")
        }
        let extraEnd = try within(nameEnd, plus: extraLength, "the extra field of '\(name)'")
        let next = try within(extraEnd, plus: commentLength, "the comment of '\(name)'")
        // zip64 extra field (id 1): the 64-bit values of exactly those fields that read 0xFFFFFFFF, in this order.
        var field = nameEnd
        while field + 4 <= extraEnd {
            let id = try integer(UInt16.self, at: field, "extra id")
            let length = Int(try integer(UInt16.self, at: field + 2, "extra length"))
            let end = try within(field + 4, plus: length, "an extra field of '\(name)'")
            guard end <= extraEnd else { throw bad("an extra field of '\(name)' overruns its entry") }
            if id == 1 {
                var cursor = field + 4
                func wide(_ what: String) throws -> Int {
                    guard cursor + 8 <= end else { throw bad("the zip64 field of '\(name)' lacks its \(what)") }
                    let value = try integer(UInt64.self, at: cursor, what)
                    guard value <= UInt64(bytes.count) else { throw bad("'\(name)' has a zip64 \(what) of \(value), beyond the file") }
                    cursor += 8
                    return Int(value)
                }
                if size == 0xFFFF_FFFF { size = try wide("size") }
                if compressedSize == 0xFFFF_FFFF { compressedSize = try wide("compressed size") }
                if localOffset == 0xFFFF_FFFF { localOffset = try wide("offset") }
            }
            field = end
        }
        guard flags & 1 == 0 else { throw bad("'\(name)' is encrypted") }
        guard method == 0, compressedSize == size else {
            throw bad("'\(name)' is compressed (method \(method)); torch.save stores members uncompressed — was the archive repacked?")
        }
        guard try integer(UInt32.self, at: localOffset, "local header of '\(name)'") == 0x0403_4b50 else {
            throw bad("'\(name)' points at byte \(localOffset), where there is no local header")
        }
        let localName = Int(try integer(UInt16.self, at: localOffset + 26, "local name length"))
        let localExtra = Int(try integer(UInt16.self, at: localOffset + 28, "local extra length"))
        let start = try within(try within(localOffset + 30, plus: localName, "a local name"), plus: localExtra, "a local extra field")
        let end = try within(start, plus: size, "the data of '\(name)'")
        return (ZipMember(name: name, dataRange: start..<end, crc32: crc), next)
    }
}

/// CRC-32 (IEEE), to check the small members that are parsed (the pickle), not the mapped weights.
func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}
