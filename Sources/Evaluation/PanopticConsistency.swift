// The checks panopticapi's pq_compute makes before scoring an image, applied to the ground truth too:
// a PNG segment id the JSON does not list, or a category the dataset does not have, is an error
// instead of being scored silently as something else.

import FileIO

public enum PanopticConsistency {
    /// `ids`: the PNG's segment id per pixel (0 = VOID); `segments`: (id, category_id) from the JSON;
    /// `categories`: the dataset's category ids. `png` and `json` name the files in errors.
    /// With `everySegmentDrawn`, a listed segment that no pixel carries is an error too (panopticapi's
    /// rule for predictions).
    public static func check(ids: [Int32], segments: [(id: Int, categoryID: Int)], categories: [Int: Int],
                             png: String, json: String, everySegmentDrawn: Bool = false) throws {
        var listed: [Int32: Int] = [:]
        for segment in segments {
            guard let id = Int32(exactly: segment.id), id > 0, id < 1 << 24 else {
                throw FileError.invalidContent(path: json, reason: "segment id \(segment.id) is not a panoptic id (1 … 16777215)")
            }
            guard listed.updateValue(segment.categoryID, forKey: id) == nil else {
                throw FileError.invalidContent(path: json, reason: "segment id \(id) is listed twice")
            }
            guard categories[segment.categoryID] != nil else {
                throw FileError.invalidContent(path: json, reason: "segment \(id) has category_id \(segment.categoryID), which is not a category of the dataset")
            }
        }
        var drawn = Set<Int32>()
        var previous: Int32 = -1
        for id in ids where id != previous {
            previous = id
            guard id != 0, !drawn.contains(id) else { continue }
            guard listed[id] != nil else {
                let (r, g, b) = (id & 0xFF, (id >> 8) & 0xFF, (id >> 16) & 0xFF)
                throw FileError.invalidContent(path: png, reason: "segment id \(id) (RGB \(r),\(g),\(b)) is not in the segments_info of \(json)")
            }
            drawn.insert(id)
        }
        if everySegmentDrawn, let missing = listed.keys.sorted().first(where: { !drawn.contains($0) }) {
            throw FileError.invalidContent(path: json, reason: "segment id \(missing) is listed but no pixel of \(png) has it")
        }
    }
}
