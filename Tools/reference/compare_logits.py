#!/usr/bin/env python3
"""Compare two safetensors dumps tensor by tensor with Maskscope's parity tolerance.

    Tools/reference/compare_logits.py A.safetensors B.safetensors

B is the reference. For every tensor name common to both: shape, max|A-B|, max|B|, the ratio of
max|A-B| to the tolerance 1e-4 * max(1, max|B|), and PASS/FAIL (ratio <= 1). For `mask_logits.*`
also the number of entries whose sign differs between A and B (straddling 0); for U8 masks
(`attention_mask.*`) the number of differing entries, which must be 0.
Exit status 0 if every common tensor passes and both files hold the same names; 1 otherwise
(a shape mismatch, a failing tensor, or a name missing from either file); 2 for usage errors.
"""

from __future__ import annotations

import re
import sys

import numpy as np
from safetensors.numpy import load_file

RELATIVE_TOLERANCE = 1e-4


def natural_key(name: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    a_path, b_path = argv[1], argv[2]
    try:
        a, b = load_file(a_path), load_file(b_path)
    except Exception as exc:  # noqa: BLE001 - one line for any unreadable file
        print(f"compare_logits: cannot read: {exc}", file=sys.stderr)
        return 2

    ok = True
    common = sorted(set(a) & set(b), key=natural_key)
    print(f"A = {a_path}\nB = {b_path} (reference)\n")
    print(f"{'tensor':<22}{'shape':<18}{'max|A-B|':>11}{'max|B|':>11}{'ratio':>9}  result  notes")
    for name in common:
        x, y = a[name], b[name]
        if x.shape != y.shape:
            print(f"{name:<22}{str(list(y.shape)):<18}{'':>11}{'':>11}{'':>9}  FAIL    shape A {list(x.shape)} vs B {list(y.shape)}")
            ok = False
            continue
        notes = ""
        if y.dtype == np.uint8 or x.dtype == np.uint8:
            differ = int(np.count_nonzero(x.astype(np.int64) != y.astype(np.int64)))
            passed = differ == 0
            print(f"{name:<22}{str(list(y.shape)):<18}{'':>11}{'':>11}{'':>9}  {'PASS' if passed else 'FAIL'}    "
                  f"{differ} of {y.size} entries differ")
            ok &= passed
            continue
        xd, yd = x.astype(np.float64), y.astype(np.float64)
        if not np.all(np.isfinite(xd)) or not np.all(np.isfinite(yd)):
            notes = "non-finite values"
            diff, ref_max, ratio, passed = float("nan"), float(np.nanmax(np.abs(yd))) if yd.size else 0.0, float("nan"), False
        else:
            diff = float(np.max(np.abs(xd - yd))) if y.size else 0.0
            ref_max = float(np.max(np.abs(yd))) if y.size else 0.0
            ratio = diff / (RELATIVE_TOLERANCE * max(1.0, ref_max))
            passed = ratio <= 1.0
        if name.startswith("mask_logits"):
            straddle = int(np.count_nonzero(np.signbit(x) != np.signbit(y)))
            notes = (notes + "; " if notes else "") + f"{straddle} entries straddle 0"
        print(f"{name:<22}{str(list(y.shape)):<18}{diff:>11.3g}{ref_max:>11.3g}{ratio:>9.3f}  {'PASS' if passed else 'FAIL'}    {notes}")
        ok &= passed

    only_a = sorted(set(a) - set(b), key=natural_key)
    only_b = sorted(set(b) - set(a), key=natural_key)
    for name in only_b:
        print(f"{name:<22}missing from A")
    for name in only_a:
        print(f"{name:<22}missing from B")
    if only_a or only_b:
        ok = False
    print(f"\n{len(common)} common tensors; {len(only_a)} only in A, {len(only_b)} only in B: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
