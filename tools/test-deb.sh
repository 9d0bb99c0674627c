#!/bin/bash
# Builds the Debian packages (cpack -G DEB) and checks that they install and run:
#   - tempo-lab-cli_*.deb and tempo-lab_*.deb (when the GUI builds) are written;
#   - every Depends of each package is a package this machine has installed (a fresh Debian 12
#     gets them from `apt install ./tempo-lab_*.deb ./tempo-lab-cli_*.deb`);
#   - the packages unpack (dpkg -x into a scratch root, default) or install (--install: dpkg -i on
#     this machine, as root; removed again at the end unless --keep);
#   - the installed files: binaries whose libraries all resolve, the man page (rendered by man/groff
#     when present), the .desktop file and icon, the bundled model;
#   - `tempo-lab-cli preset run 1a --json` on the installed model into a scratch notebook finishes
#     with every mechanism check passed (and once more without --model when the package carries the
#     model, showing which model folder the CLI picked).
# Not part of ctest (it builds the release executables, a few minutes). Usage:
#   bash tools/test-deb.sh [--build-dir DIR] [--install] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-pkg install=0 keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --install) install=1; shift ;;
    --keep) keep=1; shift ;;
    *) echo "usage: bash tools/test-deb.sh [--build-dir DIR] [--install] [--keep]" >&2; exit 2 ;;
  esac
done
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
export CCACHE_BASEDIR="$PWD"

step "configure and build the packaged executables in $build"
cmake -S . -B "$build" -DTEMPO_BUILD_TESTS=OFF -DTEMPO_BUILD_BENCH=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; fail "cmake configure"; }
targets=(tempo-lab-cli tempo-lab-cli-man)
if grep -q '^tempo-lab:' <(cmake --build "$build" --target help | sed 's/^\.\.\. //; s/ .*//; s/$/:/'); then
  targets+=(tempo-lab)
fi
cmake --build "$build" --target "${targets[@]}" -j"${JOBS:-2}"

step "cpack -G DEB"
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB)
shopt -s nullglob
debs=("$build"/packages/*.deb)
[ ${#debs[@]} -gt 0 ] || fail "cpack wrote no .deb"
cli_deb=$(ls "$build"/packages/tempo-lab-cli_*.deb 2>/dev/null | head -1)
gui_deb=$(ls "$build"/packages/tempo-lab_*.deb 2>/dev/null | head -1 || true)
[ -n "$cli_deb" ] || fail "no tempo-lab-cli_*.deb among ${debs[*]}"
if [[ " ${targets[*]} " == *" tempo-lab "* ]] && [ -z "$gui_deb" ]; then fail "the GUI built but no tempo-lab_*.deb"; fi

for deb in "${debs[@]}"; do
  step "$(basename "$deb")"
  dpkg-deb -f "$deb" Package Version Installed-Size Depends | sed 's/^/  /'
  echo "  file size: $(du -h "$deb" | cut -f1)"
  # Every dependency (one alternative of each "a | b" suffices) is installed here.
  while IFS= read -r alternatives; do
    ok=0
    IFS='|' read -ra options <<< "$alternatives"
    for option in "${options[@]}"; do
      name=$(echo "$option" | sed 's/(.*)//; s/[[:space:]]//g; s/:any$//')
      case $name in tempo-lab-cli) ok=1 ;; esac # the sibling package, installed alongside
      if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then ok=1; fi
    done
    [ $ok = 1 ] || fail "$(basename "$deb") depends on '$alternatives', which is not an installed package"
  done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//' | grep -v '^$')
done

scratch=$(mktemp -d)
cleanup() {
  if [ $install = 1 ] && [ $keep = 0 ]; then dpkg -r tempo-lab tempo-lab-cli > /dev/null 2>&1 || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
if [ $install = 1 ]; then
  [ "$(id -u)" = 0 ] || fail "--install needs root (dpkg -i)"
  step "dpkg -i"
  dpkg -i "$cli_deb" ${gui_deb:+"$gui_deb"}
  root=""
else
  step "dpkg -x into $scratch/root"
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$scratch/root"; done
  root="$scratch/root"
fi
cli="$root/usr/bin/tempo-lab-cli"
model="$root/usr/share/tempo-lab/models/tempo-kjv-small"

step "installed files"
[ -x "$cli" ] || fail "no $cli"
! ldd "$cli" | grep "not found" || fail "tempo-lab-cli has unresolved libraries"
man_page="$root/usr/share/man/man1/tempo-lab-cli.1"
[ -f "$man_page" ] || fail "no man page $man_page"
grep -q '^\.SS sweep' "$man_page" || fail "the man page has no sweep section"
if command -v groff > /dev/null; then
  groff -man -Tutf8 -ww -z "$man_page" 2> "$scratch/groff.err" || true
  [ ! -s "$scratch/groff.err" ] || { cat "$scratch/groff.err"; fail "groff warns about the man page"; }
fi
[ -f "$root/usr/share/doc/tempo-lab-cli/user-guide.md" ] || fail "no user guide in /usr/share/doc/tempo-lab-cli"
if [ -n "$gui_deb" ]; then
  [ -x "$root/usr/bin/tempo-lab" ] || fail "no tempo-lab executable"
  ! ldd "$root/usr/bin/tempo-lab" | grep "not found" || fail "tempo-lab has unresolved libraries"
  desktop="$root/usr/share/applications/tempo-lab.desktop"
  [ -f "$desktop" ] || fail "no $desktop"
  grep -q '^Exec=tempo-lab$' "$desktop" && grep -q '^Icon=tempo-lab$' "$desktop" || fail "$desktop: Exec or Icon"
  icon="$root/usr/share/icons/hicolor/scalable/apps/tempo-lab.svg"
  [ -f "$icon" ] && grep -q '<svg' "$icon" || fail "no SVG icon $icon"
  if command -v desktop-file-validate > /dev/null; then
    validation=$(desktop-file-validate "$desktop" 2>&1) || { echo "$validation"; fail "desktop-file-validate $desktop"; }
    [ -z "$validation" ] || { echo "$validation"; fail "desktop-file-validate warns about $desktop"; }
    echo "  desktop-file-validate: clean"
  fi
fi
"$cli" --version
"$cli" --help > /dev/null

if [ ! -f "$model/config.json" ]; then
  fail "the package carries no bundled model ($model): build after resources/models/tempo-kjv-small exists"
fi
step "tempo-lab-cli preset run 1a --json on the installed model"
"$cli" preset run 1a --model "$model" --notebook "$scratch/notebook.sqlite" --json > "$scratch/run.json"
check_run() {
  if command -v python3 > /dev/null; then
    python3 - "$1" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert out["status"] == "finished", f"status {out['status']}"
assert out["all_checks_passed"] is True, "a mechanism check failed"
assert len(out["runs"]) == 1 and out["runs"][0]["text"], "expected one run with text"
print(f"  run {out['runs'][0]['id']}: {out['runs'][0]['text']!r}, {len(out['runs'][0]['checks'])} checks passed")
PY
  else
    grep -q '"status": "finished"' "$1" && grep -q '"all_checks_passed": true' "$1"
  fi
}
check_run "$scratch/run.json" || fail "preset run 1a did not finish with every check passed: $(cat "$scratch/run.json")"
"$cli" show 1 --notebook "$scratch/notebook.sqlite" | grep -i "model" | head -3 | sed 's/^/  /'

step "tempo-lab-cli preset run 1a --json without --model (the bundled model as the CLI finds it)"
# Without $TEMPO_LAB_MODEL the installed CLI must pick the installed model (<exe>/../share/...),
# not the source tree it was built from (which exists on this machine).
if env -u TEMPO_LAB_MODEL "$cli" preset run 1a --notebook "$scratch/notebook2.sqlite" --json > "$scratch/run2.json" 2> "$scratch/run2.err"; then
  check_run "$scratch/run2.json" || fail "preset run 1a without --model"
  "$cli" show 1 --notebook "$scratch/notebook2.sqlite" --json > "$scratch/show2.json"
  picked=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model"]["folder"])' "$scratch/show2.json" 2>/dev/null \
    || sed -n 's/.*"folder": "\(.*\)".*/\1/p' "$scratch/show2.json" | head -1)
  echo "  model folder picked: $picked"
  [ "$(realpath -m "$picked")" = "$(realpath -m "$model")" ] || fail "without --model the installed CLI used '$picked', not the installed model '$model'"
else
  cat "$scratch/run2.err" >&2
  fail "preset run 1a without --model"
fi
echo "test-deb: OK (${debs[*]})"
