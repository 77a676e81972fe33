#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Makes sure virtlogd and libvirtd answer on qemu:///system. Daemons that already run (under
# systemd on a normal host) are left alone. Otherwise, as on a build machine without systemd,
# they are started detached the way ../shared/notes/machine.md describes, and their pids are
# written to $VL_RUN_DIR/started-daemons so that libvirt-down.sh stops only what this started.
#
# Usage: libvirt-up.sh        (exit 0 when libvirtd answers)
set -euo pipefail

RUN_DIR=${VL_RUN_DIR:-/run/vmlink-test}
URI=qemu:///system

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'libvirt-up: %s\n' "$*" >&2; exit 1; }

answers() { virsh -c "$URI" version >/dev/null 2>&1; }

answers && exit 0
[ "$(id -u)" -eq 0 ] || die "libvirtd does not answer on $URI and only root can start it"
command -v libvirtd >/dev/null || die "libvirtd is not installed (apt-get install libvirt-daemon-system or run ./dev deps)"

# Without systemd-logind, cgroups and a system bus, QEMU must run as root without a security
# driver or cgroup controllers. Only set when this script has to start libvirtd itself.
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
    useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
conf=/etc/libvirt/qemu.conf
marker="# vmlink test harness (tests/system/libvirt-up.sh)"
if ! grep -qF "$marker" "$conf" 2>/dev/null; then
    mkdir -p /etc/libvirt
    {
        echo "$marker"
        echo 'user = "root"'
        echo 'group = "root"'
        echo 'security_driver = "none"'
        echo 'cgroup_controllers = [ ]'
    } >>"$conf"
fi
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt "$RUN_DIR"
# The daemons run as they would on a host, not under the test's environment: meson's
# G_DEBUG=fatal-criticals made libvirtd 9.0 abort at start on a critical of its own (an agent
# socket gone from a domain left by an interrupted run).
unset G_DEBUG G_SLICE MALLOC_PERTURB_ ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

if ! pgrep -x virtlogd >/dev/null; then
    say "starting virtlogd"
    setsid virtlogd </dev/null >>/var/log/libvirt/virtlogd-vmlink.log 2>&1 &
    echo "virtlogd $!" >>"$RUN_DIR/started-daemons"
fi
if ! pgrep -x libvirtd >/dev/null; then
    say "starting libvirtd"
    setsid libvirtd </dev/null >>/var/log/libvirt/libvirtd-vmlink.log 2>&1 &
    echo "libvirtd $!" >>"$RUN_DIR/started-daemons"
fi
for _ in $(seq 1 100); do
    answers && exit 0
    sleep 0.1
done
die "libvirtd did not answer on $URI within 10 s (log: /var/log/libvirt/libvirtd-vmlink.log)"
