// Port of the settings of transformers Mask2FormerImageProcessor (preprocessor_config.json).

import FileIO
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
    /// Which reference pipeline runs these settings (not in the file: `--preprocess`, or the checkpoint's kind).
    public var backend: PreprocessingBackend = .transformersDefault

    public static let transformersDefault = ImageProcessorConfig(
        doResize: true, size: .shortestEdge(shortest: 800, longest: 1333), sizeDivisor: 32, doRescale: true,
        rescaleFactor: 1.0 / 255.0, doNormalize: true, imageMean: [0.485, 0.456, 0.406], imageStd: [0.229, 0.224, 0.225])

    public init(doResize: Bool, size: ResizeRule, sizeDivisor: Int, doRescale: Bool, rescaleFactor: Double,
                doNormalize: Bool, imageMean: [Float], imageStd: [Float], backend: PreprocessingBackend = .transformersDefault) {
        self.backend = backend
        self.doResize = doResize; self.size = size; self.sizeDivisor = sizeDivisor; self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor; self.doNormalize = doNormalize; self.imageMean = imageMean; self.imageStd = imageStd
    }

    /// What the reads accept: generous bounds around every published processor (sides 384 to 1333,
    /// 2048 for Cityscapes; divisor 32; ImageNet mean and std), small enough that no size product can overflow.
    public enum Limits {
        /// Output sides; the memory estimate decides what this machine can run within them.
        public static let side = 1...16384
        public static let sizeDivisor = 0...1024
        /// Below this an std turns ordinary pixels into inf (and a subnormal one, 0 − 0 into NaN).
        public static let smallestStd = 1e-6
        public static let largestMagnitude = 1e4
    }

    /// Reads preprocessor_config.json with the slow Mask2FormerImageProcessor's defaults and rules.
    public static func load(path: String) throws -> ImageProcessorConfig {
        let data = try configFileBytes(path: path)
        do {
            return try JSONDecoder().decode(ImageProcessorConfig.self, from: data)
        } catch let error as ConfigFieldError {
            throw ModelError.badConfig(file: path, detail: error.description)
        } catch let error as UnsupportedProcessorSetting {
            throw ModelError.unsupported(file: path, detail: error.detail)
        } catch let error as DecodingError {
            if case .typeMismatch(_, let context) = error, context.codingPath.isEmpty {
                throw ModelError.badConfig(file: path, detail: "not a JSON object")
            }
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw ModelError.badConfig(file: path, detail: "not valid JSON")
            }
            throw ModelError.badConfig(file: path, detail: describe(error))
        }
    }
}

/// A processor setting this port does not implement (as opposed to a value out of range).
struct UnsupportedProcessorSetting: Error {
    var detail: String
}

extension ImageProcessorConfig: Decodable {
    enum CodingKeys: String, CodingKey {
        case doResize = "do_resize", doRescale = "do_rescale", doNormalize = "do_normalize"
        case rescaleFactor = "rescale_factor", imageMean = "image_mean", imageStd = "image_std"
        case sizeDivisor = "size_divisor", resample, maxSize = "max_size", privateMaxSize = "_max_size", size
    }

    enum SizeKeys: String, CodingKey {
        case height, width, shortestEdge = "shortest_edge", longestEdge = "longest_edge"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = ImageProcessorConfig.transformersDefault
        config.doResize = try c.flag(.doResize, default: true)
        config.doRescale = try c.flag(.doRescale, default: true)
        config.doNormalize = try c.flag(.doNormalize, default: true)
        config.rescaleFactor = try c.number(.rescaleFactor, default: config.rescaleFactor,
                                            allowed: "a number above 0 and at most 1 (1/255 for 8-bit images)") { $0 > 0 && $0 <= 1 }
        let limit = Limits.largestMagnitude, shownLimit = JSONValue.format(limit)
        config.imageMean = try Self.triple(c, .imageMean, default: config.imageMean,
                                           allowed: "3 finite numbers from -\(shownLimit) to \(shownLimit)") { abs($0) <= limit }
        config.imageStd = try Self.triple(c, .imageStd, default: config.imageStd,
                                          allowed: "3 numbers from \(Limits.smallestStd) to \(shownLimit) (pixels are divided by them)") {
            $0 >= Limits.smallestStd && $0 <= limit
        }
        config.sizeDivisor = try c.integer(.sizeDivisor, default: 32, in: Limits.sizeDivisor,
                                           allowed: "0 (off) or a side multiple from 1 to \(Limits.sizeDivisor.upperBound)")
        let resample = try c.integer(.resample, default: 2, in: Int.min...Int.max, allowed: "an integer (2, bilinear)")
        guard resample == 2 else {
            throw UnsupportedProcessorSetting(detail: "resample \(resample) is not supported; supported: 2 (bilinear), what Mask2Former checkpoints use")
        }
        let maxSize = try c.integer([.privateMaxSize, .maxSize], default: 1333, in: Limits.side)
        switch try c.raw(.size) {
        case nil:
            config.size = .shortestEdge(shortest: 800, longest: maxSize)
        case .number?:
            let shortest = try c.integer(.size, default: 800, in: Limits.side,
                                         allowed: "an integer from 1 to \(Limits.side.upperBound), {height, width} or {shortest_edge, longest_edge}")
            config.size = .shortestEdge(shortest: shortest, longest: maxSize)
        case .object(let dictionary)?:
            let sizes = try c.nestedContainer(keyedBy: SizeKeys.self, forKey: .size)
            if dictionary["height"] != nil && dictionary["width"] != nil {
                config.size = .fixed(height: try sizes.integer(.height, default: 1, in: Limits.side),
                                     width: try sizes.integer(.width, default: 1, in: Limits.side))
            } else if dictionary["shortest_edge"] != nil && dictionary["longest_edge"] != nil {
                let shortest = try sizes.integer(.shortestEdge, default: 800, in: Limits.side)
                let longerThan = "an integer from \(shortest + 1) (above shortest_edge) to \(Limits.side.upperBound)"
                let longest = try sizes.integer(.longestEdge, default: 1333, in: Limits.side, allowed: longerThan)
                guard longest > shortest else {
                    throw ConfigFieldError(field: sizes.fieldPath(.longestEdge), value: String(longest), allowed: longerThan)
                }
                config.size = .shortestEdge(shortest: shortest, longest: longest)
            } else {
                throw UnsupportedProcessorSetting(
                    detail: "size \(dictionary.keys.sorted()) is not supported; Mask2FormerImageProcessor takes {height, width} or {shortest_edge, longest_edge}")
            }
        case let other?:
            throw ConfigFieldError(field: "size", value: other.description,
                                   allowed: "an integer, {height, width} or {shortest_edge, longest_edge}")
        }
        self = config
    }

    /// A list of 3 numbers, or one number for all channels (as transformers accepts), each passing `isValid`.
    static func triple(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, default fallback: [Float], allowed: String,
                       isValid: (Double) -> Bool) throws -> [Float] {
        guard let value = try c.raw(key) else { return fallback }
        let numbers: [JSONValue]
        switch value {
        case .number: numbers = [value, value, value]
        case .array(let items) where items.count == 3: numbers = items
        default: throw ConfigFieldError(field: c.fieldPath(key), value: value.description, allowed: allowed)
        }
        return try numbers.enumerated().map { i, item in
            guard case .number(let number) = item, number.isFinite, isValid(number) else {
                let index: Int? = if case .array = value { i } else { nil }
                throw ConfigFieldError(field: c.fieldPath(key, index: index), value: item.description, allowed: allowed)
            }
            return Float(number)
        }
    }
}
