#!/usr/bin/env python3
"""Writes Tests/Fixtures/preprocessing/: small images and the pixel_values each reference pipeline makes of them.

Run from the repository root, first with the 4.57 venv, then with the 5.x one (README of this folder):

    Tools/reference/setup-venv.sh && ../maskscope-ref-venv/bin/python Tools/reference/make_preprocessing_fixtures.py
    Tools/reference/setup-venv.sh 5 && ../maskscope-ref-venv5/bin/python Tools/reference/make_preprocessing_fixtures.py

Which files a run writes depends on the transformers it finds:
- 4.57 + Pillow 11.3: the images (Pillow encodes them; the 5.x run only reads them, so the bytes never
  depend on which Pillow wrote them), `transformers4-pil.safetensors` (the slow processor), and
  `detectron2.safetensors` from `detectron2_pixel_values` below, a re-implementation of detectron2's
  test-time steps (detectron2 itself need not be installed).
- 5.x + Pillow 13 + torchvision: `transformers5-torchvision.safetensors` (AutoImageProcessor's default
  when torchvision is installed) and `transformers5-pil.safetensors` (backend="pil", what users without
  torchvision get).

Every image goes through `Image.open(path).convert("RGB")` first, as users (and m2f_ref.load_image) do:
transformers 5.x's processors do not convert (do_convert_rgb is None), so an LA or RGBA image fails in them.
Each safetensors file holds `<image>/<config>` F32 [3, H, W] for the two processor configs below.
"""

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import PIL
import torch
import transformers
from PIL import Image

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures"
OUT = FIXTURES / "preprocessing"
MAJOR = int(transformers.__version__.split(".")[0])

# Two processor configs: a shortest/longest edge pair small enough that the images are shrunk and
# enlarged, and a fixed size (what most published checkpoints use, 384×384, scaled down).
CONFIGS = {
    "shortest32": {"size": {"shortest_edge": 32, "longest_edge": 56}, "size_divisor": 32},
    "fixed32": {"size": {"height": 32, "width": 32}, "size_divisor": 32},
}
COMMON = {
    "do_normalize": True, "do_rescale": True, "do_resize": True, "image_processor_type": "Mask2FormerImageProcessor",
    "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225], "resample": 2,
    "rescale_factor": 0.00392156862745098,
}
# detectron2: ResizeShortestEdge(MIN_SIZE_TEST, MAX_SIZE_TEST), Mask2Former's PIXEL_MEAN/STD, SIZE_DIVISIBILITY.
DETECTRON2 = {"min_size_test": 32, "max_size_test": 56, "pixel_mean": [123.675, 116.28, 103.53],
              "pixel_std": [58.395, 57.12, 57.375], "size_divisibility": 32}


def gradient_noise(rng, h, w, c, hi=255, noise=40):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * hi // max(1, w - 1), yy * hi // max(1, h - 1), (xx + yy) * hi // max(1, w + h - 2)], -1)
    base = np.concatenate([base] * ((c + 2) // 3), -1)[:, :, :c]
    return np.clip(base + rng.integers(-noise, noise + 1, size=(h, w, c)), 0, hi)


def write_images() -> list:
    """The test images, width×height in the names: odd sizes, every mode a user meets, up- and downscales."""
    rng = np.random.default_rng(20261202)
    images = OUT / "images"
    images.mkdir(parents=True, exist_ok=True)
    made = []

    def save(name, im, **kw):
        im.save(images / name, **kw)
        made.append(name)

    save("rgb-97x61.png", Image.fromarray(gradient_noise(rng, 61, 97, 3).astype(np.uint8), "RGB"))
    save("rgb-23x37.png", Image.fromarray(gradient_noise(rng, 37, 23, 3).astype(np.uint8), "RGB"))
    save("tall-31x101.png", Image.fromarray(gradient_noise(rng, 101, 31, 3).astype(np.uint8), "RGB"))
    save("grey-50x30.png", Image.fromarray(gradient_noise(rng, 30, 50, 1)[:, :, 0].astype(np.uint8), "L"))
    save("greyalpha-41x29.png", Image.fromarray(gradient_noise(rng, 29, 41, 2).astype(np.uint8), "LA"))
    save("rgba-33x45.png", Image.fromarray(gradient_noise(rng, 45, 33, 4).astype(np.uint8), "RGBA"))
    palette = Image.fromarray(gradient_noise(rng, 26, 40, 3).astype(np.uint8), "RGB").quantize(colors=37, method=Image.Quantize.MEDIANCUT)
    save("palette-40x26.png", palette)
    grey16 = gradient_noise(rng, 52, 36, 1, hi=65535, noise=9000)[:, :, 0].astype(np.uint16)
    save("grey16-36x52.png", Image.fromarray(grey16, "I;16"))
    save("photo-70x50.jpg", Image.fromarray(gradient_noise(rng, 50, 70, 3).astype(np.uint8), "RGB"), quality=90)
    return made


def detectron2_pixel_values(rgb: np.ndarray) -> torch.Tensor:
    """detectron2's test-time input for MaskFormer, step by step (sources at facebookresearch/detectron2
    02b5c4e2 and facebookresearch/Mask2Former 9b0651c):
    1. ResizeShortestEdge.get_output_shape (detectron2/data/transforms/augmentation_impl.py L181-200).
    2. ResizeTransform.apply_image on uint8: PIL Image.fromarray(img).resize((new_w, new_h), BILINEAR)
       (detectron2/data/transforms/transform.py L112-123); DefaultPredictor then
       torch.as_tensor(image.astype("float32").transpose(2, 0, 1)).
    3. MaskFormer.forward: (x - pixel_mean) / pixel_std with f32 [3,1,1] buffers (mask2former/maskformer_model.py L194).
    4. ImageList.from_tensors(images, size_divisibility): F.pad with 0 on the right and bottom to the
       next multiple (detectron2/structures/image_list.py L99-122)."""
    h, w = rgb.shape[:2]
    size = DETECTRON2["min_size_test"] * 1.0
    scale = size / min(h, w)
    newh, neww = (size, scale * w) if h < w else (scale * h, size)
    if max(newh, neww) > DETECTRON2["max_size_test"]:
        scale = DETECTRON2["max_size_test"] * 1.0 / max(newh, neww)
        newh, neww = newh * scale, neww * scale
    neww, newh = int(neww + 0.5), int(newh + 0.5)
    resized = np.asarray(Image.fromarray(rgb).resize((neww, newh), Image.BILINEAR))
    x = torch.as_tensor(resized.astype("float32").transpose(2, 0, 1))
    mean = torch.Tensor(DETECTRON2["pixel_mean"]).view(-1, 1, 1)
    std = torch.Tensor(DETECTRON2["pixel_std"]).view(-1, 1, 1)
    x = (x - mean) / std
    stride = DETECTRON2["size_divisibility"]
    padded_h, padded_w = (newh + stride - 1) // stride * stride, (neww + stride - 1) // stride * stride
    return torch.nn.functional.pad(x, [0, padded_w - neww, 0, padded_h - newh], value=0.0)


def processor(config_dir: str, backend: str):
    from transformers import AutoImageProcessor

    if MAJOR < 5:
        from transformers import Mask2FormerImageProcessor

        proc = AutoImageProcessor.from_pretrained(config_dir, use_fast=False)
        assert type(proc) is Mask2FormerImageProcessor, type(proc)
    elif backend == "torchvision":
        proc = AutoImageProcessor.from_pretrained(config_dir)
        assert type(proc).__name__ == "Mask2FormerImageProcessor" and proc.backend == "torchvision", type(proc)
    else:
        proc = AutoImageProcessor.from_pretrained(config_dir, backend="pil")
        assert type(proc).__name__ == "Mask2FormerImageProcessorPil", type(proc)
    return proc


def save(name: str, tensors: dict, meta: dict) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, str(OUT / name), metadata={"versions": json.dumps(meta, sort_keys=True)})
    print(f"wrote {OUT / name} ({len(tensors)} tensors)")


def write_manifest() -> None:
    lines = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.name not in ("MANIFEST.sha256", "FIXTURES.md", ".DS_Store"):
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(FIXTURES).as_posix()}\n")
    (FIXTURES / "MANIFEST.sha256").write_text("".join(lines))


def main() -> int:
    versions = {"transformers": transformers.__version__, "pillow": PIL.__version__, "torch": torch.__version__}
    if MAJOR < 5:
        assert PIL.__version__ == "11.3.0", f"the 4.57 run needs Pillow 11.3.0, found {PIL.__version__}"
        names = write_images()
    else:
        assert PIL.__version__.startswith("13."), f"the 5.x run needs Pillow 13, found {PIL.__version__}"
        import torchvision

        versions["torchvision"] = torchvision.__version__
        names = sorted(p.name for p in (OUT / "images").iterdir())
    for config_name, settings in CONFIGS.items():
        (OUT / f"preprocessor_config.{config_name}.json").write_text(json.dumps({**COMMON, **settings}, indent=2, sort_keys=True) + "\n")
    (OUT / "detectron2.json").write_text(json.dumps(DETECTRON2, indent=2, sort_keys=True) + "\n")
    images = {name: Image.open(OUT / "images" / name).convert("RGB") for name in sorted(names)}

    backends = ["pil"] if MAJOR < 5 else ["torchvision", "pil"]
    for backend in backends:
        tensors = {}
        with tempfile.TemporaryDirectory() as scratch:
            for config_name, settings in CONFIGS.items():
                with open(os.path.join(scratch, "preprocessor_config.json"), "w") as f:
                    json.dump({**COMMON, **settings}, f)
                proc = processor(scratch, backend)
                for name, im in images.items():
                    pv = proc(images=im, return_tensors="pt")["pixel_values"][0]
                    assert pv.dtype == torch.float32
                    tensors[f"{name}/{config_name}"] = pv
        save(f"transformers{MAJOR}-{backend}.safetensors", tensors, versions)
    if MAJOR < 5:
        tensors = {f"{name}/detectron2": detectron2_pixel_values(np.asarray(im)) for name, im in images.items()}
        save("detectron2.safetensors", tensors, versions)
    write_manifest()
    return 0


def make_torchvision_importable() -> None:
    """The PyPI torchvision wheel is built against CUDA torch; beside the CPU torch wheel its C extension
    (nms, roi_align…) does not load, and its import then fails registering fake kernels for two ops it
    never defined. Defining their schemas lets it import; resizing is torch's own interpolate and never
    touches the extension. Nothing is done where the extension loads (matching builds)."""
    import ctypes
    import glob
    import importlib.util

    spec = importlib.util.find_spec("torchvision")
    libraries = glob.glob(os.path.join(os.path.dirname(spec.origin), "_C*.so")) if spec and spec.origin else []
    try:
        if libraries:
            ctypes.CDLL(libraries[0])
            return
    except OSError:
        pass
    global _torchvision_ops
    _torchvision_ops = torch.library.Library("torchvision", "DEF")
    _torchvision_ops.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _torchvision_ops.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")


if __name__ == "__main__":
    if MAJOR >= 5:
        make_torchvision_importable()
    sys.exit(main())
