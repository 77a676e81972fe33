#!/bin/sh
# Runs in a test guest on the virtio-serial port org.vmlink.test.0, so a test on the host can
# run commands inside the guest: each line from the host is a shell command, answered with its
# output as lines "out:TEXT" and then "rc:STATUS". A line "sync-N" is answered "out:sync-N"
# (see vl_line_socket_sync). The port can be open only once, so it is opened once, on fd 3.
port=/dev/virtio-ports/org.vmlink.test.0

for _ in $(seq 1 300); do
    [ -e "$port" ] && break
    sleep 0.1
done

while :; do
    if exec 3<>"$port"; then
        while IFS= read -r line <&3; do
            case "$line" in
            sync-*)
                echo "out:$line" >&3
                continue
                ;;
            esac
            out=$(sh -c "$line" </dev/null 2>&1)
            rc=$?
            if [ -n "$out" ]; then
                printf '%s\n' "$out" | sed 's/^/out:/' >&3
            fi
            echo "rc:$rc" >&3
        done
        exec 3>&-
    fi
    # No host attached: the port reads end-of-file at once; try again shortly.
    sleep 0.2
done
