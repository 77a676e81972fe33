/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd's state (ownership: owner id, pinned certificate, URLs, password hash) as one JSON file,
 * replaced atomically and never half-trusted when read back.
 *
 * The file is one JSON text, one line, in exactly this layout:
 *
 *     {"format":1,"sha256":"<64 lowercase hex>","data":<DATA>}\n
 *
 * DATA is the state object as compact JSON, and sha256 is the digest of exactly those bytes, as
 * they stand in the file. The digest covers the bytes rather than a re-serialisation of the
 * parsed object, so that a change in how the JSON library writes numbers or escapes strings can
 * never make a good file look damaged. It is there to catch damage (a torn disk write, a bad
 * block, a careless edit), not an attacker who can write the file: mode 0600 and the owner check
 * are the defence against that. A file in any other layout is refused: vmlinkd is its only writer.
 *
 * Writing: a temporary file ".<name>.tmp-<random>" in the same folder (mode 0600, O_EXCL),
 * written whole, fsync'ed, renamed over the path, then the folder fsync'ed: after a crash the
 * path holds either the old state or the new one. Temporary files left by a crash are removed
 * by the next write; one removed under a concurrent writer makes that writer fail cleanly (its
 * rename finds nothing), never corrupts the state.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

/* The largest state file read or written; the state is a few certificates and strings. */
#define VL_STATE_FILE_MAX_SIZE (1024 * 1024)
#define VL_STATE_FILE_FORMAT 1

#define VL_STATE_FILE_ERROR (vl_state_file_error_quark())
GQuark vl_state_file_error_quark(void);

typedef enum {
    VL_STATE_FILE_ERROR_MISSING,     /* no file: a fresh host */
    VL_STATE_FILE_ERROR_DAMAGED,     /* not what vmlinkd writes: left as is, not trusted */
    VL_STATE_FILE_ERROR_PERMISSIONS, /* open to group or others, or owned by another user */
    VL_STATE_FILE_ERROR_READ,        /* the file or its folder cannot be read */
    VL_STATE_FILE_ERROR_WRITE,       /* the new state could not be written; the old one stays */
    VL_STATE_FILE_ERROR_UNFLUSHED,   /* the new state is in place, but its folder was not flushed:
                                        it may not survive a crash. Not a failure to report. */
} VlStateFileError;

/*
 * Replaces the file at path with state, a JSON object, as described above. On failure (_WRITE,
 * naming the path and the step) the file at path is unchanged and no temporary file is left.
 * The one exception is a failed fsync of the folder after the rename: FALSE with _UNFLUSHED,
 * and the new state is in place (the caller takes it, and may warn).
 */
gboolean vl_state_file_write(const char *path, const VlJson *state, GError **error);

/*
 * The data object of the file at path, owned by the caller. NULL with _MISSING, _PERMISSIONS
 * (naming the fix), _DAMAGED (saying what is wrong, that the file was left as is and what the
 * administrator can do) or _READ. The file is never modified.
 */
VlJson *vl_state_file_read(const char *path, GError **error);

/*
 * A copy of state (an object) with member name set to value (a copy; replacing the member where
 * it stands, else last), or removed when value is NULL. Every other member is kept as it is:
 * a newer vmlinkd's members survive an older one's write.
 */
VlJson *vl_state_file_with_member(const VlJson *state, const char *name, const VlJson *value);

G_END_DECLS
