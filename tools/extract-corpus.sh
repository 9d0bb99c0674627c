#!/usr/bin/env bash
# Regenerates the training corpus of the bundled model tempo-kjv-small: the King James Version
# from Debian's bible-kjv-text package (text public domain: the translation dates from 1611),
# printed by the package's `bible` program, one verse per line, verse numbers and chapter
# headings removed. Nothing is downloaded except the Debian package itself.
#   tools/extract-corpus.sh [OUT]   (default build-model/kjv.txt)
set -euo pipefail
out="${1:-build-model/kjv.txt}"
if ! command -v bible >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y bible-kjv; else sudo apt-get install -y bible-kjv; fi
fi
mkdir -p "$(dirname "$out")"
# -l1000: lines wide enough that no verse wraps. Verse lines look like "  12 text" (indented); the others
# are chapter headings ("1 Samuel 3", not indented) and blank lines.
bible -l1000 gen1:1-rev22:21 | sed -n 's/^ \{1,\}[0-9]\{1,\} //p' > "$out"
echo "corpus: $(wc -l < "$out") lines, $(wc -c < "$out") bytes -> $out"
echo "package: bible-kjv-text $(dpkg-query -W -f='${Version}' bible-kjv-text 2>/dev/null || echo '?')"
