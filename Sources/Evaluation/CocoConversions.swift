// The COCO JSON entries (Segmentation's CocoJSON.swift) as the metrics take them.

import Segmentation

extension PanopticCategory {
    public init(_ category: CocoCategory) {
        self.init(id: category.id, name: category.name, isThing: category.isThing)
    }
}

extension PanopticSegmentInfo {
    /// A ground-truth segment keeps its crowd flag and stated area; a prediction has neither (0).
    public init(_ segment: CocoPanopticSegment) {
        self.init(id: segment.id, categoryID: segment.category_id, isCrowd: (segment.iscrowd ?? 0) == 1, area: segment.area ?? 0)
    }
}
