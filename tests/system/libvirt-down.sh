#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Stops the daemons libvirt-up.sh started (none when they were already running).
set -euo pipefail
RUN_DIR=${VL_RUN_DIR:-/run/vmlink-test}
list=$RUN_DIR/started-daemons
[ -f "$list" ] || exit 0
# libvirtd first, so it does not see virtlogd vanish under running domains.
for name in libvirtd virtlogd; do
    awk -v n="$name" '$1 == n {print $2}' "$list" | while read -r pid; do
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
done
rm -f "$list"
