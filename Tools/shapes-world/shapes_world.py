#!/usr/bin/env python3
"""Shapes world: a seeded generator of synthetic panoptic scenes in the COCO panoptic layout.

Every scene is a pure function of (split, index): scene `i` of split `s` is drawn from
`numpy.random.default_rng([SPLIT_SEEDS[s], i])`, so a split is reproducible scene by scene,
whatever the number of scenes written, and training can generate scene `i` on the fly.

Layout written by `generate` (one folder per split):

    OUT/<split>/images/<split>-000042.png      the RGB scene (PNG, lossless)
    OUT/<split>/panoptic/<split>-000042.png    segment ids, id = R + 256·G + 256²·B (0 = VOID, unused)
    OUT/<split>/panoptic.json                  {"images", "annotations", "categories", "info"}

`image_id` is the file stem (a string), the id `maskscope segment` gives its outputs. `category_id`
is the contiguous class index of the model (`config.json` `id2label`, 0..K-1).

    python shapes_world.py generate --out ../shapes-data --train 0 --val 500 --test 500
    python shapes_world.py preview --out /tmp/shapes-preview --split test --count 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

HEIGHT, WIDTH = 192, 256  # display-friendly (4:3) and divisible by 32: the processor never resamples

# Contiguous ids = model label ids. Stuff first (they fill the background), then things.
CATEGORIES = [
    {"id": 0, "name": "sky", "isthing": 0, "color": [110, 170, 235]},
    {"id": 1, "name": "grass", "isthing": 0, "color": [70, 150, 60]},
    {"id": 2, "name": "water", "isthing": 0, "color": [30, 90, 170]},
    {"id": 3, "name": "sand", "isthing": 0, "color": [220, 195, 130]},
    {"id": 4, "name": "disc", "isthing": 1, "color": [230, 60, 60]},
    {"id": 5, "name": "square", "isthing": 1, "color": [240, 160, 30]},
    {"id": 6, "name": "triangle", "isthing": 1, "color": [170, 60, 200]},
    {"id": 7, "name": "star", "isthing": 1, "color": [250, 230, 40]},
    {"id": 8, "name": "ring", "isthing": 1, "color": [40, 210, 200]},
]
for _c in CATEGORIES:
    _c["supercategory"] = "thing" if _c["isthing"] else "stuff"
NAMES = [c["name"] for c in CATEGORIES]
SKY, GRASS, WATER, SAND = 0, 1, 2, 3
GROUND = [GRASS, WATER, SAND]
THINGS = [4, 5, 6, 7, 8]
DISC, SQUARE, TRIANGLE, STAR, RING = THINGS

SPLIT_SEEDS = {"train": 1_000_003, "val": 2_000_003, "test": 3_000_017,
               "sample": 4_000_037}  # sample: the scenes shipped in SampleImages/

MIN_VISIBLE_PIXELS = 40       # an object occluded below this is removed from the scene (not drawn)
MIN_VISIBLE_FRACTION = 0.15   # ... or below this fraction of its own area
MIN_STUFF_PIXELS = 150        # a stuff region smaller than this is merged away


@dataclass
class Scene:
    image: np.ndarray       # [H, W, 3] uint8
    ids: np.ndarray         # [H, W] int32 panoptic segment ids
    segments: list          # segments_info dicts (id, category_id, area, bbox, iscrowd)


def stem(split: str, index: int) -> str:
    return f"{split}-{index:06d}"


# ----------------------------------------------------------------------------------------- noise

def smooth_noise(rng, h, w, cell, stretch=(1.0, 1.0)):
    """Value noise in [0, 1]: a random grid with spacing `cell` (·stretch for y, x), bicubic upsampled."""
    gh = max(2, int(math.ceil(h / (cell * stretch[0]))) + 2)
    gw = max(2, int(math.ceil(w / (cell * stretch[1]))) + 2)
    grid = Image.fromarray(rng.random((gh, gw), dtype=np.float32))
    # bicubic upsampling of a window of the grid: `cell` pixels per grid step (·stretch)
    box = (0.0, 0.0, w / (cell * stretch[1]), h / (cell * stretch[0]))
    out = np.asarray(grid.resize((w, h), Image.BICUBIC, box=box), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


def smooth_curve(rng, n, cell):
    """A smooth 1-D function on [0, n) with values in about [-1, 1]."""
    knots = rng.uniform(-1, 1, size=int(math.ceil(n / cell)) + 3)
    x = np.arange(n) / cell
    i = np.floor(x).astype(int)
    t = x - i
    t = t * t * (3 - 2 * t)
    return knots[i] * (1 - t) + knots[i + 1] * t


def hsv(h, s, v):
    """HSV in [0, 1] -> RGB float in [0, 1]."""
    i = int(h * 6.0) % 6
    f = h * 6.0 - math.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i], dtype=np.float32)


# -------------------------------------------------------------------------------------- stuff

def stuff_layout(rng, h, w):
    """Per-pixel stuff class: an irregular horizon (sky above) and warped Voronoi ground regions."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    labels = np.empty((h, w), np.int32)
    has_sky = rng.random() < 0.85
    if has_sky:
        base = rng.uniform(0.22, 0.55) * h
        hills = smooth_curve(rng, w, rng.uniform(25, 90)) * rng.uniform(3, 22)
        ripple = smooth_curve(rng, w, rng.uniform(4, 10)) * rng.uniform(0, 3)
        horizon = base + hills + ripple
        top = horizon.min()
    else:
        horizon = np.full(w, -1.0, np.float32)
        top = 0.0
    k = int(rng.choice([1, 2, 2, 3, 3, 4]))
    classes = list(rng.choice(GROUND, size=min(k, 3), replace=False))
    if k > len(classes):
        classes.append(int(rng.choice(classes)))  # the same stuff class in two places
    seeds_y = rng.uniform(top, h, size=len(classes))
    seeds_x = rng.uniform(0, w, size=len(classes))
    amp = rng.uniform(8, 30)
    wy = (smooth_noise(rng, h, w, rng.uniform(20, 50)) - 0.5) * 2 * amp
    wx = (smooth_noise(rng, h, w, rng.uniform(20, 50)) - 0.5) * 2 * amp
    aniso = rng.uniform(1.0, 2.5)  # ground regions look like bands (perspective)
    best = None
    for j, (sy, sx) in enumerate(zip(seeds_y, seeds_x)):
        d = ((yy + wy - sy) * aniso) ** 2 + (xx + wx - sx) ** 2
        if best is None:
            best, labels[:] = d, classes[j]
        else:
            closer = d < best
            best = np.where(closer, d, best)
            labels[closer] = classes[j]
    if has_sky:
        labels[yy < horizon[None, :]] = SKY
    # merge tiny stuff regions into the most common class around them
    for c in np.unique(labels):
        m = labels == c
        if m.sum() < MIN_STUFF_PIXELS:
            other = labels[~m]
            if other.size:
                labels[m] = np.bincount(other).argmax()
    return labels


def stuff_texture(rng, cls, h, w, light):
    """An [h, w, 3] float texture for one stuff class (colour, gradient and texture drawn per scene)."""
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    if cls == SKY:
        if rng.random() < 0.2:   # dusk
            top, bottom = hsv(rng.uniform(0.62, 0.75), rng.uniform(0.5, 0.8), rng.uniform(0.35, 0.6)), \
                hsv(rng.uniform(0.02, 0.1), rng.uniform(0.4, 0.7), rng.uniform(0.85, 1.0))
        else:
            top, bottom = hsv(rng.uniform(0.55, 0.64), rng.uniform(0.5, 0.85), rng.uniform(0.7, 0.95)), \
                hsv(rng.uniform(0.52, 0.6), rng.uniform(0.1, 0.35), rng.uniform(0.9, 1.0))
        tex = top * (1 - yy) + bottom * yy
        clouds = smooth_noise(rng, h, w, rng.uniform(18, 40), stretch=(1.0, 2.5))
        cover = rng.uniform(0.45, 0.8)
        a = np.clip((clouds - cover) / 0.15, 0, 1)[..., None] * rng.uniform(0.5, 0.95)
        tex = tex * (1 - a) + np.float32(0.97) * a
    elif cls == GRASS:
        col = hsv(rng.uniform(0.2, 0.36), rng.uniform(0.5, 0.85), rng.uniform(0.45, 0.75))
        blades = smooth_noise(rng, h, w, 2, stretch=(3.0, 0.6))
        patches = smooth_noise(rng, h, w, rng.uniform(15, 35))
        f = 0.75 + 0.35 * blades + 0.3 * (patches - 0.5)
        tex = col * f[..., None] * (0.85 + 0.3 * yy)
    elif cls == WATER:
        col = hsv(rng.uniform(0.5, 0.62), rng.uniform(0.55, 0.9), rng.uniform(0.45, 0.8))
        yy2, xx2 = np.mgrid[0:h, 0:w].astype(np.float32)
        warp = smooth_noise(rng, h, w, 12) * 6
        waves = np.sin((yy2 + warp) * rng.uniform(0.6, 1.2) + xx2 * rng.uniform(-0.05, 0.05))
        glint = np.clip((smooth_noise(rng, h, w, 3, stretch=(0.5, 3.0)) - 0.7) / 0.3, 0, 1)
        f = 0.85 + 0.12 * waves + 0.5 * glint * (waves > 0.3)
        tex = col * f[..., None] * (1.1 - 0.25 * yy)
    else:  # SAND
        col = hsv(rng.uniform(0.09, 0.14), rng.uniform(0.25, 0.5), rng.uniform(0.75, 0.95))
        grain = rng.random((h, w), dtype=np.float32)
        yy2, xx2 = np.mgrid[0:h, 0:w].astype(np.float32)
        ang = rng.uniform(0, math.pi)
        ripples = np.sin((xx2 * math.cos(ang) + yy2 * math.sin(ang)) * rng.uniform(0.25, 0.5)
                         + smooth_noise(rng, h, w, 20) * 8)
        f = 0.9 + 0.12 * grain + 0.06 * ripples
        tex = col * f[..., None]
    return tex.astype(np.float32)


# ------------------------------------------------------------------------------------- things

def shape_mask(kind, cx, cy, r, angle, h, w, aux):
    """Binary mask of one object, drawn with PIL (exact, no anti-aliasing)."""
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    if kind in (DISC, RING):
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=1)
        if kind == RING:
            ri = r * aux
            draw.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=0)
    else:
        if kind == SQUARE:
            pts = [(r * math.cos(angle + k * math.pi / 2 + math.pi / 4), r * math.sin(angle + k * math.pi / 2 + math.pi / 4))
                   for k in range(4)]
        elif kind == TRIANGLE:
            pts = [(r * math.cos(angle + k * 2 * math.pi / 3), r * math.sin(angle + k * 2 * math.pi / 3)) for k in range(3)]
        else:  # STAR
            pts = []
            for k in range(10):
                rr = r if k % 2 == 0 else r * aux
                a = angle + k * math.pi / 5
                pts.append((rr * math.cos(a), rr * math.sin(a)))
        draw.polygon([(cx + px, cy + py) for px, py in pts], fill=1)
    return np.asarray(img, dtype=bool)


def random_object(rng, kind=None, near=None):
    """Parameters of one object; `near` = (cx, cy, r) places it touching that object."""
    kind = int(rng.choice(THINGS)) if kind is None else kind
    r = float(np.exp(rng.uniform(math.log(9), math.log(34))))
    if near is None:
        cx, cy = rng.uniform(-0.05, 1.05) * WIDTH, rng.uniform(0.1, 1.05) * HEIGHT
    else:
        ncx, ncy, nr = near
        a = rng.uniform(0, 2 * math.pi)
        # the distance at which the two outlines touch (discs) or slightly overlap (polygons)
        d = (nr + r) * rng.uniform(0.78, 0.98) if kind not in (DISC, RING) else (nr + r) * rng.uniform(0.9, 1.0)
        cx, cy = ncx + d * math.cos(a), ncy + d * math.sin(a)
    aux = rng.uniform(0.45, 0.7) if kind == RING else rng.uniform(0.38, 0.55)
    return {"kind": kind, "cx": cx, "cy": cy, "r": r, "angle": rng.uniform(0, 2 * math.pi), "aux": aux}


def object_colour(rng):
    return hsv(rng.random(), rng.uniform(0.45, 1.0), rng.uniform(0.45, 1.0))


def shade(obj, colour, light, yy, xx, rng):
    """Object colour with directional shading (a sphere-like highlight on discs) and fine noise."""
    dx, dy = (xx - obj["cx"]) / obj["r"], (yy - obj["cy"]) / obj["r"]
    lit = -(dx * light[0] + dy * light[1])
    f = 0.85 + 0.25 * lit
    if obj["kind"] == DISC:
        rr = np.clip(1 - dx * dx - dy * dy, 0, 1)
        f = 0.55 + 0.45 * np.sqrt(rr) + 0.25 * lit
        spec = np.exp(-((dx + 0.4 * light[0]) ** 2 + (dy + 0.4 * light[1]) ** 2) / 0.05)
        f = f + 0.5 * spec * obj.get("gloss", 0.0)
    f = f + 0.04 * (rng.random(f.shape, dtype=np.float32) - 0.5)
    return np.clip(colour[None, None, :] * f[..., None], 0, 1)


# -------------------------------------------------------------------------------------- scene

def render_scene(split: str, index: int) -> Scene:
    rng = np.random.default_rng([SPLIT_SEEDS[split], index])
    h, w = HEIGHT, WIDTH
    light = np.array([math.cos(a := rng.uniform(0, 2 * math.pi)), math.sin(a)], np.float32)
    if light[1] > 0.3:  # mostly from above
        light[1] = -light[1]

    # background
    stuff = stuff_layout(rng, h, w)
    canvas = np.zeros((h, w, 3), np.float32)
    for c in np.unique(stuff):
        m = stuff == c
        canvas[m] = stuff_texture(rng, int(c), h, w, light)[m]
    # soften the stuff boundaries a little in the image (not in the labels): a 1-pixel blend
    soft = canvas.copy()
    soft[1:-1, 1:-1] = (canvas[1:-1, 1:-1] * 4 + canvas[:-2, 1:-1] + canvas[2:, 1:-1]
                        + canvas[1:-1, :-2] + canvas[1:-1, 2:]) / 8
    canvas = soft

    # objects, in painter's order (later ones occlude earlier ones)
    objects = []
    n_free = int(rng.integers(2, 9))
    n_groups = int(rng.choice([0, 1, 1, 2, 2, 3]))
    plan = ["free"] * n_free + ["group"] * n_groups
    rng.shuffle(plan)
    for p in plan:
        if p == "free":
            o = random_object(rng)
            o["colour"] = object_colour(rng)
            objects.append(o)
        else:
            # same-class objects that touch, with nearly the same colour: one region in the
            # semantic view, several instances in the instance / panoptic views
            kind = int(rng.choice(THINGS))
            first = random_object(rng, kind)
            col = object_colour(rng)
            first["colour"] = col
            group = [first]
            for _ in range(int(rng.integers(1, 4))):
                anchor = group[int(rng.integers(len(group)))]
                o = random_object(rng, kind, near=(anchor["cx"], anchor["cy"], anchor["r"]))
                o["colour"] = np.clip(col * rng.uniform(0.88, 1.12), 0, 1)
                group.append(o)
            objects.extend(group)
    for o in objects:
        o["gloss"] = float(rng.random() < 0.5)
        o["outline"] = rng.random() < 0.35
        o["shadow"] = rng.random() < 0.5
        o["mask"] = shape_mask(o["kind"], o["cx"], o["cy"], o["r"], o["angle"], h, w, o["aux"])

    # top-down visibility pass: drop objects that are (almost) hidden or off-screen
    occupied = np.zeros((h, w), bool)
    keep = [False] * len(objects)
    for i in range(len(objects) - 1, -1, -1):
        m = objects[i]["mask"]
        full = int(m.sum())
        vis = int((m & ~occupied).sum())
        if full == 0 or vis < MIN_VISIBLE_PIXELS or vis < MIN_VISIBLE_FRACTION * full:
            continue
        keep[i] = True
        occupied |= m
    objects = [o for o, k in zip(objects, keep) if k]

    # paint
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    owner = np.full((h, w), -1, np.int32)
    sdx, sdy = int(round(-light[0] * rng.uniform(3, 6))), int(round(-light[1] * rng.uniform(3, 6)))
    for k, o in enumerate(objects):
        m = o["mask"]
        if o["shadow"]:
            sh = shift(m, sdy, sdx) & ~m
            canvas[sh] *= 0.62
        ys, xs = np.nonzero(m)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        col = shade(o, o["colour"], light, yy[y0:y1, x0:x1], xx[y0:y1, x0:x1], rng)
        mb = m[y0:y1, x0:x1]
        canvas[y0:y1, x0:x1][mb] = col[mb]
        if o["outline"]:
            inner = m.copy()
            inner[1:, :] &= m[:-1, :]
            inner[:-1, :] &= m[1:, :]
            inner[:, 1:] &= m[:, :-1]
            inner[:, :-1] &= m[:, 1:]
            edge = m & ~inner
            canvas[edge] *= 0.45
        owner[m] = k

    # segment ids: stuff (category+1)·1000, things (category+1)·1000 + instance number
    ids = np.zeros((h, w), np.int32)
    segments = []
    for c in sorted(np.unique(stuff[owner < 0]).tolist()):
        m = (stuff == c) & (owner < 0)
        if m.any():
            sid = (c + 1) * 1000
            ids[m] = sid
            segments.append(_segment(sid, c, m))
    counters = {}
    for k, o in enumerate(objects):
        m = owner == k
        counters[o["kind"]] = counters.get(o["kind"], 0) + 1
        sid = (o["kind"] + 1) * 1000 + counters[o["kind"]]
        ids[m] = sid
        segments.append(_segment(sid, o["kind"], m))
    image = np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Scene(image=image, ids=ids, segments=segments)


def shift(mask, dy, dx):
    """mask moved by (dy, dx) pixels; what moves in from outside is False (no wrap-around)."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = mask[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def _segment(sid, category, mask):
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return {"id": int(sid), "category_id": int(category), "iscrowd": 0, "area": int(mask.sum()),
            "bbox": [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1]}


# ---------------------------------------------------------------------------------------- I/O

def ids_to_rgb(ids: np.ndarray) -> np.ndarray:
    ids = ids.astype(np.uint32)
    return np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], axis=-1).astype(np.uint8)


def rgb_to_ids(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def categories_json():
    return [{k: c[k] for k in ("id", "name", "isthing", "color", "supercategory")} for c in CATEGORIES]


def write_split(out: str, split: str, count: int, start: int = 0, quiet: bool = False):
    d = os.path.join(out, split)
    os.makedirs(os.path.join(d, "images"), exist_ok=True)
    os.makedirs(os.path.join(d, "panoptic"), exist_ok=True)
    images, annotations = [], []
    for i in range(start, start + count):
        s = render_scene(split, i)
        name = stem(split, i)
        Image.fromarray(s.image).save(os.path.join(d, "images", name + ".png"))
        Image.fromarray(ids_to_rgb(s.ids)).save(os.path.join(d, "panoptic", name + ".png"))
        images.append({"id": name, "file_name": name + ".png", "height": HEIGHT, "width": WIDTH})
        annotations.append({"image_id": name, "file_name": name + ".png", "segments_info": s.segments})
        if not quiet and (i - start + 1) % 100 == 0:
            print(f"  {split}: {i - start + 1}/{count}", file=sys.stderr)
    doc = {"info": {"description": "shapes world", "split": split, "seed": SPLIT_SEEDS[split],
                    "first_index": start, "height": HEIGHT, "width": WIDTH},
           "images": images, "annotations": annotations, "categories": categories_json()}
    with open(os.path.join(d, "panoptic.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{split}: {count} scenes -> {d}", file=sys.stderr)


def colourise(ids: np.ndarray, segments) -> np.ndarray:
    """Panoptic view: stuff in its class colour, each thing instance in its own colour (class hue jittered)."""
    out = np.zeros(ids.shape + (3,), np.uint8)
    for s in segments:
        base = np.array(CATEGORIES[s["category_id"]]["color"], np.float32)
        if CATEGORIES[s["category_id"]]["isthing"]:
            r = np.random.default_rng(s["id"])
            base = np.clip(base * r.uniform(0.45, 1.25) + r.uniform(-50, 50, 3), 0, 255)
        out[ids == s["id"]] = base.astype(np.uint8)
    # thin black borders between segments make instances that touch visible
    edge = np.zeros(ids.shape, bool)
    edge[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    edge[1:, :] |= ids[1:, :] != ids[:-1, :]
    out[edge] = 0
    return out


def semantic_colour(ids: np.ndarray, segments) -> np.ndarray:
    out = np.zeros(ids.shape + (3,), np.uint8)
    for s in segments:
        out[ids == s["id"]] = CATEGORIES[s["category_id"]]["color"]
    return out


def preview(out: str, split: str, count: int, start: int):
    os.makedirs(out, exist_ok=True)
    for i in range(start, start + count):
        s = render_scene(split, i)
        row = np.concatenate([s.image, np.full((HEIGHT, 4, 3), 255, np.uint8), semantic_colour(s.ids, s.segments),
                              np.full((HEIGHT, 4, 3), 255, np.uint8), colourise(s.ids, s.segments)], axis=1)
        path = os.path.join(out, f"{stem(split, i)}.png")
        Image.fromarray(row).save(path)
        counts = {}
        for seg in s.segments:
            counts[NAMES[seg["category_id"]]] = counts.get(NAMES[seg["category_id"]], 0) + 1
        print(path, counts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write splits in the COCO panoptic layout")
    g.add_argument("--out", required=True)
    g.add_argument("--train", type=int, default=0, help="train scenes to write (training generates them on the fly)")
    g.add_argument("--val", type=int, default=500)
    g.add_argument("--test", type=int, default=500)
    g.add_argument("--sample", type=int, default=0, help="sample scenes (SampleImages/ ships a few of them)")
    p = sub.add_parser("preview", help="image | semantic | panoptic strips of a few scenes")
    p.add_argument("--out", required=True)
    p.add_argument("--split", default="test", choices=sorted(SPLIT_SEEDS))
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--start", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        for split in ("train", "val", "test", "sample"):
            n = getattr(a, split)
            if n > 0:
                write_split(a.out, split, n)
    else:
        preview(a.out, a.split, a.count, a.start)


if __name__ == "__main__":
    main()
