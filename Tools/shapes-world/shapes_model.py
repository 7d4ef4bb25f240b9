"""The shapes-world Mask2Former architecture (shared by train.py, export.py and predict_reference.py).

Mask2Former as in the paper (Cheng et al. 2022), narrowed: a Swin backbone with four stages
(strides 4, 8, 16, 32), the multi-scale deformable-attention pixel decoder over the three coarsest
levels, and the masked-attention transformer decoder with `decoder_layers = 10` (9 decoder layers
that visit the three levels in round robin, plus the prediction from the learnable queries).
Only the widths are small. `feature_size == hidden_dim`: the decoder's input projections are then
not used (transformers keeps them in a plain list that `save_pretrained` would drop; see
Tools/reference/README.md).
"""

from __future__ import annotations

from transformers import Mask2FormerConfig, Mask2FormerImageProcessor, SwinConfig

import shapes_world as sw

# Everything that decides the architecture. Changing a value changes the checkpoint.
ARCH = {
    "swin_embed_dim": 32,
    "swin_depths": [2, 2, 2, 2],
    "swin_num_heads": [1, 2, 4, 8],      # 32 channels per head, as Swin-T
    "swin_window_size": 8,               # token grids 48x64, 24x32, 12x16, 6x8: little padding (7 would pad every stage)
    "swin_mlp_ratio": 4.0,
    "hidden_dim": 128,                   # = feature_size = mask_feature_size
    "num_attention_heads": 8,            # pixel-decoder deformable attention and decoder attention
    "encoder_layers": 4,                 # deformable-attention layers of the pixel decoder
    "encoder_feedforward_dim": 256,
    "decoder_layers": 10,                # 9 masked-attention layers
    "dim_feedforward": 256,
    "num_queries": 40,
    "train_num_points": 3136,            # 56² points per mask for the matcher and the mask losses
}

IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]


def id2label():
    return {i: c["name"] for i, c in enumerate(sw.CATEGORIES)}


def build_config(arch=None) -> Mask2FormerConfig:
    a = dict(ARCH, **(arch or {}))
    backbone = SwinConfig(
        image_size=224, patch_size=4, num_channels=3,
        embed_dim=a["swin_embed_dim"], depths=a["swin_depths"], num_heads=a["swin_num_heads"],
        window_size=a["swin_window_size"], mlp_ratio=a["swin_mlp_ratio"], qkv_bias=True,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, drop_path_rate=0.0,
        use_absolute_embeddings=False, out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    labels = id2label()
    config = Mask2FormerConfig(
        backbone_config=backbone, use_pretrained_backbone=False,
        feature_size=a["hidden_dim"], mask_feature_size=a["hidden_dim"], hidden_dim=a["hidden_dim"],
        num_attention_heads=a["num_attention_heads"],
        encoder_layers=a["encoder_layers"], encoder_feedforward_dim=a["encoder_feedforward_dim"],
        decoder_layers=a["decoder_layers"], dim_feedforward=a["dim_feedforward"],
        num_queries=a["num_queries"], train_num_points=a["train_num_points"],
        # the paper's loss: class 2, mask (BCE) 5, dice 5, no-object 0.1, deep supervision
        class_weight=2.0, mask_weight=5.0, dice_weight=5.0, no_object_weight=0.1, use_auxiliary_loss=True,
        oversample_ratio=3.0, importance_sample_ratio=0.75,
        dropout=0.0, pre_norm=False, enforce_input_projection=False, common_stride=4,
        id2label=labels, label2id={v: k for k, v in labels.items()},
    )
    assert config.feature_size == config.hidden_dim
    return config


def image_processor() -> Mask2FormerImageProcessor:
    """The processor saved with the model: the scene size, so a scene is never resampled."""
    return Mask2FormerImageProcessor(
        do_resize=True, size={"height": sw.HEIGHT, "width": sw.WIDTH}, resample=2, size_divisor=32,
        do_rescale=True, rescale_factor=1 / 255, do_normalize=True, image_mean=IMAGE_MEAN, image_std=IMAGE_STD,
        ignore_index=255, do_reduce_labels=False, num_labels=len(sw.CATEGORIES),
    )
