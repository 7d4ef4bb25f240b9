#!/usr/bin/env python3
"""Write the ResNet-backbone Mask2Former fixtures under Tests/Fixtures/ (transformers 4.57.6, CPU, float32).

    Tools/reference/make_resnet_fixtures.py [--fixtures Tests/Fixtures]

1. Two tiny random models with transformers' ResNet backbone (bottleneck layers), one per setting of
   `downsample_in_bottleneck` (stride in the 3×3 conv, as Mask2Former's R50/R101 configs; and in the
   first 1×1 conv), saved like make_fixtures.py's models in models/<name>/. BatchNorm running
   statistics are random too, so folding them into the convolutions is tested.
2. One reference case per model in reference/<case>.safetensors (every stage, as make_fixtures.py)
   and reference/resnet-cases.json. MANIFEST.sha256 is regenerated.

Run make_fixtures.py first (the scene images come from it). Deterministic: a second run is byte-identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn
from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, ResNetConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import m2f_ref  # noqa: E402
import make_fixtures  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SEED = make_fixtures.SEED + 1000

M2F = dict(feature_size=32, mask_feature_size=32, hidden_dim=32, num_attention_heads=4,
           encoder_layers=2, encoder_feedforward_dim=64, dim_feedforward=64, decoder_layers=10, num_queries=12)

MODELS = {
    "tiny-r-stride3x3": {
        "seed": SEED + 1,
        "resnet": dict(embedding_size=8, hidden_sizes=[16, 32, 64, 128], depths=[1, 2, 2, 1],
                       downsample_in_bottleneck=False),
        "m2f": M2F,
        "labels": ["sky", "grass", "disc", "square", "triangle", "star", "ring"],
        "processor": dict(size={"height": 96, "width": 96}, size_divisor=32),
        "calibration_image": "scene-120x90.png",
        "query_offset_strength": 0.7,
        "scales": m2f_ref.PerturbScales(),
    },
    "tiny-r-stride1x1": {
        "seed": SEED + 2,
        "resnet": dict(embedding_size=16, hidden_sizes=[16, 32, 48, 64], depths=[2, 1, 1, 2],
                       downsample_in_bottleneck=True),
        "m2f": M2F,
        "labels": ["sky", "grass", "disc", "square", "ring"],
        "processor": dict(size={"shortest_edge": 100, "longest_edge": 160}, size_divisor=0),
        "calibration_image": "scene-200x150.png",
        "query_offset_strength": 1.0,
        "scales": m2f_ref.PerturbScales(),
    },
}

CASES = [
    {"case": "tiny-r-stride3x3-scene-120x90", "model": "tiny-r-stride3x3", "image": "scene-120x90.png"},
    # An odd size: every stride-2 conv and the max pool round up.
    {"case": "tiny-r-stride1x1-random-77x101", "model": "tiny-r-stride1x1", "random": (1, 3, 77, 101), "seed": SEED + 77},
]


def build_config(spec: dict) -> Mask2FormerConfig:
    resnet = ResNetConfig(**spec["resnet"], layer_type="bottleneck", hidden_act="relu",
                          out_features=["stage1", "stage2", "stage3", "stage4"])
    id2label = {i: n for i, n in enumerate(spec["labels"])}
    return Mask2FormerConfig(backbone_config=resnet.to_dict(), id2label=id2label,
                             label2id={n: i for i, n in id2label.items()}, **spec["m2f"])


def perturb_batch_norms(model: nn.Module, seed: int) -> int:
    """Random affine parameters and running statistics for every BatchNorm2d (variance in [0.5, 2])."""
    gen = torch.Generator().manual_seed(seed)
    count = 0
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                shape = module.weight.shape
                module.weight.copy_(1.0 + 0.2 * torch.randn(shape, generator=gen))
                module.bias.copy_(0.2 * torch.randn(shape, generator=gen))
                module.running_mean.copy_(0.2 * torch.randn(shape, generator=gen))
                module.running_var.copy_(torch.exp(0.35 * torch.randn(shape, generator=gen)).clamp(0.5, 2.0))
                count += 1
    return count


def write_model(name: str, spec: dict, out_dir: Path, calibration: torch.Tensor) -> None:
    torch.manual_seed(spec["seed"])
    model = Mask2FormerForUniversalSegmentation(build_config(spec)).eval()
    # BatchNorm2d has no rule in perturb_parameters: give its parameters a plain rule there (overwritten
    # next with 1 + N for the weight), so that every other parameter is drawn exactly as for Swin.
    scales = spec["scales"]
    scales.overrides = {"normalization.weight": 0.2, "normalization.bias": 0.2}
    summary = m2f_ref.perturb_parameters(model, spec["seed"], scales)
    norms = perturb_batch_norms(model, spec["seed"] + 500)
    note = m2f_ref.calibrate_masks(model, calibration, spec["query_offset_strength"])
    print(f"[{name}] {sum(p.numel() for p in model.parameters()):,} parameters; perturbed {summary}; {norms} BatchNorms")
    print(f"[{name}] {note}")
    if out_dir.exists():
        import shutil
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    m2f_ref.save_model(model, str(out_dir))
    make_fixtures.build_processor(spec).save_pretrained(out_dir)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=str(REPO / "Tests" / "Fixtures"), help="the Tests/Fixtures folder")
    args = ap.parse_args()
    m2f_ref.set_determinism(make_fixtures.SEED, threads=2)
    fixtures = Path(args.fixtures)
    ref_dir = fixtures / "reference"
    for name, spec in MODELS.items():
        image = m2f_ref.load_image(str(ref_dir / "images" / spec["calibration_image"]))
        calibration = m2f_ref.preprocess(make_fixtures.build_processor(spec), image)
        write_model(name, spec, fixtures / "models" / name, calibration)
    cases = {case["case"]: make_fixtures.write_case(case, fixtures, ref_dir) for case in CASES}
    (ref_dir / "resnet-cases.json").write_text(make_fixtures.compact_json(cases) + "\n")
    make_fixtures.write_manifest(fixtures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
