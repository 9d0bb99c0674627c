#!/usr/bin/env bash
# layers.binaries: checks the built libraries and programs against the layer rule of
# docs/architecture.md:
#   core   (tempo_common ... tempo_report)  links no Qt and no upper layer; its archives reference
#                                            no Qt symbol
#   app    (tempo_app)                       Qt Core only: no Widgets, no rendering, no window
#   render (tempo_render)                    never the window (tempo_gui) nor the run worker (tempo_app)
#   cli    (tempo-lab-cli)                   never the window nor tempo_app; holds no window code;
#                                            in a Qt-free build no Qt at all (linked or needed)
# Two views of the same rule: the link lists CMake was given (followed through every target of
# the manifest, so a forbidden library two steps away is found with its path) and the built
# files themselves (nm for the symbols an archive needs or a program holds, readelf for the
# shared libraries a program needs).
#
# Usage: check_layers.sh MANIFEST qt|noqt
#   MANIFEST: lines "layer<TAB>target<TAB>file<TAB>link items" written by tests/layers/CMakeLists.txt
set -u

manifest="$1"
build_kind="$2"
if [[ ! -s "$manifest" ]]; then
    echo "FAIL: manifest '$manifest': expected a file listing the built targets, found none (configure first)"
    exit 1
fi

declare -A layerOf fileOf linksOf
targets=()
while IFS=$'\t' read -r layer target file links; do
    [[ -z "$target" ]] && continue
    layerOf[$target]=$layer
    fileOf[$target]=$file
    linksOf[$target]=$links
    targets+=("$target")
done <"$manifest"

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# ---- the manifest holds what this build must have (an empty manifest would pass every rule)
required=(tempo_common tempo_notebook tempo_experiment tempo_report tempo-lab-cli)
if [[ "$build_kind" == qt ]]; then
    required+=(tempo_app tempo_render tempo_gui tempo-lab)
fi
for target in "${required[@]}"; do
    if [[ -z "${layerOf[$target]+x}" ]]; then
        fail "target $target: expected in the $build_kind build's manifest, found missing"
    elif [[ ! -f "${fileOf[$target]}" ]]; then
        fail "target $target: expected its built file ${fileOf[$target]}, found no file (build everything first)"
    fi
done
if [[ "$build_kind" == noqt ]]; then
    for target in tempo_app tempo_render tempo_gui tempo-lab; do
        [[ -n "${layerOf[$target]+x}" ]] && fail "target $target: expected absent from the Qt-free build, found it configured"
    done
fi

# ---- declared links, followed through the manifest's targets
# Prints "item<TAB>path" for every link item reachable from $1 (path: target -> ... -> item).
reachable() {
    local start="$1"
    local -A seen=()
    local queue=("$start") paths=("$start")
    seen[$start]=1
    while ((${#queue[@]} > 0)); do
        local current="${queue[0]}" currentPath="${paths[0]}"
        queue=("${queue[@]:1}")
        paths=("${paths[@]:1}")
        local item
        for item in ${linksOf[$current]:-}; do
            [[ -n "${seen[$item]+x}" ]] && continue
            seen[$item]=1
            printf '%s\t%s\n' "$item" "$currentPath -> $item"
            if [[ -n "${layerOf[$item]+x}" ]]; then
                queue+=("$item")
                paths+=("$currentPath -> $item")
            fi
        done
    done
}

qtItem='^Qt6?::|QCustomPlot|libQt6|/qt6/'
forbiddenLinks() { # layer -> regex of link items it must never reach
    case "$1" in
    core) echo "$qtItem|^tempo_(app|render|gui)\$|^tempo-lab\$" ;;
    app) echo '^Qt6?::(Gui|Widgets|PrintSupport|Svg)$|QCustomPlot|^tempo_(render|gui)$' ;;
    render) echo '^tempo_(app|gui)$' ;;
    cli)
        if [[ "$build_kind" == noqt ]]; then
            echo "$qtItem|^tempo_(app|render|gui)\$"
        else
            echo '^tempo_(app|gui)$'
        fi
        ;;
    *) echo '' ;;
    esac
}

for target in "${targets[@]}"; do
    pattern=$(forbiddenLinks "${layerOf[$target]}")
    [[ -z "$pattern" ]] && continue
    while IFS=$'\t' read -r item path; do
        [[ -z "$item" ]] && continue
        if [[ "$item" =~ $pattern ]]; then
            fail "${layerOf[$target]} target $target links $item ($path); expected no link matching $pattern"
        fi
    done < <(reachable "$target")
done

# ---- the built files
# Qt symbols as nm -C prints them: QString::..., QObject::..., qt_assert, ...
qtSymbol='(^|[^A-Za-z0-9_:])(Q[A-Z][A-Za-z0-9]*::|qt_[a-z])'
windowSymbol='tempo::gui::'
workerSymbol='tempo::(RunWorker|SweepWorker|WorkerThread)'

undefinedSymbols() { nm -C --undefined-only "$1" 2>/dev/null | awk 'NF >= 2 { $1 = ""; print substr($0, 2) }' | sort -u; }
definedSymbols() { nm -C --defined-only "$1" 2>/dev/null | awk 'NF >= 3 { $1 = ""; $2 = ""; print substr($0, 3) }' | sort -u; }

# $1 target, $2 what, $3 regex, $4 symbol list
refuseSymbols() {
    local hits
    hits=$(grep -E -- "$3" <<<"$4" | head -n 3)
    if [[ -n "$hits" ]]; then
        local count
        count=$(grep -cE -- "$3" <<<"$4")
        fail "$1 (${fileOf[$1]}): expected no $2, found $count, e.g. $(tr '\n' '|' <<<"$hits")"
    fi
}

for target in "${targets[@]}"; do
    file="${fileOf[$target]}"
    [[ -f "$file" ]] || continue
    case "${layerOf[$target]}" in
    core)
        symbols=$(undefinedSymbols "$file")
        [[ -z "$symbols" ]] && { fail "$target: nm found no undefined symbol in $file (not an archive?)"; continue; }
        refuseSymbols "$target" "reference to a Qt symbol" "$qtSymbol" "$symbols"
        ;;
    app)
        symbols=$(undefinedSymbols "$file")
        refuseSymbols "$target" "reference to widgets, charts or the window" \
            "QWidget|QCustomPlot|QPdfWriter|$windowSymbol|tempo::charts::|tempo::reportexport::" "$symbols"
        ;;
    render)
        symbols=$(undefinedSymbols "$file")
        # The patterns must be able to match: the rendering layer does reference Qt.
        grep -qE -- "$qtSymbol" <<<"$symbols" ||
            fail "$target: expected references to Qt symbols (a check of the Qt pattern itself), found none"
        refuseSymbols "$target" "reference to the window or the run worker" "$windowSymbol|$workerSymbol" "$symbols"
        ;;
    gui)
        if [[ "$target" == tempo-lab ]]; then
            # The window program holds window code: the pattern the CLI is checked with finds it here.
            grep -qE -- "$windowSymbol" <<<"$(definedSymbols "$file")" ||
                fail "$target: expected window symbols ($windowSymbol) in the window program, found none"
        fi
        ;;
    cli)
        symbols=$(definedSymbols "$file")
        [[ -z "$symbols" ]] && { fail "$target: nm found no symbol in $file"; continue; }
        refuseSymbols "$target" "window code" "$windowSymbol" "$symbols"
        refuseSymbols "$target" "run worker code (tempo_app)" "$workerSymbol" "$symbols"
        if [[ "$build_kind" == noqt ]]; then
            # Direct dependencies only (readelf, as tools/gpu-check.sh): a distribution LibTorch may
            # load Qt 5 itself through OpenCV, which is not this program linking Qt.
            needed=$(readelf -d "$file" 2>&1 | grep NEEDED)
            grep -q 'libQt' <<<"$needed" &&
                fail "$target: expected no Qt library needed by the Qt-free build's program, found $(grep -o 'libQt[^]]*' <<<"$needed" | tr '\n' ' ')"
            refuseSymbols "$target" "Qt code in the Qt-free build" "$qtSymbol" "$symbols"
        fi
        ;;
    esac
done

if ((failures > 0)); then
    echo "layers.binaries: $failures violation(s) of the layer rule (docs/architecture.md)"
    exit 1
fi
echo "layers.binaries: OK, ${#targets[@]} targets ($build_kind build): $(printf '%s ' "${targets[@]}")"
