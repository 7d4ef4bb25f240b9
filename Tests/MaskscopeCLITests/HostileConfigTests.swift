// A hostile user's model folders: configs with zero, negative, fractional, huge or mistyped fields, a
// processor size no machine can run, NaN weights. Each must end quickly in one `maskscope:` line that
// names the file and the field, with status 1 (2 for usage), and never in a trap or a runaway allocation.

import Foundation
import Safetensors
import TensorCore
import TestSupport
import Testing

/// What one bounded run of maskscope did.
struct BoundedRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var seconds: Double
}

/// `RunningMaskscope` with a deadline: the child is killed (and the test fails) if it runs past `timeout`.
func runMaskscopeWithin(_ timeout: TimeInterval, _ arguments: [String], environment extra: [String: String] = [:]) throws -> BoundedRun {
    var environment = ProcessInfo.processInfo.environment
    for (key, value) in extra { environment[key] = value }
    let start = Date()
    let run = try RunningMaskscope(arguments, environment: environment)
    let result = run.wait(timeout: timeout)
    return BoundedRun(status: result?.status ?? run.process.terminationStatus, stdout: result?.stdout ?? "",
                      stderr: result?.stderr ?? run.stderr, timedOut: result == nil, seconds: Date().timeIntervalSince(start))
}

/// A copy of the tiny fixture model in a temporary folder, whose JSON files a test then breaks.
struct HostileModelFolder {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "maskscope-hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["config.json", "preprocessor_config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: fixturePath("models/tiny-w7/\(file)"), toPath: folder + "/" + file)
        }
    }

    /// Sets `field` (dotted into nested objects) of `file` to the JSON `value`, written as raw text so
    /// values JSONSerialization would normalise (1e300, 1e-45) reach the file as a user typed them.
    func set(_ field: String, to value: String, in file: String) throws {
        let path = folder + "/" + file
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let placeholder = "@@HOSTILE@@"
        let keys = field.split(separator: ".").map(String.init)
        if keys.count == 2 {
            var inner = object[keys[0]] as? [String: Any] ?? [:]
            inner[keys[1]] = placeholder
            object[keys[0]] = inner
        } else {
            object[field] = placeholder
        }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        try text.replacingOccurrences(of: "\"\(placeholder)\"", with: value).write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// What every refusal must look like: status 1 or 2, one `maskscope:` line naming `file` and `field`, in time.
func expectCleanRefusal(_ run: BoundedRun, file: String, field: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let r = run
    #expect(!run.timedOut, "still running after \(Int(run.seconds)) s", sourceLocation: sourceLocation)
    #expect(r.status == 1 || r.status == 2, "status \(r.status) (a trap is 132/133/134 or a signal); stderr: \(r.stderr)", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.count == 1 && r.stderr.hasPrefix("maskscope: ") && r.stderr.hasSuffix("\n"), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(file + ": ") && r.stderr.contains(field), "want \(file) and \(field) named; stderr: \(r.stderr)",
            sourceLocation: sourceLocation)
}

@Suite("Hostile model folders")
struct HostileConfigTests {
    let image = fixturePath("reference/images/scene-120x90.png")
    let timeout: TimeInterval = 30

    @Test("hostile config.json fields end in one line naming the field", arguments: [
        ("num_attention_heads", "0", "num_attention_heads is 0; must be a positive divisor of hidden_dim (32)"),
        ("backbone_config.num_heads", "[1, 0, 4, 8]", "backbone_config.num_heads[1] is 0"),
        ("backbone_config.depths", "[2, -1, 2, 2]", "backbone_config.depths[1] is -1"),
        ("backbone_config.depths", "[1e9, 2, 2, 2]", "backbone_config.depths[0] is 1000000000"),
        ("num_labels", "-5", "num_labels is -5"),
        ("num_labels", "1e10", "num_labels is 10000000000"),
        ("backbone_config.mlp_ratio", "1e300", "backbone_config.mlp_ratio is 1e+300"),
        ("decoder_layers", "1e9", "decoder_layers is 1000000000"),
        ("encoder_layers", "1e9", "encoder_layers is 1000000000"),
        ("num_queries", "1e18", "num_queries is 1e+18"),
        ("hidden_dim", "\"x\"", "hidden_dim is \"x\" (a string)"),
        ("feature_size", "-32", "feature_size is -32"),
    ])
    func hostileConfig(_ field: String, _ value: String, _ expected: String) throws {
        let model = try HostileModelFolder()
        defer { model.remove() }
        try model.set(field, to: value, in: "config.json")
        expectCleanRefusal(try runMaskscopeWithin(timeout, ["predict", image, "--model", model.folder]), file: "config.json", field: expected)
    }

    @Test("hostile preprocessor_config.json fields end in one line naming the field", arguments: [
        ("size", "1e6", "size is 1000000; must be an integer from 1 to 16384"),
        ("size", "1e5", "size is 100000"),
        ("size", "{\"shortest_edge\": 1e6, \"longest_edge\": 2e6}", "size.shortest_edge is 1000000"),
        ("size", "{\"shortest_edge\": 0, \"longest_edge\": 100}", "size.shortest_edge is 0"),
        ("size", "-3", "size is -3"),
        ("size_divisor", "1e5", "size_divisor is 100000"),
        ("size_divisor", "1e9", "size_divisor is 1000000000"),
        ("rescale_factor", "\"x\"", "rescale_factor is \"x\" (a string)"),
        ("rescale_factor", "-1", "rescale_factor is -1"),
        ("image_std", "[0.229, 1e-45, 0.225]", "image_std[1] is 1e-45"),
        ("image_mean", "[0.5, 1e300, 0.5]", "image_mean[1] is 1e+300"),
    ])
    func hostileProcessor(_ field: String, _ value: String, _ expected: String) throws {
        let model = try HostileModelFolder()
        defer { model.remove() }
        try model.set(field, to: value, in: "preprocessor_config.json")
        expectCleanRefusal(try runMaskscopeWithin(timeout, ["predict", image, "--model", model.folder]),
                           file: "preprocessor_config.json", field: expected)
    }

    @Test("a processor size the memory limit cannot hold is refused at load, quickly, saying how much and how to raise it")
    func memoryRefusal() throws {
        let model = try HostileModelFolder()
        defer { model.remove() }
        try model.set("size", to: "{\"height\": 16384, \"width\": 16384}", in: "preprocessor_config.json")
        let viaOption = try runMaskscopeWithin(timeout, ["predict", image, "--model", model.folder, "--memory-limit", "2"])
        expectCleanRefusal(viaOption, file: "preprocessor_config.json", field: "size")
        #expect(viaOption.seconds < 10 && viaOption.stderr.contains("a forward pass at 16384×16384 (w×h) needs about")
                && viaOption.stderr.contains("memory limit of 2.0 GiB (--memory-limit 2)")
                && viaOption.stderr.contains("--memory-limit <GiB> or MASKSCOPE_MEMORY_LIMIT"), "\(viaOption.stderr)")
        let viaEnvironment = try runMaskscopeWithin(timeout, ["inspect", model.folder], environment: ["MASKSCOPE_MEMORY_LIMIT": "1G"])
        expectCleanRefusal(viaEnvironment, file: "preprocessor_config.json", field: "size")
        #expect(viaEnvironment.stderr.contains("(MASKSCOPE_MEMORY_LIMIT=1G)"), "\(viaEnvironment.stderr)")
        // Raised far enough, the same folder loads (inspect runs no forward pass).
        let raised = try runMaskscopeWithin(timeout, ["inspect", model.folder], environment: ["MASKSCOPE_MEMORY_LIMIT": "1T"])
        #expect(raised.status == 0, "\(raised.stderr)")
    }

    @Test("a malformed memory limit is a usage error (option) or a one-line error (environment)")
    func malformedLimit() throws {
        let option = try runMaskscopeWithin(timeout, ["predict", image, "--model", fixturePath("models/tiny-w7"), "--memory-limit", "lots"])
        #expect(option.status == 2 && option.stderr.contains("--memory-limit 'lots' is not a size"), "\(option.stderr)")
        let environment = try runMaskscopeWithin(timeout, ["inspect", fixturePath("models/tiny-w7")], environment: ["MASKSCOPE_MEMORY_LIMIT": "-4"])
        #expect(environment.status == 1 && environment.stderr == "maskscope: MASKSCOPE_MEMORY_LIMIT is '-4'; must be a size in GiB (12 or 12.5) or with a unit (512M, 12G, 12GiB, 12000000000B)\n",
                "\(environment.stderr)")
    }

    @Test("a NaN weight is refused at load, naming the tensor, instead of printing -nan scores")
    func nanWeight() throws {
        let model = try HostileModelFolder()
        defer { model.remove() }
        let path = model.folder + "/model.safetensors"
        let original = try SafetensorsFile(path: path)
        var writer = SafetensorsWriter()
        for name in original.names {
            // Swin's optional integer index buffers are left out; the loader recomputes them.
            guard var tensor = try? original.floatTensor(name) else { continue }
            if name == "class_predictor.weight" { tensor.scalars[3] = .nan }
            writer.add(name, tensor)
        }
        try writer.write(to: path, overwrite: .replace)
        let run = try runMaskscopeWithin(timeout, ["predict", image, "--model", model.folder])
        expectCleanRefusal(run, file: "model.safetensors", field: "tensor 'class_predictor.weight' holds nan at element 3")
    }
}
