#!/usr/bin/env python3
"""Write the label catalogues in Sources/Segmentation/Datasets/ (one JSON file per dataset).

Run from the repository root with any Python >= 3.8 (standard library only):

    python3 Tools/datasets/make_datasets.py          # rewrite the JSON files
    python3 Tools/datasets/make_datasets.py --check  # verify the committed files, write nothing
    python3 Tools/datasets/make_datasets.py --compare path/to/config.json ...
                                                     # compare with checkpoints' id2label

Each file is {"name", "title", "source", "labels": [{"id", "name", "isthing"}]}, written with
json.dumps(sort_keys=True, indent=2) plus a trailing newline, so a second run is byte-identical.

`id` is the contiguous class index of the transformers checkpoints (their config.json id2label keys,
0..K-1) and `name` is the id2label string, byte for byte (ADE20K id 7 really is "bed " with a
trailing space). `isthing` comes from the detectron2 / Mask2Former dataset registrations. Where the
Mask2Former source spells a class differently from the checkpoint (ADE20K), the table below keeps
both spellings on one row so the positional match can be read and is checked by `check()`.
Sources and commits are listed in Tools/datasets/README.md.
"""

import json
import sys
from pathlib import Path

OUT_DIR = Path("Sources/Segmentation/Datasets")

DETECTRON2 = "facebookresearch/detectron2@0dd2b6579a4ba8d6bdddd3f5d010e9c1b620870d"
MASK2FORMER = "facebookresearch/Mask2Former@161be514814ea63440fae520d2ec72707b62ba54"
LABEL_FILES = "https://huggingface.co/datasets/huggingface/label-files"

# --- COCO panoptic, 133 classes ---------------------------------------------------------------
# detectron2 COCO_CATEGORIES order (80 things, then 53 stuff). The checkpoints' id2label
# (huggingface/label-files coco-panoptic-id2label.json) uses these same strings.
COCO_THINGS = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
]
COCO_STUFF = [
    "banner", "blanket", "bridge", "cardboard", "counter", "curtain", "door-stuff", "floor-wood",
    "flower", "fruit", "gravel", "house", "light", "mirror-stuff", "net", "pillow", "platform",
    "playingfield", "railroad", "river", "road", "roof", "sand", "sea", "shelf", "snow", "stairs",
    "tent", "towel", "wall-brick", "wall-stone", "wall-tile", "wall-wood", "water-other",
    "window-blind", "window-other", "tree-merged", "fence-merged", "ceiling-merged",
    "sky-other-merged", "cabinet-merged", "table-merged", "floor-other-merged", "pavement-merged",
    "mountain-merged", "grass-merged", "dirt-merged", "paper-merged", "food-other-merged",
    "building-other-merged", "rock-merged", "wall-other-merged", "rug-merged",
]

# --- ADE20K, 150 classes ----------------------------------------------------------------------
# (checkpoint id2label name, Mask2Former ADE20K_150_CATEGORIES name, isthing), in id order 0..149.
# Checkpoint names: huggingface/label-files ade20k-id2label.json (the file the transformers
# conversion script loads for 150 classes). Mask2Former names and isthing:
# mask2former/data/datasets/register_ade20k_panoptic.py.
ADE20K = [
    ("wall", "wall", 0),
    ("building", "building", 0),
    ("sky", "sky", 0),
    ("floor", "floor", 0),
    ("tree", "tree", 0),
    ("ceiling", "ceiling", 0),
    ("road", "road, route", 0),
    ("bed ", "bed", 1),
    ("windowpane", "window ", 1),
    ("grass", "grass", 0),
    ("cabinet", "cabinet", 1),
    ("sidewalk", "sidewalk, pavement", 0),
    ("person", "person", 1),
    ("earth", "earth, ground", 0),
    ("door", "door", 1),
    ("table", "table", 1),
    ("mountain", "mountain, mount", 0),
    ("plant", "plant", 0),
    ("curtain", "curtain", 1),
    ("chair", "chair", 1),
    ("car", "car", 1),
    ("water", "water", 0),
    ("painting", "painting, picture", 1),
    ("sofa", "sofa", 1),
    ("shelf", "shelf", 1),
    ("house", "house", 0),
    ("sea", "sea", 0),
    ("mirror", "mirror", 1),
    ("rug", "rug", 0),
    ("field", "field", 0),
    ("armchair", "armchair", 1),
    ("seat", "seat", 1),
    ("fence", "fence", 1),
    ("desk", "desk", 1),
    ("rock", "rock, stone", 0),
    ("wardrobe", "wardrobe, closet, press", 1),
    ("lamp", "lamp", 1),
    ("bathtub", "tub", 1),
    ("railing", "rail", 1),
    ("cushion", "cushion", 1),
    ("base", "base, pedestal, stand", 0),
    ("box", "box", 1),
    ("column", "column, pillar", 1),
    ("signboard", "signboard, sign", 1),
    ("chest of drawers", "chest of drawers, chest, bureau, dresser", 1),
    ("counter", "counter", 1),
    ("sand", "sand", 0),
    ("sink", "sink", 1),
    ("skyscraper", "skyscraper", 0),
    ("fireplace", "fireplace", 1),
    ("refrigerator", "refrigerator, icebox", 1),
    ("grandstand", "grandstand, covered stand", 0),
    ("path", "path", 0),
    ("stairs", "stairs", 1),
    ("runway", "runway", 0),
    ("case", "case, display case, showcase, vitrine", 1),
    ("pool table", "pool table, billiard table, snooker table", 1),
    ("pillow", "pillow", 1),
    ("screen door", "screen door, screen", 1),
    ("stairway", "stairway, staircase", 0),
    ("river", "river", 0),
    ("bridge", "bridge, span", 0),
    ("bookcase", "bookcase", 1),
    ("blind", "blind, screen", 0),
    ("coffee table", "coffee table", 1),
    ("toilet", "toilet, can, commode, crapper, pot, potty, stool, throne", 1),
    ("flower", "flower", 1),
    ("book", "book", 1),
    ("hill", "hill", 0),
    ("bench", "bench", 1),
    ("countertop", "countertop", 1),
    ("stove", "stove", 1),
    ("palm", "palm, palm tree", 1),
    ("kitchen island", "kitchen island", 1),
    ("computer", "computer", 1),
    ("swivel chair", "swivel chair", 1),
    ("boat", "boat", 1),
    ("bar", "bar", 0),
    ("arcade machine", "arcade machine", 1),
    ("hovel", "hovel, hut, hutch, shack, shanty", 0),
    ("bus", "bus", 1),
    ("towel", "towel", 1),
    ("light", "light", 1),
    ("truck", "truck", 1),
    ("tower", "tower", 0),
    ("chandelier", "chandelier", 1),
    ("awning", "awning, sunshade, sunblind", 1),
    ("streetlight", "street lamp", 1),
    ("booth", "booth", 1),
    ("television receiver", "tv", 1),
    ("airplane", "plane", 1),
    ("dirt track", "dirt track", 0),
    ("apparel", "clothes", 1),
    ("pole", "pole", 1),
    ("land", "land, ground, soil", 0),
    ("bannister", "bannister, banister, balustrade, balusters, handrail", 1),
    ("escalator", "escalator, moving staircase, moving stairway", 0),
    ("ottoman", "ottoman, pouf, pouffe, puff, hassock", 1),
    ("bottle", "bottle", 1),
    ("buffet", "buffet, counter, sideboard", 0),
    ("poster", "poster, posting, placard, notice, bill, card", 0),
    ("stage", "stage", 0),
    ("van", "van", 1),
    ("ship", "ship", 1),
    ("fountain", "fountain", 1),
    ("conveyer belt", "conveyer belt, conveyor belt, conveyer, conveyor, transporter", 0),
    ("canopy", "canopy", 0),
    ("washer", "washer, automatic washer, washing machine", 1),
    ("plaything", "plaything, toy", 1),
    ("swimming pool", "pool", 0),
    ("stool", "stool", 1),
    ("barrel", "barrel, cask", 1),
    ("basket", "basket, handbasket", 1),
    ("waterfall", "falls", 0),
    ("tent", "tent", 0),
    ("bag", "bag", 1),
    ("minibike", "minibike, motorbike", 1),
    ("cradle", "cradle", 0),
    ("oven", "oven", 1),
    ("ball", "ball", 1),
    ("food", "food, solid food", 1),
    ("step", "step, stair", 1),
    ("tank", "tank, storage tank", 0),
    ("trade name", "trade name", 1),
    ("microwave", "microwave", 1),
    ("pot", "pot", 1),
    ("animal", "animal", 1),
    ("bicycle", "bicycle", 1),
    ("lake", "lake", 0),
    ("dishwasher", "dishwasher", 1),
    ("screen", "screen", 1),
    ("blanket", "blanket, cover", 0),
    ("sculpture", "sculpture", 1),
    ("hood", "hood, exhaust hood", 1),
    ("sconce", "sconce", 1),
    ("vase", "vase", 1),
    ("traffic light", "traffic light", 1),
    ("tray", "tray", 1),
    ("ashcan", "trash can", 1),
    ("fan", "fan", 1),
    ("pier", "pier", 0),
    ("crt screen", "crt screen", 0),
    ("plate", "plate", 1),
    ("monitor", "monitor", 1),
    ("bulletin board", "bulletin board", 1),
    ("shower", "shower", 0),
    ("radiator", "radiator", 1),
    ("glass", "glass, drinking glass", 1),
    ("clock", "clock", 1),
    ("flag", "flag", 1),
]

# --- Cityscapes, 19 train classes -------------------------------------------------------------
# trainId order 0..18 (detectron2 CITYSCAPES_CATEGORIES / cityscapesScripts labels.py); things are
# trainIds 11..18 (hasInstances). Checkpoint names: label-files cityscapes-id2label.json.
CITYSCAPES_STUFF = [
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky",
]
CITYSCAPES_THINGS = ["person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"]

# --- Mapillary Vistas v1.2, 65 classes --------------------------------------------------------
# (name, isthing) in dataset-id order 1..65 -> contiguous 0..64, from
# mask2former/data/datasets/register_mapillary_vistas_panoptic.py MAPILLARY_VISTAS_SEM_SEG_CATEGORIES.
# The names are the "readable" names, which the checkpoints' id2label uses
# (label-files mapillary-vistas-id2label.json).
MAPILLARY_VISTAS = [
    ("Bird", 1), ("Ground Animal", 1), ("Curb", 0), ("Fence", 0), ("Guard Rail", 0),
    ("Barrier", 0), ("Wall", 0), ("Bike Lane", 0), ("Crosswalk - Plain", 1), ("Curb Cut", 0),
    ("Parking", 0), ("Pedestrian Area", 0), ("Rail Track", 0), ("Road", 0), ("Service Lane", 0),
    ("Sidewalk", 0), ("Bridge", 0), ("Building", 0), ("Tunnel", 0), ("Person", 1),
    ("Bicyclist", 1), ("Motorcyclist", 1), ("Other Rider", 1), ("Lane Marking - Crosswalk", 1),
    ("Lane Marking - General", 0), ("Mountain", 0), ("Sand", 0), ("Sky", 0), ("Snow", 0),
    ("Terrain", 0), ("Vegetation", 0), ("Water", 0), ("Banner", 1), ("Bench", 1),
    ("Bike Rack", 1), ("Billboard", 1), ("Catch Basin", 1), ("CCTV Camera", 1),
    ("Fire Hydrant", 1), ("Junction Box", 1), ("Mailbox", 1), ("Manhole", 1), ("Phone Booth", 1),
    ("Pothole", 0), ("Street Light", 1), ("Pole", 1), ("Traffic Sign Frame", 1),
    ("Utility Pole", 1), ("Traffic Light", 1), ("Traffic Sign (Back)", 1),
    ("Traffic Sign (Front)", 1), ("Trash Can", 1), ("Bicycle", 1), ("Boat", 1), ("Bus", 1),
    ("Car", 1), ("Caravan", 1), ("Motorcycle", 1), ("On Rails", 0), ("Other Vehicle", 1),
    ("Trailer", 1), ("Truck", 1), ("Wheeled Slow", 1), ("Car Mount", 0), ("Ego Vehicle", 0),
]


def shapes_world_rows():
    """The classes of Maskscope's own synthetic dataset, read from the generator itself (its
    CATEGORIES literal; parsed, not imported, so this script needs no numpy)."""
    import ast
    path = Path(__file__).resolve().parents[1] / "shapes-world" / "shapes_world.py"
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CATEGORIES":
            rows = ast.literal_eval(node.value)
            assert [r["id"] for r in rows] == list(range(len(rows))), path
            return [(r["name"], r["isthing"]) for r in rows]
    raise AssertionError(f"{path}: no CATEGORIES")


def catalogue(name, title, source, rows):
    """rows: iterable of (name, isthing) in contiguous id order."""
    labels = [{"id": i, "name": n, "isthing": bool(t)} for i, (n, t) in enumerate(rows)]
    return {"name": name, "title": title, "source": source, "labels": labels}


def catalogues():
    return [
        catalogue(
            "coco-panoptic", "COCO panoptic (133 classes)",
            f"{DETECTRON2} detectron2/data/datasets/builtin_meta.py COCO_CATEGORIES "
            f"(names as in {LABEL_FILES} coco-panoptic-id2label.json)",
            [(n, 1) for n in COCO_THINGS] + [(n, 0) for n in COCO_STUFF]),
        catalogue(
            "ade20k-150", "ADE20K (150 classes)",
            f"names: {LABEL_FILES} ade20k-id2label.json; isthing: {MASK2FORMER} "
            "mask2former/data/datasets/register_ade20k_panoptic.py ADE20K_150_CATEGORIES",
            [(hf, t) for hf, _, t in ADE20K]),
        catalogue(
            "cityscapes-19", "Cityscapes (19 train classes)",
            f"{DETECTRON2} detectron2/data/datasets/builtin_meta.py CITYSCAPES_CATEGORIES "
            f"(trainId order; names as in {LABEL_FILES} cityscapes-id2label.json)",
            [(n, 0) for n in CITYSCAPES_STUFF] + [(n, 1) for n in CITYSCAPES_THINGS]),
        catalogue(
            "mapillary-vistas-65", "Mapillary Vistas v1.2 (65 classes)",
            f"{MASK2FORMER} mask2former/data/datasets/register_mapillary_vistas_panoptic.py "
            f"MAPILLARY_VISTAS_SEM_SEG_CATEGORIES (names as in {LABEL_FILES} "
            "mapillary-vistas-id2label.json)",
            MAPILLARY_VISTAS),
        catalogue(
            "shapes-world", "Shapes world (Maskscope's synthetic scenes, 9 classes)",
            "Tools/shapes-world/shapes_world.py CATEGORIES (the default model in Models/shapes-swin)",
            shapes_world_rows()),
    ]


# Expected (classes, things) per catalogue: the published split of each dataset.
EXPECTED = {
    "coco-panoptic": (133, 80),
    "ade20k-150": (150, 100),
    "cityscapes-19": (19, 8),
    "mapillary-vistas-65": (65, 37),
    "shapes-world": (9, 5),
}


def render(cat):
    return json.dumps(cat, sort_keys=True, indent=2) + "\n"


def check(cat):
    """Structural checks; raises AssertionError with a message naming the catalogue."""
    name, labels = cat["name"], cat["labels"]
    count, things = EXPECTED[name]
    assert set(cat) == {"name", "title", "source", "labels"}, name
    assert len(labels) == count, f"{name}: {len(labels)} labels, expected {count}"
    assert [l["id"] for l in labels] == list(range(count)), f"{name}: ids not 0..{count - 1}"
    for l in labels:
        assert set(l) == {"id", "name", "isthing"}, f"{name} id {l['id']}: keys {sorted(l)}"
        assert isinstance(l["name"], str) and l["name"].strip(), f"{name} id {l['id']}: empty name"
        assert isinstance(l["isthing"], bool), f"{name} id {l['id']}: isthing not a bool"
    names = [l["name"] for l in labels]
    assert len(set(names)) == count, f"{name}: duplicate names"
    n_things = sum(l["isthing"] for l in labels)
    assert n_things == things, f"{name}: {n_things} things, expected {things}"
    return count, n_things


def check_tables():
    # COCO: things first, then stuff, as in detectron2 and the checkpoints.
    assert len(COCO_THINGS) == 80 and len(COCO_STUFF) == 53
    # ADE20K: spot checks that the two spellings sit on the same rows (positional match).
    ade = {i: (hf, m2f) for i, (hf, m2f, _) in enumerate(ADE20K)}
    for i, hf, m2f in [(0, "wall", "wall"), (7, "bed ", "bed"), (8, "windowpane", "window "),
                       (89, "television receiver", "tv"), (138, "ashcan", "trash can"),
                       (149, "flag", "flag")]:
        assert ade[i] == (hf, m2f), f"ADE20K row {i}: {ade[i]}"
    # Where the spellings agree after taking the first comma-separated synonym, they must be equal.
    same = sum(hf.strip() == m2f.split(",")[0].strip() for hf, m2f, _ in ADE20K)
    assert same >= 135, f"ADE20K: only {same} rows agree on the first synonym"


def compare(config_paths):
    """Compare each config.json's id2label with the catalogue of the same class count."""
    by_count = {len(c["labels"]): c for c in catalogues()}
    ok = True
    for p in config_paths:
        id2label = {int(k): v for k, v in json.loads(Path(p).read_text())["id2label"].items()}
        cat = by_count.get(len(id2label))
        if cat is None:
            print(f"NONE   {p}: no catalogue has {len(id2label)} classes")
            ok = False
            continue
        ours = {l["id"]: l["name"] for l in cat["labels"]}
        diffs = [(i, id2label.get(i), ours[i]) for i in ours if id2label.get(i) != ours[i]]
        for i, theirs, mine in diffs:
            print(f"DIFF   {p} id {i}: config {theirs!r}, {cat['name']} {mine!r}")
        ok = ok and not diffs
        if not diffs:
            print(f"same   {p} == {cat['name']} ({len(ours)} names)")
    return 0 if ok else 1


def main(argv):
    if argv[:1] == ["--compare"]:
        return compare(argv[1:])
    check_mode = "--check" in argv
    check_tables()
    ok = True
    for cat in catalogues():
        count, things = check(cat)
        path = OUT_DIR / f"{cat['name']}.json"
        text = render(cat)
        if check_mode:
            on_disk = path.read_text(encoding="utf-8") if path.exists() else None
            if on_disk is None or on_disk != text:
                print(f"STALE  {path}")
                ok = False
                continue
            check(json.loads(on_disk))
        else:
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        print(f"ok     {path}: {count} classes, {things} things, {count - things} stuff")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
