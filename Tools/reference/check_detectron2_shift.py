#!/usr/bin/env python3
"""Show that the detectron2 .pkl parity cases test detectron2's Swin shifting (prints figures, writes nothing).

    Tools/reference/check_detectron2_shift.py      (run from the repository root)

detectron2's Swin shifts windows in every odd block, even when a stage's map is not larger than the
window; transformers' Swin turns shifting off there unless always_partition=True (which its
SwinBackbone, and so Mask2Former, passes). The committed references were made with shifting on. Here the
tiny-w7 cases are recomputed with shifting off in the stages whose map is ≤ 7: if the differences are far
above the parity tolerance, a loader that stopped shifting would fail the .pkl parity cases.
Measured (transformers 4.57.6): stage 3/4 max|Δ| 0.70/1.52 (scene 96×96, maps 6×6, 3×3) and 0.70/1.43
(random 77×101, maps 5×7, 3×4), final mask logits 0.83 and 1.06, against tolerances ≈ 4e-4.
"""
import sys, torch
from safetensors.torch import load_file
from transformers import Mask2FormerForUniversalSegmentation
sys.path.insert(0, "Tools/reference")
m = Mask2FormerForUniversalSegmentation.from_pretrained("Tests/Fixtures/models/tiny-w7").eval()
enc = m.model.pixel_level_module.encoder
for case in ["tiny-w7-scene-120x90", "tiny-w7-random-77x101"]:
    ref = load_file(f"Tests/Fixtures/reference/{case}.safetensors")
    x = ref["pixel_values"][None]
    # Turn shifting off in every stage whose map is not larger than the window, keeping the window
    # (what 'transformers turns shifting off' amounts to for the shift; the window clamp itself fails here).
    H, W = x.shape[2] // 4, x.shape[3] // 4
    saved = {}
    for s, layer in enumerate(enc.encoder.layers):
        h, w = (H + (2**s) - 1) // (2**s), (W + (2**s) - 1) // (2**s)
        for b in layer.blocks:
            saved[b] = b.shift_size
            if min(h, w) <= 7: b.shift_size = 0
    with torch.no_grad():
        emb, dims = enc.embeddings(x)
        out = enc.encoder(emb, dims, output_hidden_states=True, output_hidden_states_before_downsampling=True, always_partition=True, return_dict=True)
        full = m(x, output_hidden_states=False)
    for b, v in saved.items(): b.shift_size = v
    d = (full.masks_queries_logits[0] - ref["mask_logits.9"]).abs().max().item()
    print(case, f"final mask logits, shift off where map <= window: max|Δ| {d:.2e} (tolerance {1e-4*max(1, ref['mask_logits.9'].abs().max().item()):.1e})")
    hs = out.reshaped_hidden_states[1:]
    for s,h in enumerate(hs):
        B,C,H,W = h.shape
        t = h.flatten(2).transpose(1,2)
        t = enc.hidden_states_norms[f"stage{s+1}"](t)
        fm = t.transpose(1,2).reshape(C,H,W)
        r = ref[f"backbone.{s}"]
        d = (fm - r).abs().max().item(); bound = 1e-4*max(1, r.abs().max().item())
        print(case, f"stage{s+1} {H}x{W}: no-shift vs reference max|Δ| {d:.2e} (tolerance {bound:.1e})")
