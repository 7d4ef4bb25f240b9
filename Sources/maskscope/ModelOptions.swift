// The `--model` option shared by every command that runs the network.

import ArgumentParser
import Mask2Former

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A checkpoint folder (config.json, preprocessor_config.json, model.safetensors) or a hub repo id "
            + "in the local Hugging Face cache, e.g. facebook/mask2former-swin-tiny-coco-panoptic. Never downloads. "
            + "Default: $MASKSCOPE_MODEL, else the shapes-world model in Models/shapes-swin.",
        valueName: "folder|org/name"))
    var model: String?

    /// `--model`, else MASKSCOPE_MODEL, else the model shipped in Models/.
    func load() throws -> Mask2FormerModel {
        try Mask2FormerModel(model: model ?? ShippedAssets.defaultModel())
    }
}
