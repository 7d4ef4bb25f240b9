// Headers a stranger could write: every impossible size, offset or shape is an error that names
// the file and the tensor, never a trap.

import Foundation
import Safetensors
import Testing

@Suite("Safetensors hostile headers")
struct HostileHeaderTests {
    /// Reads `header` + `data` from a file and returns the error's description ("" when it loads).
    func message(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) throws -> (String, String) {
        let path = temporaryPath("hostile.safetensors")
        defer { unlink(path) }
        try Data(rawSafetensors(header: header, data: data, declaredLength: declaredLength)).write(to: URL(fileURLWithPath: path))
        do { _ = try SafetensorsFile(path: path); return ("", path) } catch { return (String(describing: error), path) }
    }

    func entry(_ shape: String, dtype: String = "F32", offsets: String = "[0, 16]") -> String {
        #"{"w":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#
    }

    @Test("shapes whose element or byte count overflows are errors naming the tensor", arguments: [
        "[4611686018427387904]",            // 2^62 elements: the byte count overflows
        "[3037000500, 3037000500]",         // just above √(2^63)
        "[4294967296, 4294967296]",         // 2^32 · 2^32
        "[2, 4611686018427387904]",
    ])
    func overflowingShapes(_ shape: String) throws {
        let (text, path) = try message(entry(shape), data: [UInt8](repeating: 0, count: 16))
        #expect(text.hasPrefix(path) && text.contains("'w'"), "\(text)")
        #expect(text.contains("overflow") || text.contains("span 16"), "\(text)")
    }

    @Test("numbers that are not sizes are refused", arguments: [
        ("[-1]", "whole number"), ("[1.5]", "whole number"), ("[1e3]", "whole number"),
        ("[99999999999999999999999]", "whole number"), ("[\"4\"]", "whole number"), ("4", "list of sizes"),
    ])
    func badDimensions(_ shape: String, _ needle: String) throws {
        let (text, path) = try message(entry(shape), data: [UInt8](repeating: 0, count: 16))
        #expect(text.hasPrefix(path) && text.contains("'w'") && text.contains(needle), "\(text)")
    }

    @Test("bad data_offsets are refused", arguments: [
        ("[-16, 0]", "negative"), ("[0, -16]", "negative"), ("[16, 0]", "end before they begin"),
        ("[0, 9223372036854775807]", "ends at byte 9223372036854775807"), ("[0, 99999999999999999999]", "two whole numbers"),
        ("[0]", "two whole numbers"), ("[0, 16, 32]", "two whole numbers"), ("[0.0, 16]", "two whole numbers"),
    ])
    func badOffsets(_ offsets: String, _ needle: String) throws {
        let (text, path) = try message(entry("[4]", offsets: offsets), data: [UInt8](repeating: 0, count: 16))
        #expect(text.hasPrefix(path) && text.contains("'w'") && text.contains(needle), "\(text)")
    }

    @Test func overlappingAndOutOfRangeOffsets() throws {
        let overlap = #"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[7,15]}}"#
        let (o, _) = try message(overlap, data: [UInt8](repeating: 0, count: 16))
        #expect(o.contains("'a'") && o.contains("'b'") && o.contains("overlap"), "\(o)")
        let same = #"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#
        let (s, _) = try message(same, data: [UInt8](repeating: 0, count: 16))
        #expect(s.contains("overlap"), "\(s)")
        let (r, _) = try message(entry("[4]", offsets: "[8, 24]"), data: [UInt8](repeating: 0, count: 16))
        #expect(r.contains("'w'") && r.contains("ends at byte 24"), "\(r)")
        // Empty tensors at one offset share no bytes: allowed.
        let empties = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0, 3],"data_offsets":[0,0]}}"#
        #expect(try message(empties).0 == "")
    }

    @Test("header lengths that are huge, negative as Int64, or past the end")
    func headerLengths() throws {
        for length: UInt64 in [UInt64.max, 1 << 63, UInt64(Int.max), 100_000_001] {
            let (text, path) = try message("{}", declaredLength: length)
            #expect(text.hasPrefix(path) && text.contains("\(length)") && text.contains("implausibly large"), "\(text)")
        }
        let (text, _) = try message("{}", declaredLength: 1)  // "{" alone
        #expect(text.contains("not valid JSON"), "\(text)")
        let (past, _) = try message("{}", declaredLength: 4096)
        #expect(past.contains("truncated") && past.contains("4096"), "\(past)")
    }

    @Test("duplicate keys are refused, at the top level and inside an entry")
    func duplicateKeys() throws {
        let twice = #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        let (t, _) = try message(twice, data: [0, 0])
        #expect(t.contains("'w' appears twice"), "\(t)")
        let inner = #"{"w":{"dtype":"U8","shape":[1],"shape":[2],"data_offsets":[0,1]}}"#
        let (i, _) = try message(inner, data: [0, 0])
        #expect(i.contains("'shape' appears twice"), "\(i)")
    }

    @Test("headers that are not objects, or entries that are not entries", arguments: [
        ("[]", "an array, not a JSON object"), ("42", "a number, not a JSON object"), ("\"x\"", "a string, not a JSON object"),
        ("null", "null, not a JSON object"), (#"{"w": 3}"#, "'w' is a number"), (#"{"w": {"dtype": "F32"}}"#, "lacks shape, data_offsets"),
        (#"{"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#, "has dtype 7"),
        (#"{"__metadata__": [1]}"#, "__metadata__ is an array"),
        ("{\"a\": \"\u{1}\"}", "control character"), (#"{"a": "\ud800"}"#, "surrogate"), ("{} x", "after the end"),
        (String(repeating: "[", count: 100_000), "nested more than"), ("{\"a\":01}", "leading zero"),
    ])
    func notEntries(_ header: String, _ needle: String) throws {
        let (text, path) = try message(header)
        #expect(text.hasPrefix(path) && text.contains(needle), "\(text)")
    }

    @Test("unknown dtypes name the tensor and the dtype", arguments: ["F8_E4M3", "f32", "", "COMPLEX64"])
    func unknownDTypes(_ dtype: String) throws {
        let (text, path) = try message(entry("[4]", dtype: dtype), data: [UInt8](repeating: 0, count: 16))
        #expect(text.hasPrefix(path) && text.contains("'w'") && text.contains("dtype \(dtype)") && text.contains("supported"), "\(text)")
    }

    @Test("escaped names, metadata and padding read as the reference writer writes them")
    func validCornerCases() throws {
        let header = #"{"__metadata__":{"format":"pt","n":3},"a\u00e9\"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   "#
        let path = temporaryPath("ok.safetensors")
        defer { unlink(path) }
        try Data(rawSafetensors(header: header, data: [7, 9])).write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(path: path)
        #expect(file.names == ["aé\"b"])
        #expect(try file.integerValues("aé\"b") == [7, 9])
        #expect(file.metadata == ["format": "pt", "n": "3"])
    }
}
