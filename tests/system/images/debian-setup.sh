#!/bin/sh
# Runs inside the debootstrap'd tree (chroot) to make it a bootable test guest:
# a test user, a serial console, addresses from the kernel command line, and a marker on the
# console once multi-user.target is reached.
set -eu

echo debian-guest >/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 debian-guest\n' >/etc/hosts
: >/etc/machine-id
ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime

# The test user (password "vltest"); root has no password login.
useradd --create-home --shell /bin/bash --user-group vltest
echo 'vltest:vltest' | chpasswd
passwd -l root

# Boot from an initramfs: no root file system to check or remount.
systemctl mask systemd-remount-fs.service systemd-fsck-root.service 2>/dev/null || true
: >/etc/fstab

cat >/usr/local/sbin/vl-net <<'NET'
#!/bin/sh
# Addresses from the kernel command line: vl.ip=ADDR/PREFIX vl.ip6=ADDR/PREFIX
ip link set lo up
case " $(cat /proc/cmdline) " in
*" vl.ip"*)
    # udev loads virtio_net: wait for eth0 up to 20 s.
    for _ in $(seq 1 200); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done ;;
esac
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    vl.ip=*) ip link set eth0 up && ip addr add "${arg#vl.ip=}" dev eth0 ;;
    vl.ip6=*) ip link set eth0 up && ip -6 addr add "${arg#vl.ip6=}" dev eth0 nodad ;;
    esac
done
exit 0
NET
chmod 0755 /usr/local/sbin/vl-net

cat >/etc/systemd/system/vl-net.service <<'UNIT'
[Unit]
Description=Test network addresses from the kernel command line
After=systemd-udevd.service
Before=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vl-net
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
UNIT

cat >/etc/systemd/system/vl-ready.service <<'UNIT'
[Unit]
Description=Tell the test harness the guest is up
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "VL-DEBIAN-READY uptime=$(cut -d" " -f1 /proc/uptime)" >/dev/ttyS0'

[Install]
WantedBy=multi-user.target
UNIT

systemctl enable vl-net.service vl-ready.service

# Debian's qemu-guest-agent is there for the tests that compare it with vmlink-agent (issue 8),
# masked so that its udev rule does not start it on the port vmlink-agent serves; those tests
# unmask and start it.
systemctl mask qemu-guest-agent.service
