#!/bin/sh
# Usage: check-format.sh SOURCE_ROOT CLANG_FORMAT
# Fails, listing the files, when any tracked C file differs from clang-format's output.
set -eu
root=$1
clang_format=$2
cd "$root"
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
bad=0
for f in $files; do
    [ -f "$f" ] || continue
    if ! "$clang_format" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f"
        bad=1
    fi
done
if [ "$bad" -ne 0 ]; then
    echo "Run ./dev format to fix the formatting."
    exit 1
fi
echo "all C sources formatted"
