#!/usr/bin/env python3
"""Turn an `xwd` dump (ZPixmap, 32 bits per pixel, TrueColor) into a PNG, optionally cropped to
X,Y,W,H; no third-party modules, so it runs on a bare Debian with python3.

    xwd -root -silent | python3 Tools/xwd_to_png.py - out.png [X,Y,W,H]
"""
import struct
import sys
import zlib


def main(source, target, crop=None):
    data = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()
    header = struct.unpack(">25I", data[:100])
    header_size, width, height, byte_order, bits_per_pixel, bytes_per_line, colors = (
        header[0], header[4], header[5], header[7], header[11], header[12], header[19])
    if bits_per_pixel != 32:
        sys.exit(f"xwd_to_png: {bits_per_pixel} bits per pixel; only 32 (TrueColor) is read")
    x0, y0, w, h = crop if crop else (0, 0, width, height)
    w, h = min(w, width - x0), min(h, height - y0)
    start = header_size + 12 * colors
    rows = []
    for y in range(y0, y0 + h):
        line = data[start + y * bytes_per_line + 4 * x0: start + y * bytes_per_line + 4 * (x0 + w)]
        pixels = bytearray()
        for x in range(w):
            b = line[4 * x: 4 * x + 4]
            # LSBFirst: B G R X in memory; MSBFirst: X R G B.
            pixels += bytes((b[2], b[1], b[0])) if byte_order == 0 else bytes((b[1], b[2], b[3]))
        rows.append(b"\0" + bytes(pixels))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))
    open(target, "wb").write(png)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], tuple(int(v) for v in sys.argv[3].split(",")) if len(sys.argv) == 4 else None)
