// The `--model`, `--preprocess`, `--detectron2-config` and `--memory-limit` options shared by every command that runs the network.

import ArgumentParser
import Mask2Former
import Segmentation

extension PreprocessingBackend: ExpressibleByArgument {}

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A checkpoint folder (config.json, preprocessor_config.json, model.safetensors) or a hub repo id "
            + "in the local Hugging Face cache, e.g. facebook/mask2former-swin-tiny-coco-panoptic. Never downloads. "
            + "Default: $MASKSCOPE_MODEL, else the shapes-world model in Models/shapes-swin.",
        valueName: "folder|org/name"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp(
        "Whose preprocessing to reproduce: \(PreprocessingBackend.allCases.map(\.rawValue).joined(separator: ", ")). "
            + "Default: \(PreprocessingBackend.transformersDefault.rawValue) (transformers 5.x with torch and torchvision installed) "
            + "for a transformers checkpoint, detectron2 for a detectron2 .pkl/.pth.",
        valueName: "backend"))
    var preprocess: PreprocessingBackend?

    @Option(name: .customLong("detectron2-config"), help: ArgumentHelp(
        "For a detectron2 checkpoint: its detectron2 config (e.g. Mask2Former's configs/…/maskformer2_R50_bs16_50ep.yaml; "
            + "_BASE_ followed). Its INPUT.MIN/MAX_SIZE_TEST, MODEL.PIXEL_MEAN/STD and SIZE_DIVISIBILITY replace the dataset defaults.",
        valueName: "file.yaml"))
    var detectron2Config: String?

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp(
        "The most memory a forward pass may need; a model whose largest input needs more is refused at load. "
            + "GiB (12, 12.5) or with a unit (512M, 12G, 12000000000B). "
            + "Default: $\(MemoryLimit.environmentVariable), else \(Int(MemoryLimit.defaultShare * 100)) % of physical memory.",
        valueName: "GiB|size"))
    var memoryLimit: String?

    func validate() throws {
        if let memoryLimit, MemoryLimit.parse(memoryLimit) == nil {
            throw ValidationError("--memory-limit '\(memoryLimit)' is not a size; write \(MemoryLimit.syntax)")
        }
    }

    /// `--memory-limit`, else nil (the model then reads MASKSCOPE_MEMORY_LIMIT or uses 80 % of memory).
    var limit: MemoryLimit? {
        memoryLimit.flatMap { text in MemoryLimit.parse(text).map { MemoryLimit(bytes: $0, source: "--memory-limit \(text)") } }
    }

    /// `--model`, else MASKSCOPE_MODEL, else the model shipped in Models/.
    func load() throws -> Mask2FormerModel {
        let loaded = try Mask2FormerModel(model: model ?? ShippedAssets.defaultModel(), memoryLimit: limit,
                                          labelCatalog: DatasetCatalog.detectron2Labels, preprocessing: preprocess,
                                          detectron2Config: try detectron2Config.map(Detectron2ConfigFile.load(path:)))
        // Weights from a snapshot refs/main does not name (HF cache): say so, as transformers does not.
        if let note = loaded.location.note { printError("note: \(note)") }
        return loaded
    }
}
