#!/bin/sh
# Runs in a test guest: answers every line the host writes on the virtio-serial port $1 with
# "guest:LINE", reopening the port after the host side goes away. The line REBOOT reboots the
# guest. The port can be open only once at a time, so it is opened once, read-write, on fd 3.
port=/dev/virtio-ports/$1
reboot_cmd=${2:-reboot -f}

# udev may still be creating the link when this starts.
for _ in $(seq 1 300); do
    [ -e "$port" ] && break
    sleep 0.1
done
for p in /sys/class/virtio-ports/*; do
    echo "VL-PORT $(cat "$p/name")"
done

while :; do
    if exec 3<>"$port"; then
        while IFS= read -r line <&3; do
            if [ "$line" = REBOOT ]; then
                echo "guest:rebooting" >&3
                echo "VL-REBOOTING"
                $reboot_cmd
                exit 0
            fi
            echo "guest:$line" >&3
        done
        exec 3>&-
    fi
    # No host attached: the port reads end-of-file at once; try again shortly.
    sleep 0.2
done
