// The COCO JSON layouts maskscope reads and writes, in one place: the panoptic dataset file (images,
// annotations, categories), its `segments_info`, the merged panoptic results `merge` writes, and the
// instance results list with compressed RLE. Field names are COCO's own, so a file decoded through
// `FileIO.JSONFile.decode` names the offending field in COCO's terms ("missing field 'annotations[3].file_name'").
// Optional fields are those that COCO, panopticapi or pycocotools do not require; nil ones are left out
// when encoding, so what `segment`, `merge` and `eval --save-predictions` write keeps its exact keys.

/// COCO image ids are integers; some datasets use strings. Both are read, and written back as they came.
public enum CocoImageID: Codable, Hashable, Sendable, CustomStringConvertible {
    case number(Int), text(String)

    /// The id as text: what result file names and `per_image` keys use.
    public var key: String {
        switch self { case .number(let n): return String(n); case .text(let s): return s }
    }
    public var description: String { key }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self { case .number(let n): try container.encode(n); case .text(let s): try container.encode(s) }
    }
}

/// One entry of a panoptic dataset's `images`.
public struct CocoImage: Codable, Equatable, Sendable {
    public var id: CocoImageID
    public var file_name: String
    public var height: Int?
    public var width: Int?
}

/// One entry of `categories`. `isthing` is 1 for things, 0 (or absent) for stuff.
public struct CocoCategory: Codable, Equatable, Sendable {
    public var id: Int
    public var name: String
    public var isthing: Int?

    public init(id: Int, name: String, isthing: Int?) { self.id = id; self.name = name; self.isthing = isthing }
    public var isThing: Bool { (isthing ?? 0) == 1 }
}

/// One `segments_info` entry. A ground truth has id, category_id, iscrowd, area (and bbox); what
/// `segment` writes adds our label name, whether it is a thing, and the score.
public struct CocoPanopticSegment: Codable, Equatable, Sendable {
    public var id: Int
    public var category_id: Int
    public var label: String?
    public var isthing: Bool?
    public var area: Int?
    public var bbox: [Int]?
    public var iscrowd: Int?
    public var score: Double?

    public init(id: Int, category_id: Int, label: String? = nil, isthing: Bool? = nil, area: Int? = nil, bbox: [Int]? = nil,
                iscrowd: Int? = nil, score: Double? = nil) {
        self.id = id; self.category_id = category_id; self.label = label; self.isthing = isthing
        self.area = area; self.bbox = bbox; self.iscrowd = iscrowd; self.score = score
    }
}

/// One image's entry of `annotations`: its panoptic PNG and the segments drawn in it.
public struct CocoPanopticAnnotation: Codable, Equatable, Sendable {
    public var image_id: CocoImageID
    public var file_name: String
    public var segments_info: [CocoPanopticSegment]

    public init(image_id: CocoImageID, file_name: String, segments_info: [CocoPanopticSegment]) {
        self.image_id = image_id; self.file_name = file_name; self.segments_info = segments_info
    }
}

/// A panoptic dataset file (`panoptic_val2017.json`): every field required, as panopticapi requires it.
public struct CocoPanopticDataset: Codable, Equatable, Sendable {
    public var images: [CocoImage]
    public var annotations: [CocoPanopticAnnotation]
    public var categories: [CocoCategory]
}

/// Panoptic results as panopticapi's `pq_compute` reads them: no `images`; `merge` writes the
/// model's labels as `categories`.
public struct CocoPanopticResults: Codable, Equatable, Sendable {
    public var annotations: [CocoPanopticAnnotation]
    public var categories: [CocoCategory]

    public init(annotations: [CocoPanopticAnnotation], categories: [CocoCategory]) {
        self.annotations = annotations; self.categories = categories
    }
}

/// One entry of a COCO instance results list (`[{image_id, category_id, segmentation, score, …}]`, what
/// COCOeval's `loadRes` reads); `segment` adds label, bbox, area and the query that made it.
public struct CocoInstanceResult: Codable, Equatable, Sendable {
    public var image_id: CocoImageID
    public var category_id: Int
    public var label: String?
    public var segmentation: CocoRLE
    public var score: Double
    public var bbox: [Int]?
    public var area: Int?
    public var query: Int?

    public init(image_id: CocoImageID, category_id: Int, label: String? = nil, segmentation: CocoRLE, score: Double,
                bbox: [Int]? = nil, area: Int? = nil, query: Int? = nil) {
        self.image_id = image_id; self.category_id = category_id; self.label = label; self.segmentation = segmentation
        self.score = score; self.bbox = bbox; self.area = area; self.query = query
    }
}
