#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench: the QEMU guest agent protocol: vmlink-agent beside qemu-ga, round trips, CPU, memory
#
# Usage: VL_SOURCE_ROOT=DIR VL_BUILD_ROOT=DIR bench/qga.sh [agent-bench OPTIONS]
# (./dev bench qga [OPTIONS] sets both). Runs agent-bench --qga and rewrites the qga section of
# docs/performance.md.
set -euo pipefail

src=${VL_SOURCE_ROOT:?set VL_SOURCE_ROOT to the source tree}
build=${VL_BUILD_ROOT:?set VL_BUILD_ROOT to the build folder}
for arg in "$@"; do
    case $arg in
    -h | --help | --help-all) exec "$build/bench/agent-bench" --help ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench/qga.sh: needs root" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/agent-bench" --qga --agent "$build/guest-agent/vmlink-agent" \
    --report "$work/report.md" "$@"

rel=${build#"$src"/}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "## The QEMU guest agent protocol: vmlink-agent beside qemu-ga"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`./dev bench qga${*:+ $*}\`, which runs"
    echo "\`$rel/bench/agent-bench --qga --agent $rel/guest-agent/vmlink-agent${*:+ $*}\`."
    echo
    echo "- Machine: $(nproc) cores ($cpu), $(free -g | awk '/^Mem:/ { print $2 }') GiB,"
    echo "  Linux $(uname -r)"
    echo "- $("$build/guest-agent/vmlink-agent" --version), commit" \
        "$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "- qemu-ga from Debian's qemu-guest-agent" \
        "$(dpkg-query -W -f='${Version}' qemu-guest-agent)"
    echo
    cat "$work/report.md"
} >"$work/section.md"

"$src/bench/update-doc.sh" "$src/docs/performance.md" qga "$work/section.md"
echo "wrote docs/performance.md"
