/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vl-protocol-doc: renders docs/protocol.md from its template and the catalogue, or checks that
 * the committed file matches what the catalogue says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl-doc.h"

static int
usage(FILE *out)
{
    fprintf(out, "Usage: vl-protocol-doc TEMPLATE [--output FILE | --check FILE]\n"
                 "\n"
                 "Renders the protocol description from TEMPLATE and the message catalogue.\n"
                 "  --output FILE  write it to FILE (default: standard output)\n"
                 "  --check FILE   exit 1 when FILE differs from what the catalogue says\n");
    return out == stdout ? 0 : 2;
}

/* The first line where two texts differ, 1-based. */
static guint
first_difference(const char *a, const char *b)
{
    guint line = 1;

    for (; *a && *a == *b; a++, b++) {
        if (*a == '\n') {
            line++;
        }
    }
    return line;
}

int
main(int argc, char **argv)
{
    g_autofree char *template_text = NULL;
    g_autofree char *rendered = NULL;
    g_autoptr(GError) error = NULL;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        return usage(stdout);
    }
    if (argc != 2 && argc != 4) {
        return usage(stderr);
    }
    if (!g_file_get_contents(argv[1], &template_text, NULL, &error)) {
        fprintf(stderr, "vl-protocol-doc: cannot read template: %s\n", error->message);
        return 1;
    }
    rendered = vl_doc_render(template_text);

    if (argc == 2) {
        fputs(rendered, stdout);
        return 0;
    }
    if (strcmp(argv[2], "--output") == 0) {
        if (!g_file_set_contents(argv[3], rendered, -1, &error)) {
            fprintf(stderr, "vl-protocol-doc: cannot write: %s\n", error->message);
            return 1;
        }
        return 0;
    }
    if (strcmp(argv[2], "--check") == 0) {
        g_autofree char *committed = NULL;

        if (!g_file_get_contents(argv[3], &committed, NULL, &error)) {
            fprintf(stderr, "vl-protocol-doc: cannot read %s: %s\n", argv[3], error->message);
            return 1;
        }
        if (strcmp(committed, rendered) != 0) {
            fprintf(stderr,
                    "vl-protocol-doc: %s disagrees with the catalogue from line %u on.\n"
                    "Regenerate it with: ./dev docs\n",
                    argv[3], first_difference(committed, rendered));
            return 1;
        }
        printf("%s matches the catalogue\n", argv[3]);
        return 0;
    }
    return usage(stderr);
}
