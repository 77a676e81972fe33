/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit log: one JSON line per ownership change, failed login, refused call over TLS and
 * call that changes something, with who asked, what, on which VM, when and how it ended:
 *
 *     {"time":"2026-01-02T03:04:05.678Z","who":{"manager":"engine1","address":"192.0.2.7",
 *      "fingerprint":"AB:..."},"what":"vm.start","target":"web1","result":"ok"}
 *
 * (one line in the file; "uid" joins "who" for the local socket, "error" the record of a
 * failure, "repeated" a refusal that stood for identical ones left out.)
 *
 * Each record goes to its own file (mode 0600, appended with one write, so lines never mix; an
 * existing file open to group or others is narrowed to 0600, one of another user is not written
 * to, and both are logged) and to the journal as a message with the field VMLINK_AUDIT holding
 * the line. The file is opened
 * again when its path names another file, so logrotate needs no signal. A file that cannot be
 * written is reported once, and the journal still gets every record.
 *
 * Nothing secret is ever passed in: callers give names, addresses and messages, never params.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VlAudit VlAudit;

/* Seconds within which identical refusals (same source, method and error code) are counted in
 * the next record rather than written each: a client retrying in a loop must not fill the disk. */
#define VL_AUDIT_REFUSAL_WINDOW_S 60

typedef struct {
    const char *manager;     /* the manager's id (the owner, or the one claimed); NULL: null */
    const char *address;     /* the client's IP address; NULL: "local" */
    gint64 uid;              /* the local caller's uid; -1: not written */
    const char *fingerprint; /* its certificate's; NULL: not written */
} VlAuditWho;

/* Opens the audit log at path, making its folder (0750); NULL or "none": journal only. FALSE
 * only for an unusable path; a file that cannot be opened now is retried at each record. */
VlAudit *vl_audit_new(const char *path, GError **error);
void vl_audit_free(VlAudit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlAudit, vl_audit_free)

/* Writes one record (audit NULL: the journal only). target: the VM or NULL; error NULL for
 * "result":"ok". */
void vl_audit_record(VlAudit *audit, const VlAuditWho *who, const char *what, const char *target,
                     const GError *error);

/* The same for a refused call, but at most one per VL_AUDIT_REFUSAL_WINDOW_S for identical
 * ones (audit NULL: every one to the journal). */
void vl_audit_refusal(VlAudit *audit, const VlAuditWho *who, const char *what, const GError *error);

/* The line a record would be, for tests and the journal. */
char *vl_audit_format(const VlAuditWho *who, const char *what, const char *target,
                      const GError *error, guint repeated, gint64 real_time_us);

G_END_DECLS
