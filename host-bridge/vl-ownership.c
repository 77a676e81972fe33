/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-ownership.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>
#include <sys/stat.h>

#include "vl-jsonrpc.h"
#include "vl-openssl.h"
#include "vl-ownership-private.h"
#include "vl-protocol.h"
#include "vl-state-file.h"
#include "vl-tls-context.h"

#define STATE_FILE "state.json"
#define PASSWORD_MEMBER "password_hash"
#define OWNER_MEMBER "owner"
#define FIX                                                                                        \
    "it was left as is and nothing in it is trusted. Restore it from a backup, or move it away, "  \
    "set the password again (vmlinkd --set-password) and take ownership again from the manager"

struct _VlOwnership {
    char *path;
    VlOwnershipState state;
    VlJson *data; /* the file's object; NULL when damaged */
    char *hash;
    VlOwner *owner;
    X509 *pinned; /* owner->certificate, parsed */
    char *damage;
    struct stat seen; /* of the file as last read or written; st_ino 0: there was none */
    gint64 polled_us; /* monotonic time of the last look at the file (vl_ownership_poll) */
    guint64 generation;
    GHashTable *verified; /* X509 (a reference) → gint64 notAfter: owner certificates that
                           * passed the pin check under this generation */
    VlThrottle *throttle;
    VlPasswordQueue *hashing;
};

void
vl_owner_free(VlOwner *owner)
{
    if (owner == NULL) {
        return;
    }
    g_free(owner->manager_id);
    g_free(owner->certificate);
    g_free(owner->fingerprint);
    g_free(owner->event_url);
    g_free(owner->stats_url);
    g_free(owner);
}

/* Loading ------------------------------------------------------------------------------------ */

/* What authorises a TLS caller: the state, the owner's id, its pin and its URLs. */
static char *
authority_of(const VlOwnership *o)
{
    const VlOwner *w = o->owner;

    return g_strdup_printf("%d\n%s\n%s\n%s\n%s", o->state, w ? w->manager_id : "",
                           w ? w->certificate : "", w && w->event_url ? w->event_url : "",
                           w && w->stats_url ? w->stats_url : "");
}

/* After a change of the state: a new generation when what authorises callers changed, which
 * also forgets the certificates verified under the old one. */
static void
changed(VlOwnership *o, const char *before)
{
    g_autofree char *after = authority_of(o);

    if (!g_str_equal(before, after)) {
        o->generation++;
        g_hash_table_remove_all(o->verified);
    }
}

static void
clear(VlOwnership *o)
{
    g_clear_pointer(&o->data, vl_json_unref);
    g_clear_pointer(&o->hash, g_free);
    g_clear_pointer(&o->owner, vl_owner_free);
    g_clear_pointer(&o->pinned, X509_free);
    g_clear_pointer(&o->damage, g_free);
}

static void
set_damaged(VlOwnership *o, char *why)
{
    gboolean was = o->state == VL_OWNERSHIP_DAMAGED;
    g_autofree char *before = authority_of(o);

    clear(o);
    o->state = VL_OWNERSHIP_DAMAGED;
    o->damage = why;
    changed(o, before);
    if (!was) {
        g_warning("ownership: %s. Until then the control plane over TLS serves only host.info",
                  o->damage);
    }
}

/* The owner member of the file, or NULL with what is wrong with it. */
static VlOwner *
owner_from_json(const VlJson *json, X509 **ret_cert, const char **ret_what)
{
    g_autoptr(VlOwner) owner = g_new0(VlOwner, 1);
    const VlJson *since = vl_json_object_get(json, "since");
    const char *event_url = vl_json_get_string(vl_json_object_get(json, "event_url"));
    const char *stats_url = vl_json_get_string(vl_json_object_get(json, "stats_url"));

    owner->manager_id = g_strdup(vl_json_get_string(vl_json_object_get(json, "manager_id")));
    owner->certificate = g_strdup(vl_json_get_string(vl_json_object_get(json, "certificate")));
    if (!vl_ownership_check_manager_id(owner->manager_id, NULL)) {
        *ret_what = "an owner without a valid manager_id";
        return NULL;
    }
    /* Parsed, not checked for dates: the owner's certificate may expire while it owns us. */
    if (owner->certificate == NULL ||
        (*ret_cert = vl_tls_x509_from_pem(owner->certificate)) == NULL) {
        *ret_what = "an owner whose pinned certificate is not one";
        return NULL;
    }
    if (vl_json_kind(since) != VL_JSON_INT ||
        !vl_ownership_check_url("event_url", event_url, NULL) ||
        !vl_ownership_check_url("stats_url", stats_url, NULL)) {
        g_clear_pointer(ret_cert, X509_free);
        *ret_what = "an owner with invalid URLs or no since";
        return NULL;
    }
    owner->fingerprint = vl_tls_x509_fingerprint(*ret_cert);
    owner->event_url = event_url && *event_url ? g_strdup(event_url) : NULL;
    owner->stats_url = stats_url && *stats_url ? g_strdup(stats_url) : NULL;
    owner->since = vl_json_get_int(since);
    return g_steal_pointer(&owner);
}

/* Takes data, the file's object, as the state. */
static void
apply(VlOwnership *o, VlJson *data)
{
    const VlJson *hash = vl_json_object_get(data, PASSWORD_MEMBER);
    const VlJson *owner = vl_json_object_get(data, OWNER_MEMBER);
    const char *what = NULL;
    X509 *cert = NULL;
    VlOwner *parsed = NULL;
    g_autofree char *before = NULL;

    if (hash && vl_json_kind(hash) != VL_JSON_STRING) {
        what = "a password_hash that is not a string";
    } else if (hash && !vl_password_hash_is_valid(vl_json_get_string(hash), NULL)) {
        /* Checked now, not at the first login: a damaged hash is a damaged file. */
        what = "a password_hash that is not a valid scrypt hash";
    } else if (owner && vl_json_kind(owner) != VL_JSON_OBJECT) {
        what = "an owner that is not an object";
    } else if (owner && (parsed = owner_from_json(owner, &cert, &what)) == NULL) {
        g_assert(what);
    }
    if (what) {
        set_damaged(o, g_strdup_printf("the state file %s holds %s: " FIX, o->path, what));
        vl_json_unref(data);
        return;
    }
    if (o->state == VL_OWNERSHIP_DAMAGED) {
        g_message("ownership: the state file %s can be trusted again", o->path);
    }
    before = authority_of(o);
    clear(o);
    o->data = data;
    o->hash = g_strdup(vl_json_get_string(hash));
    o->owner = parsed;
    o->pinned = cert;
    o->state = parsed ? VL_OWNERSHIP_OWNED : VL_OWNERSHIP_UNOWNED;
    changed(o, before);
}

static void
remember_file(VlOwnership *o)
{
    if (stat(o->path, &o->seen) < 0) {
        memset(&o->seen, 0, sizeof(o->seen));
    }
}

static void
load(VlOwnership *o)
{
    g_autoptr(GError) error = NULL;
    VlJson *data;

    remember_file(o);
    data = vl_state_file_read(o->path, &error);
    if (data == NULL && g_error_matches(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_MISSING)) {
        data = vl_json_parse("{}", 2, NULL);
    }
    if (data == NULL) {
        set_damaged(o, g_strdup(error->message));
        return;
    }
    apply(o, data);
}

VlOwnership *
vl_ownership_new(const char *state_dir, guint backoff_max_s)
{
    VlOwnership *o = g_new0(VlOwnership, 1);

    o->path = g_build_filename(state_dir, STATE_FILE, NULL);
    o->state = VL_OWNERSHIP_UNOWNED;
    o->verified =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, (GDestroyNotify)X509_free, g_free);
    o->throttle = vl_throttle_new(backoff_max_s, VL_THROTTLE_DEFAULT_MAX_ENTRIES);
    o->hashing = vl_password_queue_new();
    load(o);
    return o;
}

void
vl_ownership_free(VlOwnership *o)
{
    if (o == NULL) {
        return;
    }
    clear(o);
    g_hash_table_unref(o->verified);
    vl_password_queue_free(o->hashing);
    vl_throttle_free(o->throttle);
    g_free(o->path);
    g_free(o);
}

void
vl_ownership_refresh(VlOwnership *o)
{
    struct stat st;

    if (stat(o->path, &st) < 0) {
        memset(&st, 0, sizeof(st));
    }
    /* Any write, chmod or chown changes ctime; a replacement changes the inode. */
    if (st.st_ino == o->seen.st_ino && st.st_dev == o->seen.st_dev &&
        st.st_size == o->seen.st_size && st.st_mtim.tv_sec == o->seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == o->seen.st_mtim.tv_nsec &&
        st.st_ctim.tv_sec == o->seen.st_ctim.tv_sec &&
        st.st_ctim.tv_nsec == o->seen.st_ctim.tv_nsec) {
        return;
    }
    load(o);
}

void
vl_ownership_poll(VlOwnership *o, gint64 now_us)
{
    if (o->polled_us != 0 && now_us - o->polled_us < G_USEC_PER_SEC) {
        return;
    }
    o->polled_us = now_us;
    vl_ownership_refresh(o);
}

guint64
vl_ownership_generation(const VlOwnership *o)
{
    return o->generation;
}

/* Reading ------------------------------------------------------------------------------------ */

VlOwnershipState
vl_ownership_state(const VlOwnership *o)
{
    return o->state;
}

const char *
vl_ownership_state_name(VlOwnershipState state)
{
    static const char *const names[] = {"unowned", "owned", "damaged"};

    return names[state];
}

const VlOwner *
vl_ownership_owner(const VlOwnership *o)
{
    return o->owner;
}

const char *
vl_ownership_damage(const VlOwnership *o)
{
    return o->damage;
}

const char *
vl_ownership_password_hash(const VlOwnership *o)
{
    return o->hash;
}

const char *
vl_ownership_path(const VlOwnership *o)
{
    return o->path;
}

VlThrottle *
vl_ownership_throttle(VlOwnership *o)
{
    return o->throttle;
}

VlPasswordQueue *
vl_ownership_hashing(VlOwnership *o)
{
    return o->hashing;
}

/* Changes ------------------------------------------------------------------------------------ */

/* The state is read again and must be trustworthy before anything is written over it. */
static gboolean
prepare(VlOwnership *o, gboolean need_owner, GError **error)
{
    vl_ownership_refresh(o);
    if (o->state == VL_OWNERSHIP_DAMAGED) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s", o->damage);
        return FALSE;
    }
    if (need_owner && o->state != VL_OWNERSHIP_OWNED) {
        g_set_error_literal(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "this bridge has no owner");
        return FALSE;
    }
    return TRUE;
}

/* Writes member name of the state as value (NULL: removes it), then takes the result. */
static gboolean
write_member(VlOwnership *o, const char *name, const VlJson *value, GError **error)
{
    g_autoptr(VlJson) data = vl_state_file_with_member(o->data, name, value);
    g_autoptr(GError) local_error = NULL;

    if (!vl_state_file_write(o->path, data, &local_error)) {
        if (!g_error_matches(local_error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_UNFLUSHED)) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        /* The new state is in place: it is the truth now, whatever a crash may undo. */
        g_warning("ownership: %s", local_error->message);
    }
    remember_file(o);
    apply(o, g_steal_pointer(&data));
    return TRUE;
}

static void
add_string(VlJsonBuilder *b, const char *name, const char *value)
{
    vl_json_builder_member(b, name);
    vl_json_builder_add_string(b, value ? value : "");
}

gboolean
vl_ownership_take(VlOwnership *o, const VlOwner *owner, GError **error)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) json = NULL;

    if (!prepare(o, FALSE, error)) {
        return FALSE;
    }
    vl_json_builder_begin_object(b);
    add_string(b, "manager_id", owner->manager_id);
    add_string(b, "certificate", owner->certificate);
    add_string(b, "fingerprint", owner->fingerprint);
    add_string(b, "event_url", owner->event_url);
    add_string(b, "stats_url", owner->stats_url);
    vl_json_builder_member(b, "since");
    vl_json_builder_add_int(b, owner->since);
    vl_json_builder_end_object(b);
    json = vl_json_builder_finish(b);
    return write_member(o, OWNER_MEMBER, json, error);
}

static VlOwner *
owner_copy(const VlOwner *owner)
{
    VlOwner *copy = g_new0(VlOwner, 1);

    copy->manager_id = g_strdup(owner->manager_id);
    copy->certificate = g_strdup(owner->certificate);
    copy->fingerprint = g_strdup(owner->fingerprint);
    copy->event_url = g_strdup(owner->event_url);
    copy->stats_url = g_strdup(owner->stats_url);
    copy->since = owner->since;
    return copy;
}

VlOwner *
vl_ownership_release(VlOwnership *o, GError **error)
{
    g_autoptr(VlOwner) previous = NULL;

    if (!prepare(o, TRUE, error)) {
        return NULL;
    }
    previous = owner_copy(o->owner);
    if (!write_member(o, OWNER_MEMBER, NULL, error)) {
        return NULL;
    }
    return g_steal_pointer(&previous);
}

gboolean
vl_ownership_set_pin(VlOwnership *o, const char *certificate, GError **error)
{
    g_autoptr(X509) cert = NULL;
    g_autofree char *fingerprint = NULL;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) pin = NULL;
    g_autoptr(VlJson) with_cert = NULL;
    g_autoptr(VlJson) owner = NULL;

    if (!prepare(o, TRUE, error)) {
        return FALSE;
    }
    cert = vl_tls_x509_from_pem(certificate);
    if (cert == NULL) {
        g_set_error_literal(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                            "manager_certificate is not a PEM certificate");
        return FALSE;
    }
    fingerprint = vl_tls_x509_fingerprint(cert);
    vl_json_builder_begin_object(b);
    add_string(b, "certificate", certificate);
    add_string(b, "fingerprint", fingerprint);
    vl_json_builder_end_object(b);
    pin = vl_json_builder_finish(b);
    /* Edit the owner member in place: members a newer vmlinkd added to it stay. */
    with_cert = vl_state_file_with_member(vl_json_object_get(o->data, OWNER_MEMBER), "certificate",
                                          vl_json_object_get(pin, "certificate"));
    owner =
        vl_state_file_with_member(with_cert, "fingerprint", vl_json_object_get(pin, "fingerprint"));
    return write_member(o, OWNER_MEMBER, owner, error);
}

gboolean
vl_ownership_set_password_hash(VlOwnership *o, const char *hash, GError **error)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) json = NULL;

    if (!prepare(o, FALSE, error)) {
        return FALSE;
    }
    if (!vl_password_hash_is_valid(hash, error)) {
        return FALSE;
    }
    vl_json_builder_begin_object(b);
    add_string(b, PASSWORD_MEMBER, hash);
    vl_json_builder_end_object(b);
    json = vl_json_builder_finish(b);
    return write_member(o, PASSWORD_MEMBER, vl_json_object_get(json, PASSWORD_MEMBER), error);
}

X509 *
vl_ownership_pinned_cert(const VlOwnership *o)
{
    return o->pinned;
}

/* Verified owner certificates ---------------------------------------------------------------- */

#define MAX_VERIFIED 64

gboolean
vl_ownership_verified(VlOwnership *o, X509 *cert)
{
    /* A reference is held: the pointer cannot belong to another certificate meanwhile. */
    const gint64 *not_after = g_hash_table_lookup(o->verified, cert);

    return not_after && *not_after > g_get_real_time() / G_USEC_PER_SEC;
}

void
vl_ownership_remember_verified(VlOwnership *o, X509 *cert)
{
    gint64 *not_after = g_new(gint64, 1);

    if (g_hash_table_size(o->verified) >= MAX_VERIFIED) {
        g_hash_table_remove_all(o->verified);
    }
    *not_after = vl_tls_x509_not_after(cert);
    X509_up_ref(cert);
    g_hash_table_replace(o->verified, cert, not_after);
}
