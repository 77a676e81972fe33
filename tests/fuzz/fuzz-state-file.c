/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as vmlinkd's state file (state.json), which holds who owns the bridge.
 * Whatever is on disk, reading it either gives an object or a clear error, never a crash; and
 * what vmlinkd writes, it reads back as written.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "vl-state-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *folder;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *path = NULL;
    g_autoptr(VlJson) state = NULL;
    g_autoptr(GError) error = NULL;
    int fd;

    if (folder == NULL) {
        folder = g_dir_make_tmp("vl-fuzz-state-XXXXXX", NULL);
        if (folder == NULL) {
            abort();
        }
    }
    path = g_build_filename(folder, "state.json", NULL);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    close(fd);
    state = vl_state_file_read(path, &error);
    if ((state == NULL) == (error == NULL)) {
        abort(); /* exactly one of the two */
    }
    if (state) {
        g_autoptr(VlJson) again = NULL;
        g_autofree char *before = vl_json_to_string(state, NULL);
        g_autofree char *after = NULL;

        if (vl_json_kind(state) != VL_JSON_OBJECT || !vl_state_file_write(path, state, NULL)) {
            abort();
        }
        again = vl_state_file_read(path, NULL);
        after = again ? vl_json_to_string(again, NULL) : NULL;
        if (after == NULL || g_strcmp0(before, after) != 0) {
            abort(); /* vmlinkd refused or changed what it wrote itself */
        }
    }
    unlink(path);
    return 0;
}
