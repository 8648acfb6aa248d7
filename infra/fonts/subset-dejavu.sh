#!/usr/bin/env bash
# Remakes shared/assets/fonts/DejaVuSans{,-Bold}-LGC.ttf.zlib, the fonts the PDF
# writer embeds (shared/src/exports/font.rs): DejaVu Sans from Debian's
# fonts-dejavu-core, cut to Latin, Latin Extended (A, B, Additional),
# Greek, Cyrillic, punctuation, currency and letterlike symbols, arrows,
# hinting removed (111 KB each instead of 760 KB), zlib-compressed as they
# are compiled in (65 KB; the export API's bootstrap stays under 8 MB). Each PDF then embeds
# a further subset of only the glyphs it uses. Run by hand when the coverage should change;
# builds and tests only read the committed files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${DEJAVU_DIR:-/usr/share/fonts/truetype/dejavu}"
venv="${SALES_CACHE_DIR:-$HOME/.cache/sales-analytics}/fonttools-venv"
[[ -f "$src/DejaVuSans.ttf" ]] || { echo "DejaVu Sans not found in $src (apt-get install fonts-dejavu-core)" >&2; exit 1; }
[[ -x "$venv/bin/pyftsubset" ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q fonttools==4.68.0; }
# Modern Greek (not the polytonic Greek Extended block) and no IPA: names
# need neither, and each font stays 8 KB smaller (the export API's
# bootstrap is close to the 8 MB goal).
unicodes="U+0020-007E,U+00A0-024F,U+02B0-02FF,U+0300-036F,U+0370-03FF,U+0400-052F,U+1E00-1EFF"
unicodes+=",U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-2199,U+2212,U+FFFD"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for style in "" "-Bold"; do
  "$venv/bin/pyftsubset" "$src/DejaVuSans$style.ttf" --unicodes="$unicodes" --no-hinting --layout-features='' \
    --name-IDs='*' --notdef-outline --output-file="$work/font.ttf"
  out="$root/shared/assets/fonts/DejaVuSans$style-LGC.ttf.zlib"
  python3 -c 'import sys, zlib; open(sys.argv[2], "wb").write(zlib.compress(open(sys.argv[1], "rb").read(), 9))' \
    "$work/font.ttf" "$out"
  echo "wrote ${out#"$root"/}"
done
