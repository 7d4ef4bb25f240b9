#!/usr/bin/env python3
"""Write detectron2 checkpoints of the tiny fixture models (Tests/Fixtures/detectron2/*.pkl).

    Tools/reference/make_detectron2_fixtures.py [--fixtures Tests/Fixtures]

Each models/<name>/model.safetensors (transformers 4.57 names) is renamed to the names detectron2's
Mask2Former (facebookresearch/Mask2Former) gives the same tensors, and pickled as the MODEL_ZOO files
are: {"model": {name: numpy.ndarray}, "__author__": ...}. The renaming is the reverse of transformers'
convert_mask2former_original_pytorch_checkpoint_to_pytorch.py (replace_swin_backbone,
replace_pixel_module, replace_masked_attention_decoder, replace_keys_qkv_transformer_decoder,
replace_universal_segmentation_module), with Swin's query/key/value and the decoder's q/k/v_proj
concatenated back into `attn.qkv` and `in_proj_*`; ResNet follows detectron2's own names
(backbone.stem.conv1, backbone.res{2..5}.{i}.conv{1..3}/shortcut, each with a FrozenBN `.norm`).
Every key must be renamed; the script fails on one it does not know.

The Swift test loads each .pkl with `--model file.pkl` semantics and compares it with the committed
reference tensors of the same model (reference/<case>.safetensors). No new reference is written: the
weights are the same, so the outputs must be too. MANIFEST.sha256 is regenerated.
Deterministic: a second run is byte-identical.
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# Swin pickled with protocol 4, ResNet with protocol 2 (bytes through _codecs.encode, ~1.4× larger): both zoo variants.
MODELS = {"tiny-w7": 4, "tiny-r-stride3x3": 2}
# Also written as detectron2's training checkpoint (.pth, torch.save zip): the smaller model only.
PTH = {"tiny-r-stride3x3"}

E = "model.pixel_level_module.encoder."
P = "model.pixel_level_module.decoder."
T = "model.transformer_module."


def rename(name: str) -> str | None:
    """transformers name → detectron2 name, or None for tensors merged elsewhere (q/k/v)."""
    if name == "criterion.empty_weight":
        return name
    if name.startswith("class_predictor."):
        return "sem_seg_head.predictor.class_embed." + name[len("class_predictor."):]
    if name.startswith(E):
        rest = name[len(E):]
        m = re.fullmatch(r"hidden_states_norms\.stage(\d)\.(weight|bias)", rest)
        if m:
            return f"backbone.norm{int(m[1]) - 1}.{m[2]}"
        if rest.startswith("embeddings."):
            return "backbone.patch_embed." + rest[len("embeddings."):].replace("patch_embeddings.projection.", "proj.")
        if rest.startswith("encoder.layers."):
            if re.search(r"\.attention\.self\.(query|key|value)\.", rest):
                return None
            rest = rest[len("encoder.layers."):]
            for a, b in [(".layernorm_before.", ".norm1."), (".layernorm_after.", ".norm2."),
                         (".attention.self.relative_position_bias_table", ".attn.relative_position_bias_table"),
                         (".attention.self.relative_position_index", ".attn.relative_position_index"),
                         (".attention.output.dense.", ".attn.proj."),
                         (".intermediate.dense.", ".mlp.fc1."), (".output.dense.", ".mlp.fc2.")]:
                rest = rest.replace(a, b)
            return "backbone.layers." + rest
        # ResNet
        m = re.fullmatch(r"embedder\.embedder\.(convolution|normalization)\.(\w+)", rest)
        if m:
            return "backbone.stem.conv1." + ("" if m[1] == "convolution" else "norm.") + m[2]
        m = re.fullmatch(r"encoder\.stages\.(\d)\.layers\.(\d+)\.(layer\.(\d)|shortcut)\.(convolution|normalization)\.(\w+)", rest)
        if m:
            module = "shortcut" if m[3] == "shortcut" else f"conv{int(m[4]) + 1}"
            return f"backbone.res{int(m[1]) + 2}.{m[2]}.{module}." + ("" if m[5] == "convolution" else "norm.") + m[6]
        raise KeyError(name)
    if name.startswith(P):
        rest = name[len(P):]
        for a, b in [("adapter_1.0.", "adapter_1."), ("adapter_1.1.", "adapter_1.norm."),
                     ("layer_1.0.", "layer_1."), ("layer_1.1.", "layer_1.norm."),
                     ("input_projections.", "input_proj."), ("mask_projection.", "mask_features."),
                     (".fc1.", ".linear1."), (".fc2.", ".linear2."),
                     (".self_attn_layer_norm.", ".norm1."), (".final_layer_norm.", ".norm2.")]:
            rest = rest.replace(a, b)
        if rest == "level_embed":
            rest = "transformer.level_embed"
        elif rest.startswith("encoder."):
            rest = "transformer." + rest
        return "sem_seg_head.pixel_decoder." + rest
    if name.startswith(T):
        rest = name[len(T):]
        if re.search(r"\.self_attn\.[qkv]_proj\.", rest):
            return None
        m = re.fullmatch(r"decoder\.layers\.(\d+)\.(.*)", rest)
        if m:
            i, leaf = m[1], m[2]
            for a, b in [("self_attn.out_proj.", f"transformer_self_attention_layers.{i}.self_attn.out_proj."),
                         ("self_attn_layer_norm.", f"transformer_self_attention_layers.{i}.norm."),
                         ("cross_attn.", f"transformer_cross_attention_layers.{i}.multihead_attn."),
                         ("cross_attn_layer_norm.", f"transformer_cross_attention_layers.{i}.norm."),
                         ("fc1.", f"transformer_ffn_layers.{i}.linear1."), ("fc2.", f"transformer_ffn_layers.{i}.linear2."),
                         ("final_layer_norm.", f"transformer_ffn_layers.{i}.norm.")]:
                if leaf.startswith(a):
                    return "sem_seg_head.predictor." + b + leaf[len(a):]
            raise KeyError(name)
        m = re.fullmatch(r"decoder\.mask_predictor\.mask_embedder\.(\d)\.0\.(weight|bias)", rest)
        if m:
            return f"sem_seg_head.predictor.mask_embed.layers.{m[1]}.{m[2]}"
        table = {"decoder.layernorm.": "decoder_norm.", "queries_embedder.": "query_embed.",
                 "queries_features.": "query_feat.", "level_embed.": "level_embed.", "input_projections.": "input_proj."}
        for a, b in table.items():
            if rest.startswith(a):
                return "sem_seg_head.predictor." + b + rest[len(a):]
    raise KeyError(name)


def to_detectron2(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name in sorted(state):
        target = rename(name)
        if target is not None:
            assert target not in out, target
            out[target] = state[name]
    # Fused projections, rows in query, key, value order (the conversion script's slicing, reversed).
    for name in sorted(state):
        m = re.fullmatch(r"(.*\.blocks\.\d+)\.attention\.self\.query\.(weight|bias)", name)
        if m:
            parts = [state[f"{m[1]}.attention.self.{p}.{m[2]}"] for p in ("query", "key", "value")]
            out[rename(m[1] + ".layernorm_before.weight").replace(".norm1.weight", f".attn.qkv.{m[2]}")] = np.concatenate(parts)
        m = re.fullmatch(re.escape(T) + r"decoder\.layers\.(\d+)\.self_attn\.q_proj\.(weight|bias)", name)
        if m:
            parts = [state[f"{T}decoder.layers.{m[1]}.self_attn.{p}_proj.{m[2]}"] for p in "qkv"]
            suffix = "weight" if m[2] == "weight" else "bias"
            out[f"sem_seg_head.predictor.transformer_self_attention_layers.{m[1]}.self_attn.in_proj_{suffix}"] = np.concatenate(parts)
    consumed = sum(a.size for a in out.values())
    assert consumed == sum(a.size for a in state.values()), "a tensor was dropped or duplicated"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=str(REPO / "Tests" / "Fixtures"), help="the Tests/Fixtures folder")
    args = ap.parse_args()
    fixtures = Path(args.fixtures)
    out_dir = fixtures / "detectron2"
    out_dir.mkdir(exist_ok=True)
    for name, protocol in MODELS.items():
        state = load_file(str(fixtures / "models" / name / "model.safetensors"))
        arrays = to_detectron2(state)
        with open(out_dir / f"{name}.pkl", "wb") as f:
            pickle.dump({"model": arrays, "__author__": "maskscope-fixture"}, f, protocol=protocol)
        print(f"[{name}] {len(state)} tensors → {len(arrays)} detectron2 arrays, protocol {protocol}")
        if name in PTH:
            # What a detectron2 training run leaves (output/model_final.pth): torch.save's zip format.
            import torch
            tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
            torch.save({"model": tensors, "iteration": 0}, out_dir / f"{name}.pth")
            print(f"[{name}] also as a training .pth (torch.save zip)")
    make_fixtures.write_manifest(fixtures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
