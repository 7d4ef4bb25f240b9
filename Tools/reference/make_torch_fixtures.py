#!/usr/bin/env python3
"""Fixtures for reading PyTorch checkpoints (issue 14), from files already committed.

1. models/tiny-w7/pytorch_model.bin: the tensors of models/tiny-w7/model.safetensors saved the way
   transformers' save_pretrained(safe_serialization=False) does (torch.save of the state dict, zip
   format, pickle protocol 2), so the Swift test can compare it with the safetensors path exactly.
2. torch/views-p{2,4,5}.bin: tensors torch saves as views of shared storages (transposed, sliced with
   an offset, F16/BF16/I64, a 0-d scalar, an empty tensor) in each protocol torch writes, and
   torch/views-expected.safetensors with the same values made contiguous.
3. torch/detectron2-p{2,4}.pkl: what detectron2's Checkpointer and the MODEL_ZOO files hold, a pickle
   of {"model": {name: numpy array}, "__author__": …} (protocol 2 spells bytes as _codecs.encode),
   and torch/detectron2-expected.safetensors with the same arrays.
   torch/malicious-os-system.pkl: a bare pickle calling os.system.
4. torch/malicious-os-system.bin: a torch-layout zip whose data.pkl calls os.system (it would create
   /tmp/maskscope-pickle-ran). Written with zipfile, never loaded here.

Run from the repository root with the reference venv:
    ../maskscope-ref-venv/bin/python Tools/reference/make_torch_fixtures.py
Deterministic: torch.save writes no timestamps (its zip writer uses fixed dates); a rerun is byte-identical.
"""
import hashlib
import os
import pickle
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures"


def write_manifest(fixtures: Path) -> None:
    """The same as make_fixtures.write_manifest (copied: that module needs Pillow and transformers)."""
    lines = []
    for path in sorted(fixtures.rglob("*")):
        if path.is_file() and path.name not in ("MANIFEST.sha256", "FIXTURES.md", ".DS_Store"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.relative_to(fixtures).as_posix()}\n")
    (fixtures / "MANIFEST.sha256").write_text("".join(lines))


def save_bin(state: dict, path: Path, protocol: int = 2) -> None:
    # transformers 4.x: torch.save(state_dict, os.path.join(folder, "pytorch_model.bin")) (protocol 2).
    torch.save(state, path, pickle_protocol=protocol)
    # Check it loads the safe way, as transformers would today. torch's weights_only loader has no
    # FRAME opcode (protocol 4+), so those files (made just above, by us) are checked the plain way.
    loaded = torch.load(path, weights_only=protocol < 4)
    assert list(loaded) == list(state)


def views() -> "OrderedDict[str, torch.Tensor]":
    g = torch.Generator().manual_seed(20240614)
    base = torch.randn(6, 5, generator=g)
    shared = torch.randn(40, generator=g)
    return OrderedDict([
        ("transposed", base.t()),                     # strides (1, 5)
        ("row_slice", base[2:5]),                     # offset 10 into base's storage
        ("column_slice", base[:, 1:4]),               # non-contiguous with an offset
        ("shared_a", shared[:12].view(3, 4)),         # two tensors, one storage
        ("shared_b", shared[20:30].view(2, 5)),
        ("half", torch.randn(3, 4, generator=g).half()),
        ("bfloat", torch.randn(2, 3, generator=g).bfloat16()),
        ("index", torch.arange(-3, 9, dtype=torch.int64).view(3, 4)),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 3)),
    ])


class RunsCommand:
    """What a malicious checkpoint holds: unpickling it calls os.system."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/maskscope-pickle-ran",))


def malicious(path: Path) -> None:
    payload = pickle.dumps(OrderedDict([("weight", RunsCommand())]), protocol=2)
    assert b"system" in payload
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in (("archive/data.pkl", payload), ("archive/version", b"3\n")):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, data)


def detectron2_model() -> dict:
    rng = np.random.default_rng(20240614)
    return {
        "backbone.patch_embed.proj.weight": rng.standard_normal((8, 3, 4, 4)).astype(np.float32),
        "backbone.layers.0.blocks.0.attn.relative_position_bias_table": rng.standard_normal((169, 2)).astype(np.float64),
        "backbone.layers.0.blocks.0.attn.relative_position_index": rng.integers(0, 169, (49, 49), dtype=np.int64),
        "sem_seg_head.predictor.query_feat.weight": rng.standard_normal((5, 8)).astype(np.float16),
        "criterion.empty_weight": np.ones(4, dtype=np.float32),
        "backbone.bn1.num_batches_tracked": np.array(7, dtype=np.int64),
    }


def main() -> int:
    torch.manual_seed(0)
    state = load_file(FIXTURES / "models" / "tiny-w7" / "model.safetensors")
    save_bin(OrderedDict(state.items()), FIXTURES / "models" / "tiny-w7" / "pytorch_model.bin")

    out = FIXTURES / "torch"
    out.mkdir(exist_ok=True)
    tensors = views()
    for protocol in (2, 4, 5):
        save_bin(tensors, out / f"views-p{protocol}.bin", protocol)
    save_file({k: v.contiguous() for k, v in tensors.items()}, out / "views-expected.safetensors")
    malicious(out / "malicious-os-system.bin")
    arrays = detectron2_model()
    for protocol in (2, 4):
        with open(out / f"detectron2-p{protocol}.pkl", "wb") as f:
            pickle.dump({"model": arrays, "__author__": "maskscope-fixture", "matching_heuristics": True}, f, protocol=protocol)
    # The MODEL_ZOO files were written by numpy 1.x, whose module is numpy.core (numpy 2 writes numpy._core).
    p2 = (out / "detectron2-p2.pkl").read_bytes()
    (out / "detectron2-p2-numpy1.pkl").write_bytes(p2.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n"))
    save_file({k: torch.from_numpy(np.array(v, order="C")) for k, v in arrays.items()}, out / "detectron2-expected.safetensors")
    (out / "malicious-os-system.pkl").write_bytes(pickle.dumps({"model": {"weight": RunsCommand()}}, protocol=2))
    write_manifest(FIXTURES)
    print(f"torch {torch.__version__}, numpy {np.__version__}: wrote pytorch_model.bin and Tests/Fixtures/torch/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
