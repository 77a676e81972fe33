#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench: vmlinkd's TLS control plane: calls per second on an owned connection and full handshakes per second, beside openssl s_server
#
# Usage: VL_SOURCE_ROOT=DIR VL_BUILD_ROOT=DIR bench/control.sh [control-bench OPTIONS]
# (./dev bench control [OPTIONS] sets both). Runs control-bench (vmlinkd on libvirt's test
# driver with a real agent on one VM, vmlinkctl as the owning manager, openssl s_server and
# s_time as the baseline) and rewrites the control section of docs/performance.md.
set -euo pipefail

src=${VL_SOURCE_ROOT:?set VL_SOURCE_ROOT to the source tree}
build=${VL_BUILD_ROOT:?set VL_BUILD_ROOT to the build folder}
for arg in "$@"; do
    case $arg in
    -h | --help | --help-all) exec "$build/bench/control-bench" --help ;;
    esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/control-bench" --bridge "$build/host-bridge/vmlinkd" \
    --ctl "$build/client/vmlinkctl" --agent "$build/guest-agent/vmlink-agent" \
    --report "$work/report.md" "$@"

rel=${build#"$src"/}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "## vmlinkd's TLS control plane"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`./dev bench control${*:+ $*}\`, which runs"
    echo "\`$rel/bench/control-bench${*:+ $*}\` (everything on one CPU)."
    echo
    echo "- Machine: $(nproc) cores ($cpu), $(free -g | awk '/^Mem:/ { print $2 }') GiB,"
    echo "  Linux $(uname -r)"
    echo "- $("$build/host-bridge/vmlinkd" --version), commit" \
        "$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "- OpenSSL $(dpkg-query -W -f='${Version}' openssl) (the library both servers use, and"
    echo "  the s_server and s_time commands)"
    echo
    cat "$work/report.md"
} >"$work/section.md"

"$src/bench/update-doc.sh" "$src/docs/performance.md" control "$work/section.md"
