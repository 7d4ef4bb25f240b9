// `--detectron2-config CONFIG.yaml`: the test-time settings of a detectron2 Mask2Former config, with
// `_BASE_` followed as detectron2's `CfgNode.load_yaml_with_base` does (relative to the naming file,
// the naming file's keys merged over its base's) and unset keys at the defaults of detectron2's
// `config/defaults.py` and Mask2Former's `add_maskformer2_config`. Only the keys below are read.

import FileIO
import Foundation

public struct Detectron2ConfigFile: Sendable, Equatable {
    /// INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST (ResizeShortestEdge at test time).
    public var minSizeTest = 800
    public var maxSizeTest = 1333
    /// MODEL.PIXEL_MEAN / PIXEL_STD, in INPUT.FORMAT order (RGB for every Mask2Former config).
    public var pixelMean: [Float] = [123.675, 116.28, 103.53]
    public var pixelStd: [Float] = [58.395, 57.12, 57.375]
    /// MODEL.MASK_FORMER.SIZE_DIVISIBILITY (ImageList padding).
    public var sizeDivisibility = 32
    /// MODEL.MASK_FORMER.NUM_OBJECT_QUERIES, and MODEL.SEM_SEG_HEAD.NUM_CLASSES when the file sets it.
    public var numObjectQueries = 100
    public var numClasses: Int?
    /// MODEL.MASK_FORMER.TEST.*: which outputs the model makes and its panoptic/instance thresholds.
    public var semanticOn = true
    public var instanceOn = false
    public var panopticOn = false
    public var objectMaskThreshold = 0.8
    public var overlapThreshold = 0.8
    /// DATASETS.TEST (names such as coco_2017_val_panoptic_with_sem_seg).
    public var testDatasets: [String] = []
    /// The files read, the named one first, then each `_BASE_`.
    public var files: [String] = []

    /// At most this many files in a `_BASE_` chain (the official ones use 2 or 3).
    public static let maximumBaseDepth = 16
    /// Config files are a few KB; anything this large is not one.
    public static let maximumFileBytes = 1 << 20

    /// Reads `path` and its `_BASE_` chain.
    public static func load(path: String) throws -> Detectron2ConfigFile {
        var files: [String] = []
        let merged = try loadWithBase(path: path, chain: [], files: &files)
        var config = try Detectron2ConfigFile(merged: merged, file: path)
        config.files = files
        return config
    }

    /// `load_yaml_with_base`: the file's keys merged over those of its `_BASE_` (recursively).
    static func loadWithBase(path: String, chain: [String], files: inout [String]) throws -> [String: Detectron2YAMLValue] {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        if chain.contains(resolved) {
            throw Detectron2ConfigError(file: chain.first ?? path, line: nil,
                                        detail: "_BASE_ chain comes back to \(path) (a cycle); remove one of the _BASE_ lines")
        }
        guard chain.count < maximumBaseDepth else {
            throw Detectron2ConfigError(file: chain.first ?? path, line: nil, detail: "_BASE_ chain longer than \(maximumBaseDepth) files")
        }
        let text = try readText(path: path)
        files.append(path)
        var parser = try Detectron2YAMLParser(text: text, file: path)
        guard case .mapping(var entries) = try parser.parseDocument() else {
            throw Detectron2ConfigError(file: path, line: nil, detail: "not a mapping of KEY: value")
        }
        guard let base = entries.removeValue(forKey: "_BASE_") else { return entries }
        guard case .scalar(var basePath, _) = base, !basePath.isEmpty else {
            throw Detectron2ConfigError(file: path, line: nil, detail: "_BASE_ is not a file name")
        }
        if basePath.hasPrefix("http://") || basePath.hasPrefix("https://") {
            throw Detectron2ConfigError(file: path, line: nil, detail: "_BASE_ \(basePath) is a URL; maskscope never downloads: save it beside the file and name it relatively")
        }
        if basePath.hasPrefix("~") { basePath = NSString(string: basePath).expandingTildeInPath }
        if !basePath.hasPrefix("/") {
            basePath = (URL(fileURLWithPath: path).deletingLastPathComponent().path as NSString).appendingPathComponent(basePath)
        }
        var merged = try loadWithBase(path: basePath, chain: chain + [resolved], files: &files)
        merge(entries, into: &merged)
        return merged
    }

    /// `merge_a_into_b`: mappings merge key by key, anything else replaces.
    static func merge(_ a: [String: Detectron2YAMLValue], into b: inout [String: Detectron2YAMLValue]) {
        for (key, value) in a {
            if case .mapping(let inner) = value, case .mapping(var existing)? = b[key] {
                merge(inner, into: &existing)
                b[key] = .mapping(existing)
            } else {
                b[key] = value
            }
        }
    }

    static func readText(path: String) throws -> String {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch {
            throw Detectron2ConfigError(file: path, line: nil, detail: "cannot read the config: \(error)")
        }
        guard file.bytes.count <= maximumFileBytes else {
            throw Detectron2ConfigError(file: path, line: nil, detail: "\(file.bytes.count) bytes; a detectron2 config is a few KB (at most \(maximumFileBytes))")
        }
        guard let text = String(bytes: file.bytes, encoding: .utf8) else {
            throw Detectron2ConfigError(file: path, line: nil, detail: "not UTF-8 text")
        }
        return text
    }

    init(merged: [String: Detectron2YAMLValue], file: String) throws {
        let reader = Reader(root: .mapping(merged), file: file)
        minSizeTest = try reader.integer("INPUT.MIN_SIZE_TEST", default: minSizeTest, in: 1...16384)
        maxSizeTest = try reader.integer("INPUT.MAX_SIZE_TEST", default: maxSizeTest, in: 1...16384)
        let format = try reader.string("INPUT.FORMAT", default: "BGR")
        pixelMean = try reader.numbers("MODEL.PIXEL_MEAN", default: [103.53, 116.28, 123.675]).map(Float.init)
        pixelStd = try reader.numbers("MODEL.PIXEL_STD", default: [1, 1, 1]).map(Float.init)
        guard pixelStd.allSatisfy({ $0 >= 1e-6 }) else {
            throw Detectron2ConfigError(file: file, line: nil, detail: "MODEL.PIXEL_STD \(pixelStd): every value must be above 0 (pixels are divided by them)")
        }
        guard format == "RGB" else {
            throw Detectron2ConfigError(file: file, line: nil, detail: "INPUT.FORMAT is \(format); maskscope feeds RGB, as every Mask2Former config sets (INPUT.FORMAT: \"RGB\")")
        }
        sizeDivisibility = try reader.integer("MODEL.MASK_FORMER.SIZE_DIVISIBILITY", default: 32, in: 0...1024)
        numObjectQueries = try reader.integer("MODEL.MASK_FORMER.NUM_OBJECT_QUERIES", default: 100, in: 1...100_000)
        numClasses = try reader.optionalInteger("MODEL.SEM_SEG_HEAD.NUM_CLASSES", in: 1...100_000)
        semanticOn = try reader.flag("MODEL.MASK_FORMER.TEST.SEMANTIC_ON", default: true)
        instanceOn = try reader.flag("MODEL.MASK_FORMER.TEST.INSTANCE_ON", default: false)
        panopticOn = try reader.flag("MODEL.MASK_FORMER.TEST.PANOPTIC_ON", default: false)
        objectMaskThreshold = try reader.number("MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD", default: 0.8, in: 0...1)
        overlapThreshold = try reader.number("MODEL.MASK_FORMER.TEST.OVERLAP_THRESHOLD", default: 0.8, in: 0...1)
        testDatasets = try reader.strings("DATASETS.TEST")
    }

    /// Typed reads of dotted keys, with yacs' decoding of strings (a tuple-looking string is a tuple).
    struct Reader {
        let root: Detectron2YAMLValue
        let file: String

        func value(_ key: String) throws -> Detectron2YAMLValue? {
            var node: Detectron2YAMLValue? = root
            for part in key.split(separator: ".") { node = node?[String(part)] }
            if case .tagged(let tag, _)? = node {
                throw Detectron2ConfigError(file: file, line: nil, detail: "\(key) is a \(tag) value, which detectron2 would run as Python; maskscope evaluates nothing: write the value itself")
            }
            return node
        }

        func fail(_ key: String, _ found: Detectron2YAMLValue, _ expected: String) -> Detectron2ConfigError {
            Detectron2ConfigError(file: file, line: nil, detail: "\(key) is \(Self.show(found)); expected \(expected)")
        }

        static func show(_ value: Detectron2YAMLValue) -> String {
            switch value {
            case .scalar(let text, let quoted): quoted ? "\"\(text.prefix(40))\"" : String(text.prefix(40))
            case .list(let items): "a list of \(items.count)"
            case .mapping: "a mapping"
            case .tagged(let tag, _): tag
            }
        }

        func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws -> Double {
            guard let found = try value(key) else { return fallback }
            guard case .scalar(let text, false) = found, let number = Double(text), number.isFinite, range.contains(number) else {
                throw fail(key, found, "a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let found = try value(key) else { return nil }
            guard case .scalar(let text, false) = found, let number = Int(text), range.contains(number) else {
                throw fail(key, found, "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
            try optionalInteger(key, in: range) ?? fallback
        }

        func flag(_ key: String, default fallback: Bool) throws -> Bool {
            guard let found = try value(key) else { return fallback }
            switch found {
            case .scalar("True", false), .scalar("true", false): return true
            case .scalar("False", false), .scalar("false", false): return false
            default: throw fail(key, found, "True or False")
            }
        }

        func string(_ key: String, default fallback: String) throws -> String {
            guard let found = try value(key) else { return fallback }
            guard case .scalar(let text, _) = found else { throw fail(key, found, "a string") }
            return text
        }

        /// A list `[a, b, c]` of numbers (or a tuple-looking string "(a, b, c)").
        func numbers(_ key: String, default fallback: [Double]) throws -> [Double] {
            guard let found = try value(key) else { return fallback }
            let items = try elements(key, found)
            let numbers = items.compactMap { Double($0) }.filter(\.isFinite)
            guard numbers.count == 3, items.count == 3 else { throw fail(key, found, "3 numbers") }
            return numbers
        }

        func strings(_ key: String) throws -> [String] {
            guard let found = try value(key) else { return [] }
            return try elements(key, found)
        }

        /// The items of a flow list, or of a string yacs would literal_eval to a tuple or list.
        func elements(_ key: String, _ found: Detectron2YAMLValue) throws -> [String] {
            switch found {
            case .list(let items):
                return try items.map { item in
                    guard case .scalar(let text, _) = item else { throw fail(key, found, "a list of plain values") }
                    return text
                }
            case .scalar(let text, _):
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                guard let open = trimmed.first, let close = trimmed.last, (open == "(" && close == ")") || (open == "[" && close == "]") else {
                    return trimmed.isEmpty ? [] : [trimmed]
                }
                let inside = String(trimmed.dropFirst().dropLast())
                return try Detectron2YAMLParser.splitFlow(inside, file: file, line: 0).map(Detectron2YAMLParser.unquoted)
            default:
                throw fail(key, found, "a list")
            }
        }
    }

    /// The shipped dataset DATASETS.TEST names, as maskscope's catalogues call it (nil when unknown).
    public var testDatasetCatalogName: String? {
        for name in testDatasets {
            if name.hasPrefix("coco_2017") { return name.contains("panoptic") ? "coco-panoptic" : "coco-instance" }
            if name.hasPrefix("ade20k_") && !name.contains("instance") { return "ade20k-150" }
            if name.hasPrefix("cityscapes_fine_") { return name.contains("instance") ? "cityscapes-instance" : "cityscapes-19" }
            if name.hasPrefix("mapillary_vistas_") { return "mapillary-vistas-65" }
        }
        return nil
    }
}
