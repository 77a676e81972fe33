#!/bin/busybox sh
# /init of the "tiny" guest: busybox, the virtio modules, a network address from the kernel
# command line, then the test's own script (/vl/init, from the cpio appended at boot).
#
# Kernel command line (optional): vl.ip=ADDR/PREFIX vl.ip6=ADDR/PREFIX for eth0, and the host's
# addresses vl.host4= and vl.host6=, passed to /vl/init as $VL_HOST4 and $VL_HOST6.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

while read -r module; do
    insmod "$module" 2>/dev/null
done </etc/modules.order

# udev is absent: make the /dev/virtio-ports/NAME links it would make.
mkdir -p /dev/virtio-ports
for port in /sys/class/virtio-ports/*; do
    [ -r "$port/name" ] || continue
    ln -sf "../$(basename "$port")" "/dev/virtio-ports/$(cat "$port/name")"
done

hostname tiny
ip link set lo up
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    vl.ip=*) ip link set eth0 up && ip addr add "${arg#vl.ip=}" dev eth0 ;;
    vl.ip6=*)
        # busybox ip has no "nodad": turn duplicate address detection off for eth0 instead.
        echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad
        ip link set eth0 up && ip -6 addr add "${arg#vl.ip6=}" dev eth0
        ;;
    vl.host4=*) export VL_HOST4="${arg#vl.host4=}" ;;
    vl.host6=*) export VL_HOST6="${arg#vl.host6=}" ;;
    esac
done

echo "VL-TINY-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ -x /vl/init ]; then
    /vl/init
    echo "VL-TINY-INIT-EXIT status=$?"
else
    setsid cttyhack sh
fi
poweroff -f
