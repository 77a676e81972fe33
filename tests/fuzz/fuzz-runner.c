/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs a fuzz target over corpus files without libFuzzer, so every build (gcc included) replays
 * the corpus as a regression test. Arguments are files or folders of files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path, guint *count)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;

    if (!g_file_get_contents(path, &contents, &len, &error)) {
        fprintf(stderr, "fuzz-runner: %s\n", error->message);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)contents, len);
    (*count)++;
    return 0;
}

int
main(int argc, char **argv)
{
    guint count = 0;
    int failures = 0;

    for (int i = 1; i < argc; i++) {
        if (g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
            g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
            const char *name;

            while (dir && (name = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(argv[i], name, NULL);
                failures += run_file(path, &count);
            }
        } else {
            failures += run_file(argv[i], &count);
        }
    }
    if (count == 0) {
        fprintf(stderr, "fuzz-runner: no corpus files given\n");
        return 1;
    }
    printf("%u corpus inputs replayed\n", count);
    return failures ? 1 : 0;
}
