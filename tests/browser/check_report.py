#!/usr/bin/env python3
"""Checks what headless Chromium made of an evaluation report.

    check_report.py SCREENSHOT.png CHROMIUM_STDERR.log DOM.html CONTROL_STDERR.log

* the screenshot is a real rendering, not a blank page: enough distinct colours
  and enough non-white pixels (decoded with the standard library alone, so that
  the check needs no Pillow);
* the page logged nothing to the console: the report has no script, so any
  console line (an error, a blocked resource, a Content-Security-Policy
  violation) is a fault; the control log, from a page that does log an error,
  proves that the logging this relies on works;
* the DOM Chromium built has every section, charts, and no script element (text
  such as "<script>" in a sentence must have stayed text).
"""
import re
import struct
import sys
import zlib

MIN_COLOURS = 64
MIN_INK = 0.03  # share of pixels that are not (near) white
SECTIONS = ["headline", "summary", "per-label", "confusion", "calibration",
            "mistakes", "provenance"]


def fail(message):
    print(f"check_report: FAIL: {message}")
    sys.exit(1)


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        fail(f"unexpected PNG kind (depth {depth}, colour {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def main():
    shot, log, dom, control = sys.argv[1:5]

    width, height, rows = read_png(shot)
    colours, ink = set(), 0
    for row in rows:
        for pixel in row:
            colours.add(pixel)
            if min(pixel) < 235:
                ink += 1
    share = ink / (width * height)
    print(f"check_report: screenshot {width}x{height}, {len(colours)} colours, "
          f"{share:.1%} of pixels inked")
    if len(colours) < MIN_COLOURS:
        fail(f"only {len(colours)} distinct colours: a blank or unstyled page")
    if share < MIN_INK:
        fail(f"only {share:.1%} of the pixels are not white: a blank page")

    console = re.compile(r":CONSOLE[:(]")
    if not any(console.search(line) for line in open(control, errors="replace")):
        fail("the control page's console error was not logged: "
             "this Chromium does not log the console to stderr, the check would be blind")
    lines = [l.strip() for l in open(log, errors="replace") if console.search(l)]
    if lines:
        fail("console messages:\n  " + "\n  ".join(lines))
    print("check_report: no console message")

    html = open(dom, errors="replace").read()
    if "<script" in html.lower():
        fail("the DOM holds a <script> element")
    for section in SECTIONS:
        if f'id="{section}"' not in html:
            fail(f"the DOM has no #{section}")
    charts = html.count("<svg")
    if charts < 4:
        fail(f"only {charts} SVG charts in the DOM")
    print(f"check_report: DOM has every section, {charts} SVG charts, no script")
    print("check_report: OK")


if __name__ == "__main__":
    main()
