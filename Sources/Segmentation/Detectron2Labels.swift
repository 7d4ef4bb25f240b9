// Labels for a detectron2 checkpoint, which stores none: its class count names the dataset it was
// trained on (Mask2Former's MODEL_ZOO), and the shipped catalogues give the names in detectron2's
// contiguous order (category ids ascending; instance models keep only the "thing" categories).
// Lives here because the catalogues do; Mask2Former receives it as a Detectron2LabelCatalog.

import FileIO
import Mask2Former

extension DatasetCatalog {
    /// The dataset a class count stands for: 133 COCO panoptic, 80 COCO instance, 150 ADE20K,
    /// 19 Cityscapes (semantic/panoptic), 8 Cityscapes instance, 65 Mapillary Vistas.
    public static func detectron2Dataset(classCount: Int) throws(FileError) -> Detectron2Dataset? {
        func all(_ name: String) throws(FileError) -> Detectron2Dataset? {
            try named(name).map { Detectron2Dataset(name: name, labels: $0.labels.map(\.name)) }
        }
        func things(_ name: String, as newName: String) throws(FileError) -> Detectron2Dataset? {
            try named(name).map { Detectron2Dataset(name: newName, labels: $0.labels.filter(\.isthing).map(\.name)) }
        }
        let candidate: Detectron2Dataset? = switch classCount {
        case 133: try all("coco-panoptic")
        case 80: try things("coco-panoptic", as: "coco-instance")
        case 150: try all("ade20k-150")
        case 19: try all("cityscapes-19")
        case 8: try things("cityscapes-19", as: "cityscapes-instance")
        case 65: try all("mapillary-vistas-65")
        default: nil
        }
        // A catalogue of another size (edited data) would mislabel every class: give none instead.
        return candidate?.labels.count == classCount ? candidate : nil
    }

    /// `detectron2Dataset(classCount:)` in the form `Mask2FormerModel` takes.
    public static let detectron2Labels: Detectron2LabelCatalog = { try detectron2Dataset(classCount: $0) }
}
