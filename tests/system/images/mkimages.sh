#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds and caches the guest images the system tests and the demo boot:
#   kernel   vmlinuz and modules unpacked from Debian's linux-image-cloud-amd64 (not installed)
#   tiny     busybox initramfs with the virtio modules (tiny-init.sh as /init)
#   debian   debootstrap'd Debian 12 with systemd, dbus, logind, udev and PAM, as an initramfs
# Each is keyed by the versions and files it is made from; a second run rebuilds nothing.
# Prints the resulting paths as shell assignments (also written to $VMLINK_CACHE/images.env).
#
# Usage: mkimages.sh [kernel|tiny|debian|all]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${VMLINK_CACHE:-$HOME/.cache/vmlink}
WHAT=${1:-all}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'mkimages: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "building images needs root (debootstrap, device nodes)"
mkdir -p "$CACHE"

# Writes into a temporary name and renames, so an interrupted build never looks finished.
publish() { mv -f "$1" "$2"; }

kernel() {
    local meta pkg version
    meta=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
    if [ -z "$meta" ]; then
        # A fresh machine may have no package lists yet.
        apt-get update -q >&2
        meta=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
    fi
    [ -n "$meta" ] || die "apt-cache knows no linux-image-cloud-amd64 (check /etc/apt/sources.list*)"
    pkg=$meta
    version=$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')
    KVER=${pkg#linux-image-}
    KDIR=$CACHE/kernel/$KVER-$version
    if [ ! -f "$KDIR/.done" ]; then
        say "kernel: downloading $pkg $version"
        rm -rf "$KDIR" && mkdir -p "$KDIR/deb"
        (cd "$KDIR/deb" && apt-get download -q "$pkg=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
        ls "$KDIR"/deb/*.deb >/dev/null 2>&1 || die "could not download $pkg"
        dpkg-deb -x "$KDIR"/deb/*.deb "$KDIR/root"
        depmod -b "$KDIR/root" "$KVER"
        cp "$KDIR/root/boot/vmlinuz-$KVER" "$KDIR/vmlinuz"
        rm -rf "$KDIR/deb"
        touch "$KDIR/.done"
    fi
    KERNEL=$KDIR/vmlinuz
    MODULES=$KDIR/root/lib/modules/$KVER
}

# The virtio modules and their dependencies, in load order, as paths under the modules folder.
module_order() {
    local m
    for m in virtio_pci virtio_console virtio_net virtio_blk virtio_balloon virtio_rng \
        vmw_vsock_virtio_transport; do
        modprobe --show-depends -S "$KVER" -d "$KDIR/root" "$m" | awk '{print $2}'
    done | awk '!seen[$0]++'
}

key_of() { cat "$@" | sha256sum | cut -c1-16; }

tiny() {
    kernel
    local busybox_version key out stage
    busybox_version=$(dpkg-query -W -f='${Version}' busybox-static)
    key=$( (echo "$KVER $busybox_version"; cat "$HERE/tiny-init.sh") | sha256sum | cut -c1-16)
    out=$CACHE/images/tiny-$key.cpio.gz
    if [ ! -f "$out" ]; then
        say "tiny: building $out"
        mkdir -p "$CACHE/images"
        stage=$(mktemp -d)
        mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,vl,lib/modules}
        cp /bin/busybox "$stage/bin/busybox"
        install -m 0755 "$HERE/tiny-init.sh" "$stage/init"
        : >"$stage/etc/modules.order"
        while read -r path; do
            local rel=${path#"$KDIR/root"}
            mkdir -p "$stage$(dirname "$rel")"
            cp "$path" "$stage$rel"
            echo "$rel" >>"$stage/etc/modules.order"
        done < <(module_order)
        echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
        echo "root:x:0:" >"$stage/etc/group"
        (cd "$stage" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -9) >"$out.tmp"
        rm -rf "$stage"
        publish "$out.tmp" "$out"
    fi
    TINY=$out
}

# The Debian mirror this machine's apt uses (never written into the project).
debian_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
    [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        awk '{print $2}' | grep -v security | head -1)
    [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list*"
    echo "$uri"
}

DEBIAN_PACKAGES=systemd,systemd-sysv,dbus,udev,libpam-systemd,libpam-runtime,login,passwd,iproute2,kmod,procps,libglib2.0-0,libjson-glib-1.0-0,libssl3,libsystemd0,qemu-guest-agent

debian() {
    kernel
    local key out root mirror
    key=$( (echo "$KVER bookworm $DEBIAN_PACKAGES"; cat "$HERE/debian-setup.sh") | sha256sum | cut -c1-16)
    out=$CACHE/images/debian-$key.cpio.lz4
    if [ ! -f "$out" ]; then
        mirror=$(debian_mirror)
        root=$CACHE/images/debian-$key.root
        rm -rf "$root"
        say "debian: debootstrap bookworm (about 40 s and 300 MB)"
        debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" bookworm "$root" "$mirror" \
            >"$CACHE/images/debootstrap.log" 2>&1 ||
            { tail -20 "$CACHE/images/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/images/debootstrap.log)"; }
        mkdir -p "$root/lib/modules"
        cp -a "$MODULES" "$root/lib/modules/"
        say "debian: configuring"
        install -m 0755 "$HERE/debian-setup.sh" "$root/tmp/debian-setup.sh"
        chroot "$root" /tmp/debian-setup.sh
        rm -f "$root/tmp/debian-setup.sh"
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
        say "debian: packing $out"
        (cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | lz4 -l -q) >"$out.tmp"
        rm -rf "$root"
        publish "$out.tmp" "$out"
    fi
    DEBIAN=$out
}

case "$WHAT" in
kernel) kernel ;;
tiny) tiny ;;
debian) debian ;;
all) tiny && debian ;;
*) die "usage: mkimages.sh [kernel|tiny|debian|all]" ;;
esac

{
    echo "VL_KERNEL=$KERNEL"
    echo "VL_KERNEL_VERSION=$KVER"
    [ -n "${TINY:-}" ] && echo "VL_IMAGE_TINY=$TINY"
    [ -n "${DEBIAN:-}" ] && echo "VL_IMAGE_DEBIAN=$DEBIAN"
} | tee "$CACHE/images-$WHAT.env"
