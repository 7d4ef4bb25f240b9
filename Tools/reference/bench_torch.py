#!/usr/bin/env python3
"""Time transformers' Mask2Former on the PyTorch CPU backend (the baseline Maskscope is compared with).

    Tools/reference/bench_torch.py --model DIR (--image IMG | --size HxW) [--threads 2] [--repeat 5] [--warmup 1]

With --size, the forward pass runs on seeded random pixel_values of that size (as `maskscope bench
--size`). The last line is machine-readable for Tools/bench.sh: `forward_ms median=… min=… max=… peak_rss_mb=…`.

Stages, each timed separately with time.perf_counter, `--repeat` times after `--warmup` untimed runs:
  preprocess  Image.open(IMG).convert("RGB") + the slow Mask2FormerImageProcessor -> pixel_values
  forward     Mask2FormerForUniversalSegmentation(pixel_values) under torch.inference_mode()
  total       both, back to back
Prints median and min per stage in milliseconds. The model is loaded once (not timed), in float32.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import m2f_ref  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder (config.json, model.safetensors, preprocessor_config.json)")
    ap.add_argument("--image", help="an image, preprocessed by the slow PIL processor")
    ap.add_argument("--size", help="HxW: time the forward pass on seeded random pixel_values of this size")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    if args.repeat < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("--repeat and --threads must be >= 1, --warmup >= 0")
    if (args.image is None) == (args.size is None):
        ap.error("give either --image or --size")

    torch.set_num_threads(args.threads)
    model = m2f_ref.load_model(args.model)
    proc = m2f_ref.slow_processor(args.model)

    if args.size:
        height, width = (int(v) for v in args.size.lower().split("x"))
        fixed = torch.randn((1, 3, height, width), generator=torch.Generator().manual_seed(0))

    def preprocess() -> torch.Tensor:
        if args.size:
            return fixed
        return m2f_ref.preprocess(proc, m2f_ref.load_image(args.image))

    def forward(pixel_values: torch.Tensor):
        with torch.inference_mode():
            return model(pixel_values=pixel_values)

    times: dict[str, list[float]] = {"preprocess": [], "forward": [], "total": []}
    shape = None
    for i in range(args.warmup + args.repeat):
        t0 = time.perf_counter()
        pixel_values = preprocess()
        t1 = time.perf_counter()
        out = forward(pixel_values)
        t2 = time.perf_counter()
        shape = tuple(pixel_values.shape[1:])
        if i >= args.warmup:
            times["preprocess"].append((t1 - t0) * 1e3)
            times["forward"].append((t2 - t1) * 1e3)
            times["total"].append((t2 - t0) * 1e3)
    del out

    print(f"model {args.model}  {'image ' + args.image if args.image else 'random input'} -> pixel_values {list(shape)}")
    print(f"torch {torch.__version__}, transformers {__import__('transformers').__version__}, threads {args.threads}, "
          f"{platform.processor() or platform.machine()}, repeat {args.repeat} (+{args.warmup} warm-up)")
    print(f"{'stage':<12}{'median ms':>12}{'min ms':>12}")
    for stage, values in times.items():
        print(f"{stage:<12}{statistics.median(values):>12.1f}{min(values):>12.1f}")
    forward = times["forward"]
    # ru_maxrss is in KiB on Linux: the process's peak resident set, weights and activations together.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"forward_ms median={statistics.median(forward):.1f} min={min(forward):.1f} max={max(forward):.1f} "
          f"peak_rss_mb={peak_rss_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
