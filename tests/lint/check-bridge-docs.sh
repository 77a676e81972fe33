#!/bin/sh
# Usage: check-bridge-docs.sh SOURCE_ROOT VMLINKD
# Keeps vmlinkd's documentation honest: every key of the table in vl-bridge-config.c is in
# bridge.conf.example and in vmlinkd.8 under its group, every long option of bridge-main.c is in
# vmlinkd.8, and the example, every key uncommented, passes vmlinkd --check-config.
set -eu
root=$1
vmlinkd=$2
config_c=$root/host-bridge/vl-bridge-config.c
main_c=$root/host-bridge/bridge-main.c
example=$root/packaging/bridge.conf.example
man=$root/packaging/vmlinkd.8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

fail() {
    echo "$*"
    bad=1
}

# "group key" for each entry of the table: {"channels", "max-frame-size", KEY_UINT, ...}
sed -n 's/^ *{"\([a-z-]*\)", "\([a-z0-9-]*\)", KEY_.*/\1 \2/p' "$config_c" >"$tmp/keys"
# Each long option: {"libvirt-uri", 0, 0, ...} or {"config", 'c', 0, ...}
sed -n "s/^ *{\"\([a-z0-9-]*\)\", \(0\|'.'\), .*/\1/p" "$main_c" >"$tmp/options"
if [ ! -s "$tmp/keys" ] || [ ! -s "$tmp/options" ]; then
    echo "found no keys in $config_c or no options in $main_c: update this script's patterns"
    exit 1
fi

# "group key" for each key line of the example, commented or not: #max-frame-size = 1048576
awk '/^\[[a-z-]+\]$/ { group = substr($0, 2, length($0) - 2) }
     /^#?[a-z][a-z0-9-]* *=/ { key = $0; sub(/^#/, "", key); sub(/ *=.*/, "", key);
                               print group, key }' "$example" >"$tmp/example-keys"

# The page as text: \- is a hyphen, font changes go. Then "group key" for every word of each
# .SS [group] section, and the whole text for the options.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man" >"$tmp/man"
awk '/^\.S[SH] / { group = ""; if ($1 == ".SS" && $2 ~ /^\[[a-z-]+\]$/) group = substr($2, 2, length($2) - 2); next }
     group != "" { n = split($0, words, /[^a-z0-9-]+/); for (i = 1; i <= n; i++) if (words[i] != "") print group, words[i] }' \
    "$tmp/man" >"$tmp/man-keys"

while read -r group key; do
    grep -qx "$group $key" "$tmp/example-keys" ||
        fail "bridge.conf.example: [$group] $key is missing"
    grep -qx "$group $key" "$tmp/man-keys" ||
        fail "vmlinkd.8: [$group] $key is missing from its CONFIGURATION section"
done <"$tmp/keys"

while read -r option; do
    grep -qe "--$option\([^a-z0-9-]\|\$\)" "$tmp/man" || fail "vmlinkd.8: --$option is missing"
done <"$tmp/options"

# The example must load with every key set to what it shows.
sed 's/^#\([a-z][a-z0-9-]* *=\)/\1/' "$example" >"$tmp/bridge.conf"
if ! "$vmlinkd" --config "$tmp/bridge.conf" --check-config >"$tmp/out" 2>&1; then
    fail "bridge.conf.example, every key uncommented, does not load: $(cat "$tmp/out")"
fi

if [ "$bad" -ne 0 ]; then
    exit 1
fi
echo "$(wc -l <"$tmp/keys") keys and $(wc -l <"$tmp/options") options documented; the example loads"
