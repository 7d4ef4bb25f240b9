#!/usr/bin/env python3
"""Write the committed Mask2Former fixtures under Tests/Fixtures/ (transformers 4.57.6, CPU, float32).

    Tools/reference/make_fixtures.py [--fixtures Tests/Fixtures]

1. Two tiny randomly initialised models (tiny-w7, tiny-w12), saved with save_pretrained
   (safetensors, 4.x key names) plus a preprocessor_config.json, in models/<name>/. tiny-w7 also
   gets model-5x-names.safetensors (the same weights under transformers 5.x Swin names).
2. Two synthetic PNG scenes in reference/images/.
3. Three reference cases in reference/<case>.safetensors (every stage: backbone, pixel decoder,
   per-layer class/mask logits, cross-attention masks and weights) and reference/cases.json.
4. FIXTURES.md is hand-written; MANIFEST.sha256 is regenerated here.

Deterministic: fixed seeds, torch.set_num_threads(2); a second run must be byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors import safe_open
from transformers import (
    Mask2FormerConfig,
    Mask2FormerForUniversalSegmentation,
    Mask2FormerImageProcessor,
    SwinConfig,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import m2f_ref  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SEED = 20240607

MODELS = {
    "tiny-w7": {
        "seed": SEED + 7,
        # Small widths keep the committed files at a few MB; mlp_ratio 2 (not 4) for the same reason.
        "swin": dict(embed_dim=16, depths=[2, 2, 2, 2], num_heads=[2, 4, 8, 16], window_size=7, mlp_ratio=2.0),
        "m2f": dict(feature_size=32, mask_feature_size=32, hidden_dim=32, num_attention_heads=4,
                    encoder_layers=2, encoder_feedforward_dim=64, dim_feedforward=64,
                    decoder_layers=10, num_queries=12),
        "labels": ["sky", "grass", "disc", "square", "triangle", "star", "ring"],
        "processor": dict(size={"height": 96, "width": 96}, size_divisor=32),
        "calibration_image": "scene-120x90.png",
        "query_offset_strength": 0.7,
        "scales": m2f_ref.PerturbScales(),
    },
    "tiny-w12": {
        "seed": SEED + 12,
        "swin": dict(embed_dim=16, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8], window_size=12, mlp_ratio=2.0),
        # tiny-w7 keeps the int64 relative_position_index buffers 4.57 saves (checked on load);
        # tiny-w12 drops them (1.3 MB at window 12), as 5.x files do, so both paths are tested.
        "drop_index_buffers": True,
        "m2f": dict(feature_size=64, mask_feature_size=48, hidden_dim=32, num_attention_heads=4,
                    encoder_layers=2, encoder_feedforward_dim=64, dim_feedforward=96,
                    decoder_layers=10, num_queries=10),
        "labels": ["sky", "grass", "disc", "square", "ring"],
        "processor": dict(size={"shortest_edge": 100, "longest_edge": 160}, size_divisor=0),
        "calibration_image": "scene-200x150.png",
        "query_offset_strength": 1.0,
        "scales": m2f_ref.PerturbScales(),
    },
}

IMAGES = {  # name -> (width, height, seed)
    "scene-120x90.png": (120, 90, SEED + 120),
    "scene-200x150.png": (200, 150, SEED + 200),
}

CASES = [
    {"case": "tiny-w7-scene-120x90", "model": "tiny-w7", "image": "scene-120x90.png"},
    {"case": "tiny-w12-scene-200x150", "model": "tiny-w12", "image": "scene-200x150.png"},
    {"case": "tiny-w7-random-77x101", "model": "tiny-w7", "random": (1, 3, 77, 101), "seed": SEED + 77},
]


# --------------------------------------------------------------------------------------------------
# Models


def build_config(spec: dict) -> Mask2FormerConfig:
    swin = SwinConfig(
        **spec["swin"],
        patch_size=4,
        drop_path_rate=0.0,
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    id2label = {i: n for i, n in enumerate(spec["labels"])}
    return Mask2FormerConfig(
        backbone_config=swin.to_dict(),
        id2label=id2label,
        label2id={n: i for i, n in id2label.items()},
        **spec["m2f"],
    )


def build_processor(spec: dict) -> Mask2FormerImageProcessor:
    return Mask2FormerImageProcessor(
        do_resize=True,
        resample=2,  # PILImageResampling.BILINEAR
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=m2f_ref.IMAGENET_MEAN,
        image_std=m2f_ref.IMAGENET_STD,
        ignore_index=255,
        **spec["processor"],
    )


def write_model(name: str, spec: dict, out_dir: Path, calibration: torch.Tensor) -> None:
    torch.manual_seed(spec["seed"])
    config = build_config(spec)
    model = Mask2FormerForUniversalSegmentation(config).eval()
    summary = m2f_ref.perturb_parameters(model, spec["seed"], spec["scales"])
    calibration_note = m2f_ref.calibrate_masks(model, calibration, spec["query_offset_strength"])
    n_params = sum(p.numel() for p in model.parameters())
    n_proj = sum(p.numel() for m in m2f_ref.decoder_input_projections(model) for p in m.parameters())
    print(f"[{name}] {n_params:,} registered parameters (+{n_proj:,} in the unregistered decoder input projections)")
    print(f"[{name}] perturbed: {summary}")
    print(f"[{name}] {calibration_note}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    m2f_ref.save_model(model, str(out_dir))
    if spec.get("drop_index_buffers"):
        drop_index_buffers(out_dir / "model.safetensors")
    build_processor(spec).save_pretrained(out_dir)


def drop_index_buffers(path: Path) -> None:
    """Rewrites a checkpoint without Swin's relative_position_index buffers (recomputable, unused)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys() if not k.endswith("relative_position_index")}
    save_file(tensors, str(path), metadata=metadata)


SWIN_BLOCK_RENAMES = [  # (4.x suffix inside a Swin block, 5.x suffix); order matters
    ("attention.self.query.", "attention.q_proj."),
    ("attention.self.key.", "attention.k_proj."),
    ("attention.self.value.", "attention.v_proj."),
    ("attention.output.dense.", "attention.o_proj."),
    ("attention.self.relative_position_bias_table", "attention.relative_position_bias.relative_position_bias_table"),
    ("intermediate.dense.", "mlp.fc1."),
    ("output.dense.", "mlp.fc2."),
]
BACKBONE = "model.pixel_level_module.encoder."


def to_5x_name(key: str) -> str | None:
    """The transformers 5.x name of a 4.x key (None: dropped, i.e. relative_position_index)."""
    if key.endswith("relative_position_index"):
        return None
    if not key.startswith(BACKBONE):
        return key
    rest = key[len(BACKBONE):]
    if rest.startswith("hidden_states_norms."):
        return key
    if not (rest.startswith("embeddings.") or rest.startswith("encoder.")):
        raise ValueError(f"unexpected backbone key {key}")
    m = re.match(r"(encoder\.layers\.\d+\.blocks\.\d+\.)(.*)", rest)
    if m:
        head, tail = m.groups()
        for old, new in SWIN_BLOCK_RENAMES:
            if tail.startswith(old):
                tail = new + tail[len(old):]
                break
        rest = head + tail
    return BACKBONE + "swin." + rest


def write_5x_names(model_dir: Path, seed: int) -> dict:
    src = model_dir / "model.safetensors"
    out: dict[str, torch.Tensor] = {}
    dropped, int64 = [], []
    with safe_open(str(src), framework="pt") as f:
        for key in f.keys():
            t = f.get_tensor(key)
            if t.dtype == torch.int64:
                int64.append(key)
            new = to_5x_name(key)
            if new is None:
                dropped.append(key)
                continue
            assert new not in out, new
            out[new] = t
    c4 = out["model.pixel_level_module.encoder.hidden_states_norms.stage4.weight"].shape[0]
    gen = torch.Generator().manual_seed(seed)
    # Present in 5.x state dicts, never applied by SwinBackbone: random values prove it is ignored.
    out[BACKBONE + "swin.layernorm.weight"] = 1.0 + 0.2 * torch.randn(c4, generator=gen)
    out[BACKBONE + "swin.layernorm.bias"] = 0.2 * torch.randn(c4, generator=gen)
    m2f_ref.save_safetensors(out, str(model_dir / "model-5x-names.safetensors"), {"format": "pt"})
    return {"int64_keys_in_4x_file": int64, "dropped_in_5x_file": dropped, "tensors_5x": len(out)}


# --------------------------------------------------------------------------------------------------
# Images


def make_scene(width: int, height: int, seed: int) -> np.ndarray:
    """Sky gradient over grass, with a disc, square, triangle, star and ring, plus noise. uint8 HWC."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = (x + 0.5) / width, (y + 0.5) / height  # normalised coordinates
    img = np.zeros((height, width, 3), np.float64)
    sky = np.stack([90 + 60 * v, 140 + 60 * v, 235 - 20 * v], -1)
    horizon = 0.62 + 0.05 * np.sin(2 * np.pi * u * 1.5)
    grass = np.stack([50 + 40 * u, 150 - 50 * (v - 0.6), 60 + 20 * u], -1)
    img[:] = sky
    img[v > horizon] = grass[v > horizon]

    def paint(mask, rgb):
        img[mask] = rgb

    paint((u - 0.2) ** 2 + ((v - 0.25) * height / width) ** 2 < 0.1 ** 2, (245, 215, 60))  # disc (sun)
    paint((np.abs(u - 0.45) < 0.09) & (np.abs(v - 0.75) < 0.09 * width / height), (200, 60, 50))  # square
    tri = (v > 0.55) & (v < 0.92) & (np.abs(u - 0.78) < (v - 0.55) * 0.45)
    paint(tri, (140, 70, 170))  # triangle
    ang = np.arctan2(v - 0.3, u - 0.7)
    rad = np.hypot(u - 0.7, (v - 0.3) * height / width)
    paint(rad < 0.06 + 0.04 * np.cos(5 * ang), (250, 250, 250))  # star
    ring_r = np.hypot(u - 0.15, (v - 0.8) * height / width)
    paint((ring_r > 0.05) & (ring_r < 0.08), (30, 30, 120))  # ring
    img += rng.normal(0.0, 6.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# Cases


def write_case(case: dict, fixtures: Path, ref_dir: Path) -> dict:
    model_dir = fixtures / "models" / case["model"]
    model = m2f_ref.load_model(str(model_dir))
    if "image" in case:
        image_path = ref_dir / "images" / case["image"]
        image = m2f_ref.load_image(str(image_path))
        proc = m2f_ref.slow_processor(str(model_dir))
        pixel_values = m2f_ref.preprocess(proc, image)
        source = f"reference/images/{case['image']}"
        extra = {"image_size_hw": [image.height, image.width], "processor": "Mask2FormerImageProcessor (slow, PIL)"}
    else:
        gen = torch.Generator().manual_seed(case["seed"])
        pixel_values = torch.randn(case["random"], generator=gen, dtype=torch.float32)
        source = "random pixel_values"
        extra = {"seed": case["seed"], "distribution": "torch.randn (standard normal), torch.Generator().manual_seed(seed)"}
    run = m2f_ref.run_reference(model, pixel_values)
    m2f_ref.print_stats(case["case"], run.stats)
    metadata = {
        "format": m2f_ref.FIXTURE_FORMAT,
        "format_version": m2f_ref.FIXTURE_FORMAT_VERSION,
        "case": case["case"],
        "model": f"models/{case['model']}",
        "input": source,
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
    }
    m2f_ref.save_safetensors(run.tensors, str(ref_dir / f"{case['case']}.safetensors"), metadata)
    shapes = {k: list(v.shape) for k, v in run.tensors.items()}
    dtypes = {k: m2f_ref._ST_DTYPES[v.dtype] for k, v in run.tensors.items()}
    return {
        "model": f"models/{case['model']}",
        "input": source,
        **extra,
        "pixel_values_shape": shapes["pixel_values"],
        "mask_logits_shape": shapes["mask_logits.0"],
        "class_logits_shape": shapes["class_logits.0"],
        "level_sizes": [list(shapes[f"pixel_decoder.{i}"][1:]) for i in range(3)],
        "num_predictions": sum(1 for k in shapes if k.startswith("class_logits.")),
        "stats": {
            "blocked_fraction": [round(s["blocked_fraction_used"], 4) for s in run.stats["layers"]],
            "all_blocked_queries": [s["all_blocked_queries"] for s in run.stats["layers"]],
            "flip_candidates_abs_logit_below_1e-4": [s["flip_candidates_1e-4"] for s in run.stats["layers"]],
            "min_abs_resized_logit": [float(f"{s['min_abs_logit']:.3g}") for s in run.stats["layers"]],
        },
        "tensors": {k: {"dtype": dtypes[k], "shape": shapes[k]} for k in shapes},
    }


def compact_json(value) -> str:
    """Indented JSON with lists of scalars kept on one line."""
    text = json.dumps(value, indent=2)
    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]", lambda m: "[" + re.sub(r"\s*\n\s*", " ", m.group(1)) + "]", text)


def write_manifest(fixtures: Path) -> None:
    lines = []
    for path in sorted(fixtures.rglob("*")):
        if path.is_file() and path.name not in ("MANIFEST.sha256", "FIXTURES.md", ".DS_Store"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.relative_to(fixtures).as_posix()}\n")
    (fixtures / "MANIFEST.sha256").write_text("".join(lines))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=str(REPO / "Tests" / "Fixtures"), help="the Tests/Fixtures folder")
    args = ap.parse_args()
    m2f_ref.set_determinism(SEED, threads=2)
    fixtures = Path(args.fixtures)
    ref_dir = fixtures / "reference"
    (ref_dir / "images").mkdir(parents=True, exist_ok=True)

    for name, (w, h, seed) in IMAGES.items():
        Image.fromarray(make_scene(w, h, seed)).save(ref_dir / "images" / name, format="PNG", optimize=False)

    report = {}
    for name, spec in MODELS.items():
        image = m2f_ref.load_image(str(ref_dir / "images" / spec["calibration_image"]))
        calibration = m2f_ref.preprocess(build_processor(spec), image)
        write_model(name, spec, fixtures / "models" / name, calibration)
    report["tiny-w7 5x names"] = write_5x_names(fixtures / "models" / "tiny-w7", SEED + 5)
    print(f"[tiny-w7] model-5x-names.safetensors: {report['tiny-w7 5x names']}")

    cases = {}
    for case in CASES:
        cases[case["case"]] = write_case(case, fixtures, ref_dir)
    (ref_dir / "cases.json").write_text(compact_json(cases) + "\n")
    write_manifest(fixtures)

    total = sum(p.stat().st_size for p in fixtures.rglob("*") if p.is_file())
    print(f"fixtures: {total / 1e6:.2f} MB under {fixtures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
