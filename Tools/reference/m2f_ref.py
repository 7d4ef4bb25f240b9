"""Shared helpers for the Maskscope reference scripts (transformers 4.57.6, torch CPU, float32).

- `perturb_parameters`: overwrite every floating-point parameter with seeded random values so that
  no path of the network is degenerate (transformers' own init zeroes the deformable offsets and
  attention weights and leaves the norms at 1/0).
- `run_reference`: run `Mask2FormerForUniversalSegmentation` once with hooks and return every stage
  the Swift tests compare (backbone maps, pixel-decoder maps, per-layer class/mask logits, the
  binary cross-attention masks and the head-averaged cross-attention weights), after checking the
  recomputed masks and weights against what transformers actually used.
- `load_image` / `preprocess`: the exact way users feed an image (PIL convert("RGB") + the slow
  numpy/PIL `Mask2FormerImageProcessor`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from transformers import AutoImageProcessor, Mask2FormerImageProcessor
from transformers.models.mask2former import modeling_mask2former as m2f_modeling

FIXTURE_FORMAT = "maskscope-fixture"
FIXTURE_FORMAT_VERSION = "1"

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def set_determinism(seed: int, threads: int = 2) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)


# --------------------------------------------------------------------------------------------------
# Deterministic safetensors writer

_ST_DTYPES = {torch.float32: "F32", torch.uint8: "U8", torch.int32: "I32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(tensors: dict, path: str, metadata: dict | None = None) -> None:
    """Write a safetensors file byte-for-byte reproducibly.

    safetensors.torch.save_file stores `__metadata__` from a Rust HashMap, so with more than one
    metadata key the header order (and the file's bytes) changes from run to run. Here the header
    is JSON with the metadata keys sorted and the tensors in sorted name order, data contiguous
    little-endian, the header padded with spaces to a multiple of 8 bytes (as safetensors does).
    """
    import json
    import struct

    header: dict = {}
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata)}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype not in _ST_DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    # Read it back with the reference library: same names, dtypes, shapes, values.
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        assert sorted(f.keys()) == sorted(tensors), path
        for name in tensors:
            if not torch.equal(f.get_tensor(name), tensors[name].detach().cpu()):
                raise AssertionError(f"{path}: {name} does not read back identically")


# --------------------------------------------------------------------------------------------------
# Random, non-degenerate parameters


@dataclass
class PerturbScales:
    """Scales of the seeded overwrite. Every Linear/Conv weight is N(0, (gain/sqrt(fan_in))^2)."""

    gain: float = 1.0
    bias: float = 0.1
    norm_weight: float = 0.2  # LayerNorm/GroupNorm weight = 1 + norm_weight * N
    norm_bias: float = 0.2
    rel_pos_table: float = 0.5
    embedding: float = 1.0  # level embeddings, query features, query position embeddings
    offset_weight_gain: float = 0.8  # deformable sampling_offsets: output std ~ gain * |input| (pixels)
    offset_bias: float = 0.8  # deformable sampling_offsets bias (pixels of the sampled level)
    overrides: dict = field(default_factory=dict)  # parameter name suffix -> std of a plain N(0, std)


def perturb_parameters(model: nn.Module, seed: int, scales: PerturbScales | None = None) -> dict:
    """Overwrite every floating-point parameter, in `named_modules` order, from one seeded generator.

    Returns a {rule: count} summary. Raises on any parameter no rule covers, so nothing is left at
    transformers' init by accident.
    """
    s = scales or PerturbScales()
    gen = torch.Generator().manual_seed(seed)

    def randn(shape) -> torch.Tensor:
        return torch.randn(tuple(shape), generator=gen, dtype=torch.float32)

    summary: dict[str, int] = {}

    def note(rule: str) -> None:
        summary[rule] = summary.get(rule, 0) + 1

    seen: set[int] = set()
    for mname, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            full = f"{mname}.{pname}" if mname else pname
            if not p.dtype.is_floating_point:
                continue
            override = next((v for k, v in s.overrides.items() if full.endswith(k)), None)
            if override is not None:
                value, rule = override * randn(p.shape), "override"
            elif mname.endswith("sampling_offsets") and isinstance(module, nn.Linear):
                if pname == "weight":
                    value, rule = randn(p.shape) * (s.offset_weight_gain / math.sqrt(p.shape[1])), "offsets.weight"
                else:
                    value, rule = randn(p.shape) * s.offset_bias, "offsets.bias"
            elif isinstance(module, (nn.Linear, nn.Conv2d)):
                if pname == "weight":
                    fan_in = p[0].numel()
                    value, rule = randn(p.shape) * (s.gain / math.sqrt(fan_in)), "linear/conv.weight"
                else:
                    value, rule = randn(p.shape) * s.bias, "linear/conv.bias"
            elif isinstance(module, nn.MultiheadAttention):
                if pname == "in_proj_weight":
                    value, rule = randn(p.shape) * (s.gain / math.sqrt(p.shape[1])), "mha.in_proj_weight"
                elif pname == "in_proj_bias":
                    value, rule = randn(p.shape) * s.bias, "mha.in_proj_bias"
                else:
                    raise ValueError(f"unhandled MultiheadAttention parameter {full}")
            elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
                if pname == "weight":
                    value, rule = 1.0 + s.norm_weight * randn(p.shape), "norm.weight"
                else:
                    value, rule = s.norm_bias * randn(p.shape), "norm.bias"
            elif isinstance(module, nn.Embedding):
                value, rule = s.embedding * randn(p.shape), "embedding"
            elif pname == "relative_position_bias_table":
                value, rule = s.rel_pos_table * randn(p.shape), "relative_position_bias_table"
            elif pname == "level_embed":
                value, rule = s.embedding * randn(p.shape), "pixel_decoder.level_embed"
            else:
                raise ValueError(f"no perturbation rule for parameter {full} ({type(module).__name__})")
            with torch.no_grad():
                p.copy_(value)
            note(rule)
    # transformers keeps the decoder's input projections in a plain Python list
    # (Mask2FormerTransformerModule.input_projections = []), so they are not registered parameters:
    # named_modules() above never reaches them. Perturb them explicitly, after everything else.
    for proj in decoder_input_projections(model):
        for pname, p in proj.named_parameters(recurse=False):
            if pname == "weight":
                value, rule = randn(p.shape) * (s.gain / math.sqrt(p[0].numel())), "decoder.input_projections.weight"
            else:
                value, rule = randn(p.shape) * s.bias, "decoder.input_projections.bias"
            with torch.no_grad():
                p.copy_(value)
            note(rule)
    return summary


# --------------------------------------------------------------------------------------------------
# Calibration: keep the random masks informative (applied after perturb_parameters)


def calibrate_masks(model, pixel_values: torch.Tensor, query_offset_strength: float) -> str:
    """centre the mask features, centre the mask embeddings, then add per-query offsets."""
    a = center_mask_features(model, pixel_values)
    b = center_mask_embeddings(model, pixel_values)
    c, constant = add_query_offsets(model, pixel_values, query_offset_strength)
    return (f"mask_projection.bias centred (max shift {a:.3f}); mask embedder last bias centred "
            f"(max shift {b:.3f}); per-query offsets via mask-feature channel {c} (+{constant:.3f})")


def center_mask_features(model, pixel_values: torch.Tensor) -> float:
    """Shift mask_projection.bias so every mask-feature channel has zero mean on a calibration input.

    With random weights the mask embeddings of all queries share a large common component (ReLU
    outputs are positive), and the per-channel means of the mask features turn it into one offset
    of all mask logits: nearly every attention-mask entry ends up blocked. Centring the features
    removes that offset. Returns the largest shift.
    """
    with torch.inference_mode():
        out = model.model.pixel_level_module(pixel_values=pixel_values)
        mean = out.decoder_last_hidden_state[0].mean(dim=(1, 2))
    bias = model.model.pixel_level_module.decoder.mask_projection.bias
    with torch.no_grad():
        bias.sub_(mean)
    return float(mean.abs().max())


def center_mask_embeddings(model, pixel_values: torch.Tensor) -> float:
    """Shift the last mask_embedder bias so the mask embeddings have zero mean over queries (and the
    10 predictions) on a calibration input.

    With random weights the embeddings of all queries share a large common component (the MLP's
    ReLU outputs are positive), so every query predicts nearly the same mask and no query is ever
    blocked everywhere. Removing it decorrelates the queries. Returns the largest shift.
    """
    with torch.inference_mode():
        out = model.model(pixel_values=pixel_values, output_hidden_states=True)
        states = torch.cat([s[:, 0] for s in out.transformer_decoder_intermediate_states])  # [10*Q, d]
        embedder = model.model.transformer_module.decoder.mask_predictor.mask_embedder
        mean = embedder(states).mean(0)
    last_bias = dict(embedder.named_parameters())["2.0.bias"]
    with torch.no_grad():
        last_bias.sub_(mean)
    return float(mean.abs().max())


def add_query_offsets(model, pixel_values: torch.Tensor, strength: float) -> tuple[int, float]:
    """Give each query its own overall mask-logit offset, so that some queries are blocked (or open)
    almost everywhere and the all-blocked -> attend-everywhere rule is exercised at the coarse levels.

    mask_logits[q] = e_q . mask_features, so a constant added to one mask-feature channel c adds
    e_q[c] * constant to every logit of query q. Channel c is one whose embedding varies much over the
    queries of prediction 0 while its mean over queries stays small in the later predictions; the
    constant makes the offsets' spread in prediction 0 `strength` times the logits' spatial spread.
    Returns (channel, constant).
    """
    with torch.inference_mode():
        out = model.model(pixel_values=pixel_values, output_hidden_states=True)
        states = torch.cat([s[:, 0] for s in out.transformer_decoder_intermediate_states])  # [10*Q, d]
        e = model.model.transformer_module.decoder.mask_predictor.mask_embedder(states)  # [10*Q, mask_dim]
        spatial = torch.stack([m[0].std(dim=(1, 2)).mean() for m in out.masks_queries_logits]).mean()
        per_layer = e.view(len(out.masks_queries_logits), -1, e.shape[-1])  # [10, Q, mask_dim]
        # Prediction 0 (from the learned query features) is where the queries differ most; the later
        # ones drift towards a shared state. Pick the channel and the scale from prediction 0, and
        # penalise channels whose mean over queries would shift whole later layers.
        score = per_layer[0].std(0) / (per_layer[1:].mean(1).abs().max(0).values + per_layer[0].std(0))
        c = int(score.argmax())
        constant = float(strength * spatial / per_layer[0, :, c].std())
    bias = model.model.pixel_level_module.decoder.mask_projection.bias
    with torch.no_grad():
        bias[c] += constant
    return c, constant


# --------------------------------------------------------------------------------------------------
# The unregistered decoder input projections (transformers bug, 4.57.6 and earlier/later)

INPUT_PROJECTION_KEY = "model.transformer_module.input_projections.{i}.{name}"


def decoder_input_projections(model) -> list[nn.Conv2d]:
    """The Conv2d input projections of the transformer decoder ([] when feature_size == hidden_dim)."""
    module = model.model.transformer_module if hasattr(model, "model") else model.transformer_module
    return [p for p in module.input_projections if isinstance(p, nn.Conv2d)]


def input_projection_state(model) -> dict[str, torch.Tensor]:
    out = {}
    for i, proj in enumerate(decoder_input_projections(model)):
        out[INPUT_PROJECTION_KEY.format(i=i, name="weight")] = proj.weight.detach().clone().contiguous()
        out[INPUT_PROJECTION_KEY.format(i=i, name="bias")] = proj.bias.detach().clone().contiguous()
    return out


def save_model(model, out_dir) -> None:
    """save_pretrained (safetensors, 4.x names), then add the decoder input projections to
    model.safetensors, because transformers' state_dict does not contain them."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    model.save_pretrained(out_dir, safe_serialization=True)
    extra = input_projection_state(model)
    if not extra:
        return
    path = f"{out_dir}/model.safetensors"
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    overlap = set(extra) & set(tensors)
    if overlap:
        raise RuntimeError(f"transformers now saves the input projections itself: {sorted(overlap)}")
    tensors.update(extra)
    save_file(tensors, path, metadata=metadata)


def load_model(model_dir):
    """from_pretrained in float32, then load the decoder input projections from model.safetensors.

    Without this step those Conv2d layers keep meta-device parameters after from_pretrained (4.57
    builds the model under init_empty_weights and only materialises registered tensors), and the
    decoder silently produces NaN/garbage whenever feature_size != hidden_dim.
    """
    import logging

    from safetensors import safe_open
    from transformers import Mask2FormerForUniversalSegmentation
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity(logging.ERROR)  # the "weights not used" warning names exactly these keys
    try:
        model = Mask2FormerForUniversalSegmentation.from_pretrained(model_dir, dtype=torch.float32).eval()
    finally:
        hf_logging.set_verbosity(level)
    projs = decoder_input_projections(model)
    if projs:
        with safe_open(f"{model_dir}/model.safetensors", framework="pt") as f:
            keys = set(f.keys())
            for i, proj in enumerate(projs):
                for name in ("weight", "bias"):
                    key = INPUT_PROJECTION_KEY.format(i=i, name=name)
                    if key not in keys:
                        raise KeyError(f"{model_dir}/model.safetensors: missing {key} (feature_size != hidden_dim)")
                    t = f.get_tensor(key)
                    param = getattr(proj, name)
                    if t.shape != param.shape:
                        raise ValueError(f"{key}: shape {tuple(t.shape)}, model expects {tuple(param.shape)}")
                    # After from_pretrained these unregistered parameters live on the meta device
                    # (4.57 builds the model with init_empty_weights), so replace them outright.
                    setattr(proj, name, nn.Parameter(t.clone(), requires_grad=False))
        for proj in projs:
            assert proj.weight.device.type == "cpu" and proj.bias.device.type == "cpu"
    return model


# --------------------------------------------------------------------------------------------------
# Images and preprocessing


def load_image(path: str) -> Image.Image:
    """Exactly how the reference (and users) load an image: no EXIF transpose, drop alpha."""
    return Image.open(path).convert("RGB")


def slow_processor(model_dir: str) -> Mask2FormerImageProcessor:
    proc = AutoImageProcessor.from_pretrained(model_dir, use_fast=False)
    if type(proc) is not Mask2FormerImageProcessor:
        raise TypeError(f"expected the slow Mask2FormerImageProcessor, got {type(proc).__name__}")
    return proc


def preprocess(proc: Mask2FormerImageProcessor, image: Image.Image) -> torch.Tensor:
    batch = proc(images=image, return_tensors="pt")
    pv = batch["pixel_values"]
    assert pv.dtype == torch.float32, pv.dtype
    return pv


# --------------------------------------------------------------------------------------------------
# Instrumented forward pass


@dataclass
class ReferenceRun:
    tensors: dict  # name -> tensor (batch dim dropped), the fixture content
    stats: dict  # diagnostics (blocked fractions, all-blocked queries, flip candidates, sampling)


def _recompute_attention_mask(mask_logits: torch.Tensor, size) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """transformers' Mask2FormerMaskPredictor + the decoder's all-blocked rule, for one image.

    mask_logits: [Q, H1, W1]. Returns (mask used [Q, h, w] bool, all_blocked [Q] bool, resized [Q, h, w]).
    """
    resized = F.interpolate(mask_logits[None], size=tuple(size), mode="bilinear", align_corners=False)[0]
    blocked = resized.sigmoid() < 0.5  # [Q, h, w]
    flat = blocked.flatten(1)
    all_blocked = flat.sum(-1) == flat.shape[-1]
    used = flat & ~all_blocked[:, None]
    return used.view_as(blocked), all_blocked, resized


def run_reference(model, pixel_values: torch.Tensor, *, with_backbone: bool = True,
                  with_attention: bool = True, check: bool = True) -> ReferenceRun:
    """One instrumented forward of Mask2FormerForUniversalSegmentation (batch 1, float32, eval).

    `with_backbone` adds backbone.*, pixel_decoder.*, mask_features; `with_attention` adds
    attention_mask.j (U8, 1 = blocked) and cross_attention.j (F32, head average), j = 1..L-1.
    """
    assert pixel_values.ndim == 4 and pixel_values.shape[0] == 1 and pixel_values.dtype == torch.float32
    model.eval()
    dec = model.model.transformer_module.decoder
    num_heads = model.config.num_attention_heads
    captured: dict[int, dict] = {}
    handles = []

    def make_pre(j):
        def pre(module, args, kwargs):
            captured.setdefault(j, {})
            captured[j]["attn_mask"] = kwargs["attn_mask"].detach().clone()
            captured[j]["query"] = kwargs["query"].detach().clone()
            captured[j]["key"] = kwargs["key"].detach().clone()
            captured[j]["value"] = kwargs["value"].detach().clone()
            captured[j]["need_weights"] = kwargs.get("need_weights", "default")
            captured[j]["average_attn_weights"] = kwargs.get("average_attn_weights", "default")
        return pre

    def make_post(j):
        def post(module, args, kwargs, output):
            captured[j]["weights"] = None if output[1] is None else output[1].detach().clone()
            captured[j]["attn_output"] = output[0].detach().clone()
        return post

    sampling: list[dict] = []
    original_msda = m2f_modeling.multi_scale_deformable_attention

    def msda_spy(value, shapes, locations, weights):
        # Diagnostics only: where the deformable sampling points fall (pixel coordinates).
        per_level = []
        for lvl, (h, w) in enumerate(shapes):
            loc = locations[..., lvl, :, :]
            px = loc[..., 0] * w - 0.5
            py = loc[..., 1] * h - 0.5
            any_out = (px < 0) | (px > w - 1) | (py < 0) | (py > h - 1)
            all_out = (px <= -1) | (px >= w) | (py <= -1) | (py >= h)
            per_level.append((float(any_out.float().mean()), float(all_out.float().mean())))
        sampling.append({"per_level": per_level})
        return original_msda(value, shapes, locations, weights)

    for j, layer in enumerate(dec.layers, start=1):
        handles.append(layer.cross_attn.register_forward_pre_hook(make_pre(j), with_kwargs=True))
        handles.append(layer.cross_attn.register_forward_hook(make_post(j), with_kwargs=True))
    m2f_modeling.multi_scale_deformable_attention = msda_spy
    try:
        with torch.inference_mode():
            base = model.model(pixel_values=pixel_values, output_hidden_states=True, return_dict=True)
    finally:
        m2f_modeling.multi_scale_deformable_attention = original_msda
        for h in handles:
            h.remove()
    with torch.inference_mode():
        full = model(pixel_values=pixel_values, return_dict=True)

    tensors: dict[str, torch.Tensor] = {"pixel_values": pixel_values[0].contiguous()}
    if with_backbone:
        assert len(base.encoder_hidden_states) == 4
        for i, t in enumerate(base.encoder_hidden_states):
            tensors[f"backbone.{i}"] = t[0].contiguous()
        assert len(base.pixel_decoder_hidden_states) == 3
        for i, t in enumerate(base.pixel_decoder_hidden_states):
            tensors[f"pixel_decoder.{i}"] = t[0].contiguous()
        tensors["mask_features"] = base.pixel_decoder_last_hidden_state[0].contiguous()

    states = base.transformer_decoder_intermediate_states  # tuple of [Q, 1, d], already layer-normed
    masks = base.masks_queries_logits  # tuple of [1, Q, H1, W1]
    num_predictions = len(states)
    assert num_predictions == len(masks) == model.config.decoder_layers
    with torch.inference_mode():
        for L in range(num_predictions):
            tensors[f"class_logits.{L}"] = model.class_predictor(states[L].transpose(0, 1))[0].contiguous()
            tensors[f"mask_logits.{L}"] = masks[L][0].contiguous()

    for name, t in tensors.items():
        if t.dtype.is_floating_point and not torch.isfinite(t).all():
            raise FloatingPointError(f"{name}: non-finite values")
    stats: dict = {"layers": [], "sampling": sampling}
    if check:
        last = num_predictions - 1
        _assert_equal(tensors[f"class_logits.{last}"], full.class_queries_logits[0], "class_logits.last vs ForUniversalSegmentation")
        _assert_equal(tensors[f"mask_logits.{last}"], full.masks_queries_logits[0], "mask_logits.last vs ForUniversalSegmentation")

    size_list = [tuple(t.shape[-2:]) for t in base.pixel_decoder_hidden_states]
    for j in range(1, num_predictions):
        level = (j - 1) % 3
        h, w = size_list[level]
        used, all_blocked, resized = _recompute_attention_mask(tensors[f"mask_logits.{j - 1}"], (h, w))
        cap = captured[j]
        actual = cap["attn_mask"]  # [B*nH, Q, h*w] bool
        assert actual.dtype == torch.bool and actual.shape == (num_heads, used.shape[0], h * w), actual.shape
        for head in range(num_heads):
            if not torch.equal(actual[head], used.flatten(1)):
                raise AssertionError(f"layer {j}: recomputed attention mask differs from the one transformers used (head {head})")
        # Cross-attention weights: what nn.MultiheadAttention returned (need_weights defaults to True,
        # average_attn_weights to True), checked against an explicit recomputation.
        mha = dec.layers[j - 1].cross_attn
        with torch.inference_mode():
            _, ref_w = F.multi_head_attention_forward(
                cap["query"], cap["key"], cap["value"], mha.embed_dim, mha.num_heads,
                mha.in_proj_weight, mha.in_proj_bias, mha.bias_k, mha.bias_v, mha.add_zero_attn,
                0.0, mha.out_proj.weight, mha.out_proj.bias, training=False,
                key_padding_mask=None, need_weights=True, attn_mask=cap["attn_mask"],
                average_attn_weights=True,
            )
        weights = cap["weights"]
        if weights is None:
            weights = ref_w
            source = "recomputed (transformers did not return them)"
        else:
            source = "returned by nn.MultiheadAttention"
            _assert_equal(weights, ref_w, f"layer {j}: hook weights vs F.multi_head_attention_forward")
        q = used.shape[0]
        if with_attention:
            tensors[f"attention_mask.{j}"] = used.to(torch.uint8).contiguous()
            tensors[f"cross_attention.{j}"] = weights[0].reshape(q, h, w).contiguous()
        stats["layers"].append({
            "layer": j,
            "level": level,
            "size": (h, w),
            "blocked_fraction_raw": float((resized.sigmoid() < 0.5).float().mean()),
            "blocked_fraction_used": float(used.float().mean()),
            "all_blocked_queries": int(all_blocked.sum()),
            "flip_candidates_1e-4": int((resized.abs() < 1e-4).sum()),
            "min_abs_logit": float(resized.abs().min()),
            "need_weights": cap["need_weights"],
            "average_attn_weights": cap["average_attn_weights"],
            "weights_source": source,
        })
    return ReferenceRun(tensors=tensors, stats=stats)


def _assert_equal(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shape {tuple(a.shape)} vs {tuple(b.shape)}")
    if not torch.equal(a, b):
        diff = (a - b).abs().max().item()
        raise AssertionError(f"{what}: not bit-identical (max |diff| {diff:.3g})")


def print_stats(name: str, stats: dict) -> None:
    print(f"[{name}] cross-attention masks (layer j uses mask_logits.(j-1) resized to its level):")
    print("   j  level  size      blocked(raw)  blocked(used)  all-blocked queries  |logit|<1e-4  min|logit|")
    for s in stats["layers"]:
        print(f"  {s['layer']:2d}  {s['level']:5d}  {str(s['size']):8s}  {s['blocked_fraction_raw']:11.1%}  "
              f"{s['blocked_fraction_used']:12.1%}  {s['all_blocked_queries']:19d}  {s['flip_candidates_1e-4']:12d}  "
              f"{s['min_abs_logit']:.3g}")
    if stats["layers"]:
        s = stats["layers"][0]
        print(f"  cross_attn called with need_weights={s['need_weights']}, average_attn_weights={s['average_attn_weights']}; "
              f"weights {s['weights_source']}")
    if stats["sampling"]:
        print("  deformable sampling points (per encoder layer, per level: any corner outside / fully outside):")
        for i, s in enumerate(stats["sampling"]):
            cells = "  ".join(f"L{l}: {a:5.1%}/{b:5.1%}" for l, (a, b) in enumerate(s["per_level"]))
            print(f"    encoder layer {i}: {cells}")
