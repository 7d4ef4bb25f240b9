#!/usr/bin/env python3
"""Writes the Imaging fixtures: decode inputs, Pillow's convert("RGB") bytes, and Pillow BILINEAR resizes.

Run from the repository root with the reference venv:

    /work/venv-ref/bin/python Tools/reference/make_image_fixtures.py

Everything is seeded, so running it twice writes the same bytes. Output: Tests/Fixtures/imaging/
(`manifest.json` lists every case; the Swift tests in Tests/ImagingTests read it).

Pillow cannot write every PNG flavour (16-bit RGB/RGBA/GA, 2/4-bit grey, interlaced, gAMA), so a
small PNG writer below builds those from raw samples; Pillow still decodes them to make the
expected bytes, so the expectation is always Pillow's own answer.
"""

import io
import json
import os
import struct
import sys
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "imaging")

assert PIL.__version__ == "11.3.0", f"expected Pillow 11.3.0, found {PIL.__version__}"

rng = np.random.default_rng(20240611)


# ---------------------------------------------------------------------------------------------
# A minimal PNG writer for the flavours Pillow cannot save.

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _pack_rows(samples: np.ndarray, bit_depth: int) -> list:
    """samples: [H, W, C] unsigned ints. Returns one bytes object per row (no filter byte)."""
    h, w, c = samples.shape
    rows = []
    for y in range(h):
        row = samples[y].reshape(-1)
        if bit_depth == 16:
            rows.append(row.astype(">u2").tobytes())
        elif bit_depth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            per_byte = 8 // bit_depth
            out = bytearray((len(row) * bit_depth + 7) // 8)
            for i, v in enumerate(row):
                out[i // per_byte] |= int(v) << (8 - bit_depth * (i % per_byte + 1))
            rows.append(bytes(out))
    return rows


def _filter_rows(rows: list, bpp: int) -> bytes:
    """Applies filters 0..4 in turn so the decoder's unfiltering is exercised too."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        ftype = i % 5
        f = bytearray(len(row))
        for x in range(len(row)):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 0:
                p = 0
            elif ftype == 1:
                p = a
            elif ftype == 2:
                p = b
            elif ftype == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
            f[x] = (row[x] - p) & 0xFF
        out.append(ftype)
        out += f
        prev = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(samples: np.ndarray, bit_depth: int, color_type: int, palette=None, trns=None,
              gamma=None, interlace=False) -> bytes:
    if samples.ndim == 2:
        samples = samples[:, :, None]
    h, w, c = samples.shape
    bpp = max(1, (c * bit_depth) // 8)
    if interlace:
        raw = bytearray()
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += _filter_rows(_pack_rows(sub, bit_depth), bpp)
        raw = bytes(raw)
    else:
        raw = _filter_rows(_pack_rows(samples, bit_depth), bpp)
    png = b"\x89PNG\r\n\x1a\n"
    png += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if gamma is not None:
        png += _chunk(b"gAMA", struct.pack(">I", int(round(gamma * 100000))))
    if palette is not None:
        png += _chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        png += _chunk(b"tRNS", trns)
    png += _chunk(b"IDAT", zlib.compress(raw, 9))
    png += _chunk(b"IEND", b"")
    return png


# ---------------------------------------------------------------------------------------------
# Test images: gradients plus noise, so that every rounding step matters.

W, H = 23, 17


def gradient_noise(h, w, c, hi=255, noise=40, dtype=np.int64):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * hi // max(1, w - 1)), (yy * hi // max(1, h - 1)), ((xx + yy) * hi // max(1, w + h - 2))], -1)
    base = np.concatenate([base] * ((c + 2) // 3), -1)[:, :, :c]
    noisy = base + rng.integers(-noise, noise + 1, size=(h, w, c))
    return np.clip(noisy, 0, hi).astype(dtype)


manifest = {"pillow": PIL.__version__, "decode": [], "corrupt": [], "resize": []}
written = {}


def put(name: str, data: bytes):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    written[name] = len(data)


def decode_case(name: str, data: bytes, note: str):
    """Writes an input file and Pillow's convert("RGB") of it."""
    put(name, data)
    im = Image.open(io.BytesIO(data))
    mode = im.mode
    rgb = im.convert("RGB")
    expected = name.rsplit(".", 1)[0] + "." + name.rsplit(".", 1)[1] + ".rgb"
    put(expected, np.asarray(rgb, dtype=np.uint8).tobytes())
    manifest["decode"].append({"file": name, "mode": mode, "note": note, "width": rgb.width,
                               "height": rgb.height, "expected": expected})


def img(arr: np.ndarray, mode: str) -> Image.Image:
    """Image.fromarray without its deprecated mode argument."""
    h, w = arr.shape[:2]
    if mode == "I;16":
        return Image.frombytes(mode, (w, h), arr.astype("<u2").tobytes())
    return Image.frombytes(mode, (w, h), np.ascontiguousarray(arr, dtype=np.uint8).tobytes())


def pil_bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def main():
    # convert("RGB") of a palette image with a tRNS alpha table warns; that drop is the point.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))

    rgb8 = gradient_noise(H, W, 3).astype(np.uint8)
    rgba8 = np.concatenate([rgb8, rng.integers(0, 256, size=(H, W, 1), dtype=np.uint8)], -1)
    rgba8[0, 0, 3] = 0  # fully transparent pixel with a colour: must survive (alpha dropped, not composited)
    grey8 = gradient_noise(H, W, 1)[:, :, 0].astype(np.uint8)
    la8 = np.stack([grey8, rng.integers(0, 256, size=(H, W), dtype=np.uint8)], -1)

    # --- PNG written by Pillow (its usual adaptive filters) ---
    decode_case("rgb8.png", pil_bytes(img(rgb8, "RGB"), "PNG"), "8-bit RGB")
    decode_case("rgba8.png", pil_bytes(img(rgba8, "RGBA"), "PNG"), "8-bit RGBA: alpha dropped")
    decode_case("grey8.png", pil_bytes(img(grey8, "L"), "PNG"), "8-bit grey: replicated")
    decode_case("la8.png", pil_bytes(img(la8, "LA"), "PNG"), "8-bit grey+alpha: alpha dropped")
    decode_case("grey8_trns.png", pil_bytes(img(grey8, "L"), "PNG", transparency=int(grey8[3, 4])),
                "8-bit grey with tRNS: ignored")
    decode_case("rgb8_trns.png", pil_bytes(img(rgb8, "RGB"), "PNG", transparency=tuple(int(v) for v in rgb8[2, 2])),
                "8-bit RGB with tRNS: ignored")

    palette = rng.integers(0, 256, size=(256, 3), dtype=np.uint8)
    idx8 = rng.integers(0, 256, size=(H, W), dtype=np.uint8)
    p = img(idx8, "P")
    p.putpalette(palette.reshape(-1).tolist())
    decode_case("palette8.png", pil_bytes(p, "PNG"), "8-bit palette")
    alphas = bytes(rng.integers(0, 256, size=200, dtype=np.uint8))
    decode_case("palette8_trns.png", pil_bytes(p, "PNG", transparency=alphas), "8-bit palette with tRNS (many alphas)")
    decode_case("palette8_trns1.png", pil_bytes(p, "PNG", transparency=int(idx8[1, 1])), "8-bit palette with one transparent index")
    for bits in (1, 2, 4):
        n = 1 << bits
        idx = rng.integers(0, n, size=(H, W), dtype=np.uint8)
        pb = img(idx, "P")
        pb.putpalette(palette[:n].reshape(-1).tolist())
        decode_case(f"palette{bits}.png", pil_bytes(pb, "PNG", bits=bits), f"{bits}-bit palette")
    onebit = img((rng.integers(0, 2, size=(H, W)) * 255).astype(np.uint8), "L").convert("1")
    decode_case("grey1.png", pil_bytes(onebit, "PNG"), "1-bit grey (mode 1)")
    grey16_vals = rng.integers(0, 400, size=(H, W)).astype(np.uint16)
    grey16_vals[0, :8] = [0, 1, 254, 255, 256, 257, 65535, 40000]
    decode_case("grey16_pil.png", pil_bytes(img(grey16_vals, "I;16"), "PNG"), "16-bit grey written by Pillow (I;16)")

    # --- PNG written by the small writer above ---
    rgb16 = gradient_noise(H, W, 3, hi=65535, noise=3000).astype(np.uint16)
    rgb16[0, 0] = [0x80FF, 0x7FFF, 0x00FF]  # high byte is not the rounded value
    decode_case("rgb16.png", write_png(rgb16, 16, 2), "16-bit RGB: high byte kept")
    grey16 = gradient_noise(H, W, 1, hi=65535, noise=3000)[:, :, 0].astype(np.uint16)
    grey16[:, :W // 2] = rng.integers(0, 600, size=(H, W // 2))
    grey16[0, :6] = [0, 1, 255, 256, 0x80FF, 65535]
    decode_case("grey16.png", write_png(grey16, 16, 0), "16-bit grey (I;16): clamped to 255")
    ga16 = np.stack([grey16, rng.integers(0, 65536, size=(H, W)).astype(np.uint16)], -1)
    decode_case("la16.png", write_png(ga16, 16, 4), "16-bit grey+alpha: high byte of grey")
    rgba16_opaque = np.concatenate([rgb16, np.full((H, W, 1), 65535, np.uint16)], -1)
    decode_case("rgba16_opaque.png", write_png(rgba16_opaque, 16, 6), "16-bit RGBA, opaque")
    for bits in (2, 4):
        g = rng.integers(0, 1 << bits, size=(H, W))
        decode_case(f"grey{bits}.png", write_png(g, bits, 0), f"{bits}-bit grey: scaled")
    decode_case("rgb8_gamma.png", write_png(rgb8.astype(np.int64), 8, 2, gamma=1.0), "8-bit RGB with gAMA 1.0: ignored")
    decode_case("rgb16_gamma.png", write_png(rgb16, 16, 2, gamma=0.8), "16-bit RGB with gAMA 0.8: ignored")
    decode_case("rgb8_interlaced.png", write_png(rgb8.astype(np.int64), 8, 2, interlace=True), "8-bit RGB, Adam7")
    decode_case("grey16_interlaced.png", write_png(grey16, 16, 0, interlace=True), "16-bit grey, Adam7")
    decode_case("rgb16_trns.png", write_png(rgb16, 16, 2, trns=struct.pack(">HHH", *[int(v) for v in rgb16[1, 1]])),
                "16-bit RGB with tRNS: ignored")

    # 16-bit RGBA with real transparency: Pillow keeps the high byte; the decoder may refuse it.
    rgba16 = np.concatenate([rgb16, rng.integers(0, 65536, size=(H, W, 1)).astype(np.uint16)], -1)
    data = write_png(rgba16, 16, 6)
    decode_case("rgba16.png", data, "16-bit RGBA with transparency")

    # --- JPEG ---
    smooth = gradient_noise(H, W, 3, noise=25).astype(np.uint8)
    sim = img(smooth, "RGB")
    decode_case("baseline420.jpg", pil_bytes(sim, "JPEG", quality=90, subsampling=2), "baseline JPEG 4:2:0")
    decode_case("baseline422.jpg", pil_bytes(sim, "JPEG", quality=85, subsampling=1), "baseline JPEG 4:2:2")
    decode_case("baseline444.jpg", pil_bytes(sim, "JPEG", quality=95, subsampling=0), "baseline JPEG 4:4:4")
    decode_case("progressive.jpg", pil_bytes(sim, "JPEG", quality=80, subsampling=2, progressive=True), "progressive JPEG 4:2:0")
    decode_case("grey.jpg", pil_bytes(img(grey8, "L"), "JPEG", quality=90), "greyscale JPEG")
    big = img(gradient_noise(61, 83, 3, noise=30).astype(np.uint8), "RGB")
    decode_case("large420.jpg", pil_bytes(big, "JPEG", quality=75, subsampling=2), "83x61 JPEG 4:2:0 (several MCUs)")
    decode_case("cmyk.jpg", pil_bytes(sim.convert("CMYK"), "JPEG", quality=90), "CMYK JPEG (Adobe, inverted)")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90; convert("RGB") ignores it
    decode_case("exif_rotated.jpg", pil_bytes(sim, "JPEG", quality=90, exif=exif), "JPEG with EXIF orientation 6: ignored")

    # --- corrupt inputs: each must raise an ImagingError naming the file ---
    good_png = pil_bytes(img(rgb8, "RGB"), "PNG")
    put("corrupt_truncated.png", good_png[: len(good_png) // 2])
    manifest["corrupt"].append({"file": "corrupt_truncated.png", "note": "PNG cut in half"})
    bad = bytearray(good_png)
    pos = bad.find(b"IDAT")
    length = struct.unpack(">I", bad[pos - 4:pos])[0]
    bad[pos + 4 + length] ^= 0xFF  # first byte of the IDAT CRC
    put("corrupt_idat_crc.png", bytes(bad))
    manifest["corrupt"].append({"file": "corrupt_idat_crc.png", "note": "IDAT CRC wrong"})
    bad = bytearray(good_png)
    bad[pos + 4 + 10] ^= 0x55  # damage the compressed stream itself, CRC fixed up
    bad[pos + 4 + length:pos + 8 + length] = struct.pack(">I", zlib.crc32(bytes(bad[pos:pos + 4 + length])) & 0xFFFFFFFF)
    put("corrupt_idat_data.png", bytes(bad))
    manifest["corrupt"].append({"file": "corrupt_idat_data.png", "note": "IDAT zlib data damaged, CRC valid"})
    put("corrupt_random.png", bytes(rng.integers(0, 256, size=512, dtype=np.uint8)))
    manifest["corrupt"].append({"file": "corrupt_random.png", "note": "random bytes"})
    good_jpg = pil_bytes(sim, "JPEG", quality=90)
    put("corrupt_truncated.jpg", good_jpg[: len(good_jpg) // 2])
    manifest["corrupt"].append({"file": "corrupt_truncated.jpg", "note": "JPEG cut in half"})
    put("corrupt_header_only.jpg", good_jpg[:20])
    manifest["corrupt"].append({"file": "corrupt_header_only.jpg", "note": "JPEG cut inside its header"})
    put("corrupt_empty.png", b"")
    manifest["corrupt"].append({"file": "corrupt_empty.png", "note": "empty file"})
    put("corrupt_signature_only.png", good_png[:8])
    manifest["corrupt"].append({"file": "corrupt_signature_only.png", "note": "PNG signature and nothing else"})
    put("not_an_image.gif", b"GIF89a" + bytes(40))
    manifest["corrupt"].append({"file": "not_an_image.gif", "note": "unsupported format"})

    # --- Pillow BILINEAR resizes of 8-bit RGB ---
    def resize_source(name, w, h, noise):
        arr = gradient_noise(h, w, 3, noise=noise).astype(np.uint8)
        arr[h // 3, :] = 255  # a hard line: antialiasing and clipping both show
        arr[:, w // 2] = 0
        put(name, arr.tobytes())
        return img(arr, "RGB")

    sources = {"resize_src_61x47.rgb": resize_source("resize_src_61x47.rgb", 61, 47, 60),
               "resize_src_160x120.rgb": resize_source("resize_src_160x120.rgb", 160, 120, 90)}
    sizes = {"resize_src_61x47.rgb": [(23, 19), (37, 11), (130, 100), (61, 20), (100, 47), (7, 5), (122, 94),
                                      (61, 47), (1, 1), (60, 48), (200, 13)],
             "resize_src_160x120.rgb": [(19, 13), (32, 32), (211, 157)]}
    for src, targets in sizes.items():
        im = sources[src]
        for (w, h) in targets:
            out = im.resize((w, h), Image.BILINEAR)
            name = f"{src.rsplit('.', 1)[0]}_to_{w}x{h}.rgb"
            put(name, np.asarray(out, dtype=np.uint8).tobytes())
            manifest["resize"].append({"source": src, "sourceWidth": im.width, "sourceHeight": im.height,
                                       "width": w, "height": h, "expected": name})

    put("manifest.json", (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    total = sum(written.values())
    print(f"wrote {len(written)} files, {total} bytes, to {OUT}", file=sys.stderr)
    assert total < 1_000_000


if __name__ == "__main__":
    main()
