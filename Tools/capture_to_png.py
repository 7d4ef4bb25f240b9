#!/usr/bin/env python3
"""Turn `tmux capture-pane -p -e` output into a PNG, to look at (or document) what the explorer
shows: each cell becomes 8×16 pixels; ▀ paints its upper half in the foreground colour.

    tmux capture-pane -p -e -t SESSION > screen.txt && python3 Tools/capture_to_png.py screen.txt out.png
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

BASIC = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)]


def xterm256(n):
    if n < 8:
        return BASIC[n]
    if n < 16:
        return tuple(min(255, c + 50) for c in BASIC[n - 8])
    if n >= 232:
        v = 8 + 10 * (n - 232)
        return (v, v, v)
    n -= 16
    levels = [0, 95, 135, 175, 215, 255]
    return (levels[n // 36], levels[(n // 6) % 6], levels[n % 6])


def main(source, target):
    lines = open(source, encoding="utf-8").read().rstrip("\n").split("\n")
    cols = 0
    rows = []
    token = re.compile(r"\x1b\[([0-9;:]*)m|(.)", re.S)
    default_fg, default_bg = (220, 220, 220), (24, 24, 24)
    for line in lines:
        fg, bg, cells = default_fg, default_bg, []
        for match in token.finditer(line):
            if match.group(2) is not None:
                cells.append((match.group(2), fg, bg))
                continue
            params = [int(p) if p else 0 for p in re.split("[;:]", match.group(1) or "0")]
            i = 0
            while i < len(params):
                p = params[i]
                if p == 0:
                    fg, bg = default_fg, default_bg
                elif p in (38, 48) and i + 1 < len(params):
                    if params[i + 1] == 2:
                        color = tuple(params[i + 2:i + 5]); i += 4
                    else:
                        color = xterm256(params[i + 2]); i += 2
                    if p == 38:
                        fg = color
                    else:
                        bg = color
                elif p == 39:
                    fg = default_fg
                elif p == 49:
                    bg = default_bg
                elif 30 <= p <= 37:
                    fg = BASIC[p - 30]
                elif 40 <= p <= 47:
                    bg = BASIC[p - 40]
                elif 90 <= p <= 97:
                    fg = xterm256(p - 90 + 8)
                elif 100 <= p <= 107:
                    bg = xterm256(p - 100 + 8)
                i += 1
        rows.append(cells)
        cols = max(cols, len(cells))
    image = Image.new("RGB", (cols * 8, len(rows) * 16), default_bg)
    draw = ImageDraw.Draw(image)
    # DejaVu Sans Mono when installed (it has ×, ·, arrows); Pillow's built-in font otherwise.
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 13)
    except OSError:
        font = ImageFont.load_default(size=13)
    for y, cells in enumerate(rows):
        for x, (ch, fg, bg) in enumerate(cells):
            box = (x * 8, y * 16, x * 8 + 7, y * 16 + 15)
            draw.rectangle(box, fill=bg)
            if ch == "\u2580":
                draw.rectangle((x * 8, y * 16, x * 8 + 7, y * 16 + 7), fill=fg)
            elif ch.strip():
                draw.text((x * 8, y * 16 + 1), ch, fill=fg, font=font)
    image.save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
