// `maskscope inspect MODEL`: the config, the parameter table and a full load check.

import ArgumentParser
import Foundation
import Mask2Former
import Segmentation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a model's config and parameter count, and check every tensor is present with the right shape.")

    @Argument(help: ArgumentHelp("A checkpoint folder, a cached hub repo id, or a detectron2 checkpoint (model_final_<hash>.pkl).", valueName: "folder|org/name|file.pkl"))
    var model: String

    @Option(help: ArgumentHelp("Whose preprocessing to report (as --preprocess of predict).", valueName: "backend"))
    var preprocess: PreprocessingBackend?

    @Option(name: .customLong("detectron2-config"), help: ArgumentHelp("For a detectron2 checkpoint: its detectron2 config YAML (as predict's).", valueName: "file.yaml"))
    var detectron2Config: String?

    @Flag(help: "List every parameter with its shape and dtype.")
    var tensors = false

    func run() throws {
        try reportingErrors {
            // Loading verifies every tensor (presence, shape, dtype, nothing unexpected) before returning.
            let loaded = try Mask2FormerModel(model: model, labelCatalog: DatasetCatalog.detectron2Labels, preprocessing: preprocess,
                                              detectron2Config: try detectron2Config.map(Detectron2ConfigFile.load(path:)))
            let config = loaded.config
            var lines: [String] = []
            lines.append("model             \(loaded.location.name)")
            lines.append("folder            \(loaded.location.folder)")
            lines.append("weights           \(loaded.location.weightsPath) (\(loaded.weightsFormat))")
            lines.append("file format       \(loaded.weightsFormat)")
            if let note = loaded.location.note {
                lines.append("snapshot          \(note)")
            } else if let snapshot = loaded.location.snapshot {
                lines.append("snapshot          \(snapshot)")
            }
            if let detectron2 = loaded.detectron2 {
                lines.append("format            detectron2 checkpoint: no config files; architecture read from the tensor shapes")
                lines.append("architecture      \(detectron2.backboneName), \(config.numQueries) queries, \(config.numLabels) classes, \(config.decoderLayers) predictions")
                lines.append("dataset           \(detectron2.dataset.map { "\($0.name) (from the class count \(config.numLabels))" } ?? "unknown for \(config.numLabels) classes: labels are numbered")")
                for assumption in detectron2.assumptions { lines.append("assumed           \(assumption)") }
                if let file = detectron2.detectron2Config {
                    let outputs = [("semantic", file.semanticOn), ("instance", file.instanceOn), ("panoptic", file.panopticOn)].filter(\.1).map(\.0)
                    lines.append("detectron2 config \(file.files.joined(separator: " ← ")): DATASETS.TEST \(file.testDatasets), outputs \(outputs.joined(separator: ", ")), OBJECT_MASK_THRESHOLD \(file.objectMaskThreshold), OVERLAP_THRESHOLD \(file.overlapThreshold)")
                }
            }
            lines.append("backbone          \(config.backbone.summary)")
            lines.append("pixel decoder     feature_size \(config.featureSize), \(config.encoderLayers) deformable layers (\(config.numAttentionHeads) heads, ffn \(config.encoderFeedforwardDim)), mask_feature_size \(config.maskFeatureSize)")
            lines.append("decoder           hidden_dim \(config.hiddenDim), \(config.transformerLayers) masked-attention layers, \(config.numQueries) queries, ffn \(config.dimFeedforward), \(config.preNorm ? "pre-norm" : "post-norm")")
            lines.append("labels            \(config.numLabels) (+ no object): \(config.labels.prefix(8).joined(separator: ", "))\(config.numLabels > 8 ? ", …" : "")")
            if let detectron2 = loaded.detectron2 {
                lines.append("preprocessing     \(loaded.processorConfig.backend.rawValue): \(detectron2.preprocessing.summary)")
            } else {
                lines.append("preprocessing     \(loaded.processorConfig.backend.rawValue): \(loaded.processorConfig.backend.summary)")
                lines.append("                  \(describe(loaded.processorConfig))")
            }
            let dtypes = Dictionary(grouping: loaded.parameters, by: \.dtype).map { "\($0.key) \($0.value.count)" }.sorted()
            lines.append("parameters        \(loaded.parameterCount.formatted()) in \(loaded.parameters.count) tensors (\(dtypes.joined(separator: ", ")))")
            let renamed = loaded.parameters.filter { $0.name != $0.fileName }.count
            if loaded.detectron2 != nil {
                lines.append("key names         detectron2's, mapped to transformers' (\(renamed) tensors; fused q/k/v split in three)")
            } else if renamed > 0 { lines.append("key names         transformers 5.x spelling (\(renamed) tensors mapped to 4.x names)") }
            lines.append("check             every tensor present with the shape \(loaded.detectron2 == nil ? "config.json" : "the inferred architecture") implies; nothing unexpected")
            if tensors {
                lines.append("")
                for record in loaded.parameters {
                    lines.append("\(record.fileName)  \(record.shape)  \(record.dtype)")
                }
            }
            print(lines.joined(separator: "\n"))
        }
    }

    func describe(_ processor: ImageProcessorConfig) -> String {
        var parts: [String] = []
        if processor.doResize {
            switch processor.size {
            case .fixed(let h, let w): parts.append("resize to \(h)×\(w) (h×w)")
            case .shortestEdge(let s, let l): parts.append("resize shortest edge to \(s), longest ≤ \(l)")
            }
            if processor.sizeDivisor > 0 { parts.append("sides rounded up to ×\(processor.sizeDivisor)") }
        }
        if processor.doNormalize { parts.append("mean \(processor.imageMean) std \(processor.imageStd)") }
        return parts.joined(separator: ", ")
    }
}
