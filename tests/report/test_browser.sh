#!/usr/bin/env bash
# The report in a real browser: headless Chromium loads the page the cli_report test wrote, its DOM
# (--dump-dom) must hold every section and SVG element of the file, and its screenshot must show
# the charts: not blank, and with the colours of the trial points and of the best-so-far line.
# Chromium comes from Debian (scripts/setup.sh --browser). Without it the test is skipped (exit 77)
# unless KYPER_REQUIRE_BROWSER=1 (scripts/test.sh, CI), where a missing browser fails it.
#   test_browser.sh PAGE WORK_DIR
set -euo pipefail
page="$1" work="$2"
fail() { echo "test_browser: FAILED: $*" >&2; exit 1; }
browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser="$(command -v "$candidate")"; break; fi
done
if [ -z "$browser" ]; then
  [ "${KYPER_REQUIRE_BROWSER:-0}" = 1 ] && fail "no chromium on PATH: run scripts/setup.sh --browser"
  echo "test_browser: no chromium on PATH (scripts/setup.sh --browser installs it): skipped"
  exit 77
fi
[ -f "$page" ] || fail "$page is missing (the cli_report test writes it)"
rm -rf "$work" && mkdir -p "$work"
# Root in a container: no sandbox; no GPU; a private profile so parallel runs do not collide.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run
       --user-data-dir="$work/profile")
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" >"$work/dom.html" 2>"$work/dump.log" ||
  { tail -20 "$work/dump.log" >&2; fail "chromium --dump-dom failed"; }
timeout 120 "$browser" "${flags[@]}" --window-size=1200,1600 --screenshot="$work/page.png" "$url" >"$work/shot.log" 2>&1 ||
  { tail -20 "$work/shot.log" >&2; fail "chromium --screenshot failed"; }
"$browser" --version

python3 - "$page" "$work/dom.html" "$work/page.png" <<'PYEOF'
import html.parser, struct, sys, zlib
page, dom, png = sys.argv[1:4]

class Count(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.n = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in (tag, f"{tag}.{a.get('class', '')}", f"{tag}#{a.get('id', '')}"):
            self.n[key] = self.n.get(key, 0) + 1

def count(path):
    c = Count()
    c.feed(open(path, encoding="utf-8").read())
    return c.n

source, rendered = count(page), count(dom)
for key in ["svg", "section", "circle.trial", "path.best", "rect.run", "path.pc", "path.pc best", "figure", "table"]:
    if source.get(key, 0) == 0:
        sys.exit(f"test_browser: FAILED: the page has no {key}")
    if rendered.get(key, 0) != source[key]:
        sys.exit(f"test_browser: FAILED: the browser's DOM has {rendered.get(key, 0)} {key}, the file {source[key]}")
print(f"DOM: {rendered['svg']} svg, {rendered['section']} sections, {rendered['circle.trial']} points")

# The screenshot: a PNG (8-bit RGB or RGBA, not interlaced), decoded here.
data = open(png, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("test_browser: FAILED: the screenshot is not a PNG")
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
    sys.exit(f"test_browser: FAILED: unexpected PNG format depth={depth} colour={colour} interlace={interlace}")
channels = 3 if colour == 2 else 4
raw, stride = zlib.decompress(idat), width * channels
pixels, previous, at = bytearray(), bytearray(stride), 0
for _ in range(height):
    kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
    at += 1 + stride
    for i in range(stride):
        left = line[i - channels] if i >= channels else 0
        up, corner = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1: line[i] = (line[i] + left) & 255
        elif kind == 2: line[i] = (line[i] + up) & 255
        elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    pixels += line
    previous = line
total = width * height
non_white = orange = blue = 0
for i in range(0, len(pixels), channels):
    r, g, b = pixels[i], pixels[i + 1], pixels[i + 2]
    if r < 245 or g < 245 or b < 245: non_white += 1
    if r > 190 and g < 120 and b < 80: orange += 1          # the best-so-far line (#d9480f)
    if b > 150 and r < 140 and 100 < g < 190: blue += 1      # trial points and bars (#2f6fb3, #4c9be8)
print(f"screenshot {width}x{height}: {100 * non_white / total:.1f}% not white, {orange} orange and {blue} blue pixels")
if non_white < 0.02 * total:
    sys.exit("test_browser: FAILED: the screenshot is blank")
if orange < 50 or blue < 50:
    sys.exit("test_browser: FAILED: the screenshot lacks the charts' colours (SVG not drawn?)")
PYEOF
echo "test_browser: OK"
