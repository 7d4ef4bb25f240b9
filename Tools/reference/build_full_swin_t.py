#!/usr/bin/env python3
"""Build a randomly initialised model with the architecture of facebook/mask2former-swin-tiny-coco-panoptic
(or, with --architecture large, facebook/mask2former-swin-large-coco-panoptic) and write a logits
reference for one image.

    Tools/reference/build_full_swin_t.py [OUTDIR] [--architecture tiny|large] [--image IMG] [--all-stages]

OUTDIR (default /work/models/m2f-swin-tiny-random or /work/models/m2f-swin-large-random; keep it OUT
of the repository, ~190 MB for Swin-T, ~870 MB for Swin-L) gets
config.json, model.safetensors (4.x key names), preprocessor_config.json, and
reference-<image stem>.safetensors with `pixel_values` [3,H,W] and `class_logits.L` [Q,K+1],
`mask_logits.L` [Q,H/4,W/4] for L = 0..9 (the logits-dump layout of Docs/ARCHITECTURE.md). With --all-stages the
file also holds the backbone/pixel-decoder maps, attention masks and cross-attention weights, named
as in the committed fixtures.

Architecture: Swin-T (embed 96, depths [2,2,6,2], heads [3,6,12,24], window 7, 100 queries) or Swin-L
(embed 192, depths [2,2,18,2], heads [6,12,24,48], window 12, pretrain image size 384, 200 queries);
feature/mask/hidden 256, 8 heads, 6 deformable encoder layers (FFN 1024), decoder FFN 2048,
decoder_layers 10, the 133 COCO panoptic classes with their names; preprocessor {height:384, width:384},
size_divisor 32. Weights: transformers' init, then the same seeded perturbation and mask
calibration as the tiny fixtures, so no path is degenerate.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch
from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, Mask2FormerImageProcessor, SwinConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import m2f_ref  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SEED = 20240607 + 133
# The published architectures: facebook/mask2former-swin-{tiny,large}-coco-panoptic config.json.
ARCHITECTURES = {
    "tiny": dict(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7, image_size=224,
                 num_queries=100, outdir="/work/models/m2f-swin-tiny-random"),
    "large": dict(embed_dim=192, depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48], window_size=12, image_size=384,
                  num_queries=200, outdir="/work/models/m2f-swin-large-random"),
}
# facebook/mask2former-swin-tiny-coco-panoptic (5.x count, with swin.layernorm)
EXPECTED_PARAMETERS = {"tiny": 47_436_800}

# COCO panoptic categories in contiguous order (80 things 0..79, then 53 stuff 80..132), from the
# catalogue maskscope ships (sources in Tools/datasets/README.md).
COCO_PANOPTIC_NAMES = [label["name"] for label in sorted(
    json.loads((Path(__file__).resolve().parents[2] / "Sources/Segmentation/Datasets/coco-panoptic.json").read_text())["labels"],
    key=lambda label: label["id"])]
assert len(COCO_PANOPTIC_NAMES) == 133 and len(set(COCO_PANOPTIC_NAMES)) == 133


def build_config(architecture: str) -> Mask2FormerConfig:
    arch = ARCHITECTURES[architecture]
    swin = SwinConfig(
        embed_dim=arch["embed_dim"], depths=arch["depths"], num_heads=arch["num_heads"],
        window_size=arch["window_size"], image_size=arch["image_size"],
        patch_size=4, mlp_ratio=4.0, drop_path_rate=0.3,
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    id2label = dict(enumerate(COCO_PANOPTIC_NAMES))
    return Mask2FormerConfig(
        backbone_config=swin.to_dict(),
        feature_size=256, mask_feature_size=256, hidden_dim=256, num_attention_heads=8,
        encoder_layers=6, encoder_feedforward_dim=1024, dim_feedforward=2048,
        decoder_layers=10, num_queries=arch["num_queries"],
        id2label=id2label, label2id={n: i for i, n in id2label.items()},
    )


def build_processor() -> Mask2FormerImageProcessor:
    return Mask2FormerImageProcessor(
        do_resize=True, size={"height": 384, "width": 384}, size_divisor=32, resample=2,
        do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        image_mean=m2f_ref.IMAGENET_MEAN, image_std=m2f_ref.IMAGENET_STD, ignore_index=255,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", help="default: /work/models/m2f-swin-{tiny,large}-random")
    ap.add_argument("--architecture", choices=sorted(ARCHITECTURES), default="tiny")
    ap.add_argument("--image", default=str(REPO / "Tests/Fixtures/reference/images/scene-200x150.png"))
    ap.add_argument("--all-stages", action="store_true", help="also write backbone/pixel-decoder/attention tensors")
    ap.add_argument("--reuse", action="store_true", help="reuse an existing model in OUTDIR (only write the reference)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    m2f_ref.set_determinism(SEED, threads=args.threads)
    out = Path(args.outdir or ARCHITECTURES[args.architecture]["outdir"]).resolve()
    if REPO in out.parents or out == REPO:
        ap.error(f"{out} is inside the repository; the full model must live outside it")

    image = m2f_ref.load_image(args.image)
    if not (args.reuse and (out / "model.safetensors").exists()):
        t0 = time.perf_counter()
        torch.manual_seed(SEED)
        model = Mask2FormerForUniversalSegmentation(build_config(args.architecture)).eval()
        summary = m2f_ref.perturb_parameters(model, SEED)
        calibration = m2f_ref.preprocess(build_processor(), image)
        print(m2f_ref.calibrate_masks(model, calibration, 1.0))
        print(f"perturbed: {summary}")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        m2f_ref.save_model(model, str(out))
        build_processor().save_pretrained(out)
        print(f"built and saved in {time.perf_counter() - t0:.1f} s")

    model = m2f_ref.load_model(str(out))
    n_params = sum(p.numel() for p in model.parameters())
    from safetensors import safe_open

    with safe_open(str(out / "model.safetensors"), framework="pt") as f:
        keys = list(f.keys())
        int64 = [k for k in keys if f.get_slice(k).get_dtype() == "I64"]
    n_state = len(model.state_dict())
    # transformers 5.x's SwinBackbone also owns swin.layernorm (LayerNorm(C4), never applied); 4.57.6 has none.
    c4 = model.config.backbone_config.embed_dim * 2 ** (len(model.config.backbone_config.depths) - 1)
    with_5x_layernorm = n_params + 2 * c4
    expected = EXPECTED_PARAMETERS.get(args.architecture)
    print(f"parameters: {n_params:,} in transformers 4.57.6; + {2 * c4:,} for 5.x's unused swin.layernorm = "
          f"{with_5x_layernorm:,}" + (f" (published checkpoint: {expected:,}: "
          f"{'MATCH' if with_5x_layernorm == expected else 'DIFFERENT'})" if expected else ""))
    print(f"model.safetensors: {len(keys)} tensors ({len(int64)} int64 relative_position_index buffers, "
          f"{len(keys) - len(int64)} float); state_dict: {n_state} entries; "
          f"{sum(1 for _ in model.parameters())} parameter tensors")

    proc = m2f_ref.slow_processor(str(out))
    pixel_values = m2f_ref.preprocess(proc, image)
    t0 = time.perf_counter()
    run = m2f_ref.run_reference(model, pixel_values, with_backbone=args.all_stages, with_attention=args.all_stages)
    print(f"reference forward (instrumented, 2 passes) {time.perf_counter() - t0:.1f} s")
    m2f_ref.print_stats(f"swin-{args.architecture} {Path(args.image).name}", run.stats)
    ref = out / f"reference-{Path(args.image).stem}.safetensors"
    m2f_ref.save_safetensors(run.tensors, str(ref), {
        "format": m2f_ref.FIXTURE_FORMAT,
        "format_version": m2f_ref.FIXTURE_FORMAT_VERSION,
        "model": str(out),
        "input": Path(args.image).name,
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
    })
    print(f"wrote {ref} ({ref.stat().st_size / 1e6:.1f} MB): pixel_values {list(pixel_values.shape[1:])}, "
          f"class_logits.L {list(run.tensors['class_logits.0'].shape)}, mask_logits.L {list(run.tensors['mask_logits.0'].shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
