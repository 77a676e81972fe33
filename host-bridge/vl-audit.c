/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-audit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "vl-json.h"

#define FOLDER_MODE 0750
#define FILE_MODE 0600
/* Distinct refusals remembered for VL_AUDIT_REFUSAL_WINDOW_S; more are written as they come. */
#define MAX_REFUSALS 1024

typedef struct {
    gint64 since_us; /* when the last one was written */
    guint left_out;  /* identical ones not written since */
} Refusal;

struct _VlAudit {
    char *path; /* NULL: journal only */
    int fd;     /* -1 while closed */
    dev_t dev;
    ino_t ino;
    gboolean failing;     /* the last write failed: said once, until one succeeds */
    GHashTable *refusals; /* "address\nwhat\ndomain:code" → Refusal */
};

static gboolean ensure_open(VlAudit *a, GError **error);

VlAudit *
vl_audit_new(const char *path, GError **error)
{
    VlAudit *a;

    if (path && !g_str_equal(path, "none") && !g_path_is_absolute(path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "audit-log %s: not an absolute path (or \"none\" for the journal only)", path);
        return NULL;
    }
    a = g_new0(VlAudit, 1);
    a->path = path && !g_str_equal(path, "none") ? g_strdup(path) : NULL;
    a->fd = -1;
    a->refusals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    /* Opened now so that a wrong path shows at startup, not at the first record. */
    if (a->path) {
        g_autoptr(GError) open_error = NULL;

        if (!ensure_open(a, &open_error)) {
            g_warning("audit log: %s; records go to the journal only until it works",
                      open_error->message);
            a->failing = TRUE;
        }
    }
    return a;
}

void
vl_audit_free(VlAudit *a)
{
    if (a == NULL) {
        return;
    }
    if (a->fd >= 0) {
        close(a->fd);
    }
    g_hash_table_unref(a->refusals);
    g_free(a->path);
    g_free(a);
}

/*
 * An existing file is vmlinkd's and private, as one it makes: another user's file is refused
 * (whoever owns it could rewrite the records), one open to group or others narrowed to 0600.
 */
static gboolean
check_file(const char *path, int fd, const struct stat *st, GError **error)
{
    if (st->st_uid != geteuid()) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "%s belongs to uid %u, not to vmlinkd's user (uid %u): not written to; check "
                    "it, then `chown %u %s` or move it away",
                    path, (guint)st->st_uid, (guint)geteuid(), (guint)geteuid(), path);
        return FALSE;
    }
    if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        if (fchmod(fd, FILE_MODE) < 0) {
            int errsv = errno;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv),
                        "%s has mode %04o and cannot be made 0600: %s", path,
                        (guint)(st->st_mode & 07777), g_strerror(errsv));
            return FALSE;
        }
        g_warning("audit log: %s had mode %04o (others could read or write the records): made it "
                  "0600",
                  path, (guint)(st->st_mode & 07777));
    }
    return TRUE;
}

/* The file, opened again when the path now names another one (logrotate moved it away). */
static gboolean
ensure_open(VlAudit *a, GError **error)
{
    g_autofree char *dir = NULL;
    struct stat st;
    int fd;

    if (a->fd >= 0) {
        if (stat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino) {
            return TRUE;
        }
        close(a->fd);
        a->fd = -1;
    }
    dir = g_path_get_dirname(a->path);
    if (g_mkdir_with_parents(dir, FOLDER_MODE) < 0) {
        int errsv = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "cannot create %s: %s", dir,
                    g_strerror(errsv));
        return FALSE;
    }
    fd =
        open(a->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, FILE_MODE);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int errsv = errno;

        if (fd >= 0) {
            close(fd);
        }
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "cannot open %s: %s", a->path,
                    g_strerror(errsv));
        return FALSE;
    }
    if (!check_file(a->path, fd, &st, error)) {
        close(fd);
        return FALSE;
    }
    a->fd = fd;
    a->dev = st.st_dev;
    a->ino = st.st_ino;
    return TRUE;
}

static void
write_line(VlAudit *a, const char *line)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = g_strconcat(line, "\n", NULL);
    gsize len = strlen(text);
    ssize_t n = -1;

    if (ensure_open(a, &error)) {
        /* One write with O_APPEND: concurrent writers (a second vmlinkd by mistake, an admin's
         * echo) never split a record. */
        do {
            n = write(a->fd, text, len);
        } while (n < 0 && errno == EINTR);
        if (n != (ssize_t)len) {
            g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write to %s: %s", a->path,
                        n < 0 ? g_strerror(errno) : "short write (disk full?)");
        }
    }
    if (error && !a->failing) {
        g_warning("audit log: %s; records go to the journal only until it works again",
                  error->message);
    } else if (!error && a->failing) {
        g_message("audit log: writing to %s again", a->path);
    }
    a->failing = error != NULL;
}

static void
member_string(VlJsonBuilder *b, const char *name, const char *value)
{
    vl_json_builder_member(b, name);
    if (value) {
        vl_json_builder_add_string(b, value);
    } else {
        vl_json_builder_add_null(b);
    }
}

char *
vl_audit_format(const VlAuditWho *who, const char *what, const char *target, const GError *error,
                guint repeated, gint64 real_time_us)
{
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(real_time_us / G_USEC_PER_SEC);
    g_autofree char *seconds = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%S");
    g_autofree char *time =
        g_strdup_printf("%s.%03dZ", seconds, (int)((real_time_us % G_USEC_PER_SEC) / 1000));
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) record = NULL;

    vl_json_builder_begin_object(b);
    member_string(b, "time", time);
    vl_json_builder_member(b, "who");
    vl_json_builder_begin_object(b);
    member_string(b, "manager", who->manager);
    member_string(b, "address", who->address ? who->address : "local");
    if (who->uid >= 0) {
        vl_json_builder_member(b, "uid");
        vl_json_builder_add_int(b, who->uid);
    }
    member_string(b, "fingerprint", who->fingerprint);
    vl_json_builder_end_object(b);
    member_string(b, "what", what);
    member_string(b, "target", target);
    member_string(b, "result", error ? "error" : "ok");
    if (error) {
        member_string(b, "error", error->message);
    }
    if (repeated) {
        vl_json_builder_member(b, "repeated");
        vl_json_builder_add_int(b, repeated);
    }
    vl_json_builder_end_object(b);
    record = vl_json_builder_finish(b);
    return vl_json_to_string(record, NULL);
}

static void
emit(VlAudit *a, const VlAuditWho *who, const char *what, const char *target, const GError *error,
     guint repeated)
{
    g_autofree char *line = vl_audit_format(who, what, target, error, repeated, g_get_real_time());

    /* The journal gets it as a field of its own, for `journalctl VMLINK_AUDIT=...` filters. */
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "VMLINK_AUDIT", line, "MESSAGE",
                     "audit: %s", line);
    if (a && a->path) {
        write_line(a, line);
    }
}

void
vl_audit_record(VlAudit *a, const VlAuditWho *who, const char *what, const char *target,
                const GError *error)
{
    emit(a, who, what, target, error, 0);
}

/* Forgets refusals whose window has passed; all of them if that is not enough. */
static void
prune_refusals(VlAudit *a, gint64 now_us)
{
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, a->refusals);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        Refusal *r = value;

        if (now_us - r->since_us >= VL_AUDIT_REFUSAL_WINDOW_S * G_USEC_PER_SEC) {
            g_hash_table_iter_remove(&iter);
        }
    }
    if (g_hash_table_size(a->refusals) >= MAX_REFUSALS) {
        g_hash_table_remove_all(a->refusals);
    }
}

void
vl_audit_refusal(VlAudit *a, const VlAuditWho *who, const char *what, const GError *error)
{
    g_autofree char *key = NULL;
    gint64 now_us = g_get_monotonic_time();
    Refusal *r;
    guint left_out;

    if (a == NULL) {
        emit(NULL, who, what, NULL, error, 0);
        return;
    }
    /* By code, not message: "retry in N s" changes every second. */
    key = g_strdup_printf("%s\n%s\n%s:%d", who->address ? who->address : "local", what,
                          error ? g_quark_to_string(error->domain) : "", error ? error->code : 0);
    r = g_hash_table_lookup(a->refusals, key);
    if (r && now_us - r->since_us < VL_AUDIT_REFUSAL_WINDOW_S * G_USEC_PER_SEC) {
        r->left_out++;
        return;
    }
    if (r == NULL) {
        if (g_hash_table_size(a->refusals) >= MAX_REFUSALS) {
            prune_refusals(a, now_us);
        }
        r = g_new0(Refusal, 1);
        g_hash_table_insert(a->refusals, g_steal_pointer(&key), r);
    }
    left_out = r->left_out;
    r->since_us = now_us;
    r->left_out = 0;
    emit(a, who, what, NULL, error, left_out);
}
