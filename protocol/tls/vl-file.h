/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replacing a file so that a crash leaves either the old content or the new, never a part:
 * the state file and the TLS identity's key and certificate are written this way.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Writes data to a temporary file ".<name>.tmp-<12 hex digits>" beside path (O_EXCL and
 * O_NOFOLLOW: a planted name or link is refused), mode exactly 0600 whatever the umask, flushes
 * it, renames it over path and flushes the folder. Temporary files of path left by a crash are
 * removed first (one may hold a key).
 *
 * On failure returns FALSE with *ret_step naming the step that failed ("opening its folder",
 * "creating a temporary file", "setting mode 0600", "writing", "flushing to disk", "closing",
 * "renaming the temporary file over it", "flushing its folder") and *ret_errno its errno. path
 * is unchanged, except after "flushing its folder": then the new content is in place but the
 * rename may not survive a crash.
 */
gboolean vl_file_replace(const char *path, const char *data, gsize len, const char **ret_step,
                         int *ret_errno);

G_END_DECLS
