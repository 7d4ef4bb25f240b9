// Port of the settings of transformers Mask2FormerImageProcessor (preprocessor_config.json).

import Foundation

public struct ImageProcessorConfig: Sendable, Equatable {
    /// How the output size is chosen (`size` in preprocessor_config.json).
    public enum ResizeRule: Sendable, Equatable {
        /// `{height, width}`: exact size, aspect not preserved (most published checkpoints: 384×384).
        case fixed(height: Int, width: Int)
        /// `{shortest_edge, longest_edge}` (or an int `size` with `max_size`): shorter side to `shortest`,
        /// unless that makes the longer side exceed `longest`.
        case shortestEdge(shortest: Int, longest: Int)
    }

    public var doResize: Bool
    public var size: ResizeRule
    /// Output sides are rounded *up* to a multiple of this by stretching (0 = off).
    public var sizeDivisor: Int
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var imageMean: [Float]
    public var imageStd: [Float]

    public static let transformersDefault = ImageProcessorConfig(
        doResize: true, size: .shortestEdge(shortest: 800, longest: 1333), sizeDivisor: 32, doRescale: true,
        rescaleFactor: 1.0 / 255.0, doNormalize: true, imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225])

    public init(doResize: Bool, size: ResizeRule, sizeDivisor: Int, doRescale: Bool, rescaleFactor: Double,
                doNormalize: Bool, imageMean: [Float], imageStd: [Float]) {
        self.doResize = doResize; self.size = size; self.sizeDivisor = sizeDivisor; self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor; self.doNormalize = doNormalize; self.imageMean = imageMean; self.imageStd = imageStd
    }

    /// Reads preprocessor_config.json with the slow Mask2FormerImageProcessor's defaults and rules.
    public static func load(path: String) throws -> ImageProcessorConfig {
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelError.badConfig(file: path, detail: "not a JSON object")
            }
            object = parsed
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.badConfig(file: path, detail: "not valid JSON")
        }
        return try ImageProcessorConfig(json: object, file: path)
    }

    init(json: [String: Any], file: String) throws {
        var config = ImageProcessorConfig.transformersDefault
        func bool(_ key: String) throws -> Bool? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let number = value as? Bool else { throw ModelError.badConfig(file: file, detail: "'\(key)' must be true or false") }
            return number
        }
        func int(_ key: String, in dictionary: [String: Any]) throws -> Int? {
            guard let value = dictionary[key], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue) else {
                throw ModelError.badConfig(file: file, detail: "'\(key)' must be an integer")
            }
            return integer
        }
        func floats(_ key: String) throws -> [Float]? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            if let number = value as? NSNumber { return [Float](repeating: number.floatValue, count: 3) }
            guard let list = value as? [NSNumber], list.count == 3 else {
                throw ModelError.badConfig(file: file, detail: "'\(key)' must be a list of 3 numbers")
            }
            return list.map { $0.floatValue }
        }
        config.doResize = try bool("do_resize") ?? true
        config.doRescale = try bool("do_rescale") ?? true
        config.doNormalize = try bool("do_normalize") ?? true
        if let factor = json["rescale_factor"] as? NSNumber { config.rescaleFactor = factor.doubleValue }
        config.imageMean = try floats("image_mean") ?? config.imageMean
        config.imageStd = try floats("image_std") ?? config.imageStd
        config.sizeDivisor = try int("size_divisor", in: json) ?? 32
        if let resample = try int("resample", in: json), resample != 2 {
            throw ModelError.unsupported(file: file, detail: "resample \(resample) is not supported; supported: 2 (bilinear), what Mask2Former checkpoints use")
        }
        let maxSize = try int("_max_size", in: json) ?? int("max_size", in: json) ?? 1333
        switch json["size"] {
        case nil, is NSNull:
            config.size = .shortestEdge(shortest: 800, longest: maxSize)
        case let number as NSNumber:
            guard let shortest = Int(exactly: number.doubleValue) else {
                throw ModelError.badConfig(file: file, detail: "'size' must be an integer or a dictionary")
            }
            config.size = .shortestEdge(shortest: shortest, longest: maxSize)
        case let dictionary as [String: Any]:
            if let height = try int("height", in: dictionary), let width = try int("width", in: dictionary) {
                config.size = .fixed(height: height, width: width)
            } else if let shortest = try int("shortest_edge", in: dictionary), let longest = try int("longest_edge", in: dictionary) {
                guard longest > shortest else {
                    throw ModelError.badConfig(file: file, detail: "size.longest_edge \(longest) must be greater than shortest_edge \(shortest)")
                }
                config.size = .shortestEdge(shortest: shortest, longest: longest)
            } else {
                throw ModelError.unsupported(
                    file: file, detail: "size \(dictionary.keys.sorted()) is not supported; Mask2FormerImageProcessor takes {height, width} or {shortest_edge, longest_edge}")
            }
        default:
            throw ModelError.badConfig(file: file, detail: "'size' must be an integer or a dictionary")
        }
        if case .fixed(let h, let w) = config.size, h <= 0 || w <= 0 {
            throw ModelError.badConfig(file: file, detail: "size must be positive")
        }
        if config.imageStd.contains(0) {
            throw ModelError.badConfig(file: file, detail: "image_std must not contain 0")
        }
        self = config
    }
}
