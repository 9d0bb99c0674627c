#!/bin/bash
# packaging.cli_help: every command of tempo-lab-cli documents itself, and the docs match.
#   - `tempo-lab-cli --help` exits 0 and lists the commands;
#   - `tempo-lab-cli CMD --help`, `CMD -h` and `help CMD` exit 0 and print the same usage, which
#     starts with "Usage: tempo-lab-cli CMD";
#   - docs/cli.md holds each command's section exactly as `tempo-lab-cli help --markdown` writes it,
#     and names no command the CLI lacks (except Qt-only commands in a Qt-free build);
#   - the man page generated at build time has a section for every command and passes groff -ww.
# Usage: cli_help.sh CLI DOCS_CLI_MD MAN_PAGE
set -uo pipefail
cli=$1 doc_file=$2 man_page=$3
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

overview=$("$cli" --help) || fail "tempo-lab-cli --help exited $?"
commands=$(printf '%s\n' "$overview" | sed -n '/^Commands:/,$p' | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p')
[ -n "$commands" ] || fail "tempo-lab-cli --help lists no commands"
doc=$(cat "$doc_file")
markdown=$("$cli" help --markdown) || fail "help --markdown exited $?"
man=$(cat "$man_page" 2>/dev/null) || fail "no man page at $man_page"

for cmd in $commands; do
  usage=$("$cli" "$cmd" --help) || fail "$cmd --help exited $?"
  [[ $usage == "Usage: tempo-lab-cli $cmd"* ]] || fail "$cmd --help does not start with 'Usage: tempo-lab-cli $cmd'"
  [ "$("$cli" "$cmd" -h)" = "$usage" ] || fail "$cmd -h differs from $cmd --help"
  [ "$("$cli" help "$cmd")" = "$usage" ] || fail "help $cmd differs from $cmd --help"
  section=$(printf '%s\n' "$markdown" | awk -v c="$cmd" '/^## /{p=($2==c)} p')
  [ -n "$section" ] || fail "help --markdown has no section for $cmd"
  [[ $doc == *"$section"* ]] || fail "docs/cli.md: the section of '$cmd' differs from \`tempo-lab-cli help --markdown\` (regenerate it, see the top of docs/cli.md)"
  printf '%s\n' "$man" | grep -qx "\.SS $(printf '%s' "$cmd" | sed 's/-/\\\\-/g')" || fail "the man page has no section for $cmd"
  echo "ok  $cmd"
done

# Sections of docs/cli.md name real commands.
while IFS= read -r documented; do
  if ! printf '%s\n' $commands | grep -qx "$documented"; then
    summary=$(printf '%s\n' "$doc" | awk -v c="$documented" '/^## /{p=($2==c); n=0; next} p && NF {print; exit}')
    if [[ $summary == *"(builds with Qt only)"* ]]; then
      echo "ok  $documented (Qt only, not in this build)"
    else
      fail "docs/cli.md documents '$documented', which tempo-lab-cli does not have"
    fi
  fi
done < <(printf '%s\n' "$doc" | sed -n 's/^## \([a-z][a-z0-9-]*\)$/\1/p')

if command -v groff > /dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1)
  [ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
fi
[ $failures = 0 ] && echo "CLI HELP OK: $(printf '%s\n' $commands | wc -l) commands" || echo "$failures failure(s)"
exit $((failures > 0))
