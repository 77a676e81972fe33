#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: update-doc.sh DOC NAME SECTION_FILE
# Replaces benchmark NAME's section of DOC (docs/performance.md) with SECTION_FILE, leaving the
# other benchmarks' sections as they are. Creates DOC, with its introduction, if missing.
set -euo pipefail

doc=$1
name=$2
section=$3
begin="<!-- bench $name: begin (written by ./dev bench $name; edits here are lost) -->"
end="<!-- bench $name: end -->"

if [ ! -f "$doc" ]; then
    cat >"$doc" <<'INTRO'
# Performance

vmlink's benchmarks compare it with the real programs it stands beside or replaces, run side by
side on the same machine in the same run. They measure and record: none of them is a test, and
no figure fails a build. `./dev bench` lists them; `./dev bench NAME [OPTIONS]` runs one (as
root) and rewrites its section below, with the exact command and the date.

The machine is one of the project's development and CI machines: a virtual machine with 2
cores, Debian 12, shared with other work. The agents and vmlinkd run directly on it, not inside
a TCG guest. It is noisy: figures move from run to run, more so in the tails (p99, max). Treat
them as indicative, and compare figures within one run rather than across runs.
INTRO
fi

new=$(mktemp)
trap 'rm -f "$new"' EXIT
if grep -qF -- "$begin" "$doc"; then
    awk -v begin="$begin" -v end="$end" -v section="$section" '
        $0 == begin { print; while ((getline line < section) > 0) print line; skip = 1; next }
        $0 == end { skip = 0 }
        !skip { print }
    ' "$doc" >"$new"
else
    { cat "$doc"; echo; echo "$begin"; cat "$section"; echo "$end"; } >"$new"
fi
cat "$new" >"$doc"
