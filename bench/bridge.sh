#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench: vmlinkd at scale: CPU per message and memory per channel from 10 to 5000 VMs, lifecycle overhead (test driver and real QEMU), a flooding guest beside a quiet one
#
# Usage: VL_SOURCE_ROOT=DIR VL_BUILD_ROOT=DIR bench/bridge.sh [bridge-bench OPTIONS]
# (./dev bench bridge [OPTIONS] sets both). Runs bridge-bench as root (scripted guests on UNIX
# sockets, libvirt's test driver; then one real VM under libvirtd for the lifecycle calls: run
# it alone), plots its figures to docs/bridge-scale.svg and
# rewrites the bridge section of docs/performance.md. See bridge-bench --help for the options.
set -euo pipefail

src=${VL_SOURCE_ROOT:?set VL_SOURCE_ROOT to the source tree}
build=${VL_BUILD_ROOT:?set VL_BUILD_ROOT to the build folder}
for arg in "$@"; do
    case $arg in
    -h | --help | --help-all) exec "$build/bench/bridge-bench" --help ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench/bridge.sh: needs root (descriptor limits for thousands of channels)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/bridge-bench" --bridge "$build/host-bridge/vmlinkd" \
    --agent "$build/guest-agent/vmlink-agent" \
    --report "$work/report.md" --samples "$work/scale.dat" "$@"
gnuplot -e "samples='$work/scale.dat'; output='$work/scale.svg'" "$src/bench/bridge-scale.gp"

rel=${build#"$src"/}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "## vmlinkd, the host bridge, at scale"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`./dev bench bridge${*:+ $*}\`, which runs"
    echo "\`$rel/bench/bridge-bench --bridge $rel/host-bridge/vmlinkd${*:+ $*}\`."
    echo
    echo "- Machine: $(nproc) cores ($cpu), $(free -g | awk '/^Mem:/ { print $2 }') GiB,"
    echo "  Linux $(uname -r)"
    echo "- $("$build/host-bridge/vmlinkd" --version), commit" \
        "$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "- libvirt from Debian's libvirt0 $(dpkg-query -W -f='${Version}' libvirt0): its test"
    echo "  driver (in-process, no libvirtd, no QEMU), and libvirtd with QEMU"
    echo "  $(dpkg-query -W -f='${Version}' qemu-system-x86) (TCG) for the last table; GLib"
    echo "  $(dpkg-query -W -f='${Version}' libglib2.0-0)"
    echo
    cat "$work/report.md"
} >"$work/section.md"

cp "$work/scale.svg" "$src/docs/bridge-scale.svg"
"$src/bench/update-doc.sh" "$src/docs/performance.md" bridge "$work/section.md"
echo "wrote docs/performance.md and docs/bridge-scale.svg"
