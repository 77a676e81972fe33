#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench: vmlink-agent beside qemu-ga: memory, round trips, change-to-report latency, idle wakeups
#
# Usage: VL_SOURCE_ROOT=DIR VL_BUILD_ROOT=DIR bench/agent.sh [agent-bench OPTIONS]
# (./dev bench agent [OPTIONS] sets both). Runs agent-bench as root, plots the change-to-report
# latencies to docs/agent-change-latency.svg and rewrites the agent section of
# docs/performance.md. See agent-bench --help for the options.
set -euo pipefail

src=${VL_SOURCE_ROOT:?set VL_SOURCE_ROOT to the source tree}
build=${VL_BUILD_ROOT:?set VL_BUILD_ROOT to the build folder}
for arg in "$@"; do
    case $arg in
    -h | --help | --help-all) exec "$build/bench/agent-bench" --help ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench/agent.sh: needs root (network namespaces)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/agent-bench" --agent "$build/guest-agent/vmlink-agent" \
    --report "$work/report.md" --samples "$work/latency.dat" "$@"
gnuplot -e "samples='$work/latency.dat'; output='$work/latency.svg'" \
    "$src/bench/agent-change-latency.gp"

rel=${build#"$src"/}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "## vmlink-agent beside qemu-ga"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`./dev bench agent${*:+ $*}\`, which runs"
    echo "\`$rel/bench/agent-bench --agent $rel/guest-agent/vmlink-agent${*:+ $*}\`."
    echo
    echo "- Machine: $(nproc) cores ($cpu), $(free -g | awk '/^Mem:/ { print $2 }') GiB,"
    echo "  Linux $(uname -r), $(dpkg-query -W | wc -l) Debian packages installed (the"
    echo "  applications section of vmlink-agent's full report)"
    echo "- $("$build/guest-agent/vmlink-agent" --version), commit" \
        "$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "- qemu-ga from Debian's qemu-guest-agent" \
        "$(dpkg-query -W -f='${Version}' qemu-guest-agent)"
    echo
    cat "$work/report.md"
} >"$work/section.md"

cp "$work/latency.svg" "$src/docs/agent-change-latency.svg"
"$src/bench/update-doc.sh" "$src/docs/performance.md" agent "$work/section.md"
echo "wrote docs/performance.md and docs/agent-change-latency.svg"
