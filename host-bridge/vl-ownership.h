/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who owns the bridge: the manager whose certificate is pinned, with its URLs, as kept in the
 * state file (state.json in the state folder, beside the agent password's hash):
 *
 *     {"password_hash":"$scrypt$...","owner":{"manager_id":"engine1","certificate":"-----BEGIN
 *      CERTIFICATE-----...","fingerprint":"AB:...","event_url":"https://...","stats_url":"",
 *      "since":1763769600}}
 *
 * Three states: unowned, owned, and damaged: the file cannot be trusted (damaged, open to others,
 * not vmlinkd's, or an owner that does not make sense). A damaged state is never half-trusted:
 * nobody owns the bridge and no password is accepted until the administrator repairs the file;
 * the reason names the file and the fix.
 *
 * The file stays the truth: the module reads it again when it changed on disk (`vmlinkd
 * --set-password` while vmlinkd runs, an administrator restoring a backup), looking at most once
 * a second for calls (vl_ownership_poll) and always before a change, and each change is written
 * atomically, keeping the members it does not know, before it takes effect here.
 *
 * Whatever changes who is authorised (the state, the owner, its pin or URLs, from a call or from
 * the file) starts a new generation (vl_ownership_generation): the caller then cuts what was
 * authorised under the old one (connections, event streams, the push target).
 *
 * The module also holds what guards the password: the per-source throttle and the one-at-a-time
 * hashing queue (vl-throttle.h, vl-password.h).
 */
#pragma once

#include <glib.h>
#include <openssl/x509.h>

#include "vl-password.h"
#include "vl-throttle.h"

G_BEGIN_DECLS

typedef struct _VlOwnership VlOwnership;

typedef enum {
    VL_OWNERSHIP_UNOWNED,
    VL_OWNERSHIP_OWNED,
    VL_OWNERSHIP_DAMAGED,
} VlOwnershipState;

typedef struct {
    char *manager_id;
    char *certificate; /* PEM: the pin */
    char *fingerprint; /* of certificate */
    char *event_url;   /* NULL: no push */
    char *stats_url;   /* NULL: no push */
    gint64 since;      /* Unix seconds */
} VlOwner;

void vl_owner_free(VlOwner *owner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlOwner, vl_owner_free)

/* Reads the state of state_dir (a damaged one is logged and reported, not an error); password
 * failures make their source wait up to backoff_max_s. */
VlOwnership *vl_ownership_new(const char *state_dir, guint backoff_max_s);
void vl_ownership_free(VlOwnership *ownership);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlOwnership, vl_ownership_free)

/* Reads the file again if it changed since it was last read or written. */
void vl_ownership_refresh(VlOwnership *ownership);
/* The same, but looking at the file at most once per second (now_us: monotonic): per call. */
void vl_ownership_poll(VlOwnership *ownership, gint64 now_us);
/* Bumped each time the state, the owner, its pin or its URLs change (a write or a re-read). */
guint64 vl_ownership_generation(const VlOwnership *ownership);

VlOwnershipState vl_ownership_state(const VlOwnership *ownership);
const char *vl_ownership_state_name(VlOwnershipState state);     /* as in host.info */
const VlOwner *vl_ownership_owner(const VlOwnership *ownership); /* NULL unless owned */
/* Why the state is damaged and what to do, naming the file; NULL unless damaged. */
const char *vl_ownership_damage(const VlOwnership *ownership);
/* The stored hash; NULL when none is set (or the state is damaged). */
const char *vl_ownership_password_hash(const VlOwnership *ownership);
const char *vl_ownership_path(const VlOwnership *ownership);
/* The owner's pinned certificate, parsed (borrowed); NULL unless owned. */
X509 *vl_ownership_pinned_cert(const VlOwnership *ownership);
VlThrottle *vl_ownership_throttle(VlOwnership *ownership);
VlPasswordQueue *vl_ownership_hashing(VlOwnership *ownership);

/*
 * A new owner from host.take_ownership's params, checked: manager_id of [A-Za-z0-9._@-],
 * certificate valid now and exactly the one the connection presented (presented NULL: refused),
 * URLs empty or https:// with a host. NULL with VL_CALL_ERROR VL_RPC_INVALID_PARAMS.
 */
VlOwner *vl_owner_new(const char *manager_id, const char *certificate, X509 *presented,
                      const char *event_url, const char *stats_url, GError **error);
gboolean vl_ownership_check_manager_id(const char *manager_id, GError **error);
gboolean vl_ownership_check_url(const char *name, const char *url, GError **error);

/*
 * Changes, each written to the file first; on failure (VL_STATE_FILE_ERROR, or VL_CALL_ERROR
 * VL_RPC_CONFLICT when the state is damaged or, for release and set_pin, unowned; for
 * set_password_hash, VL_PASSWORD_ERROR_MALFORMED for a hash that is not one) nothing changed.
 * A write whose only fault is a folder not flushed to disk counts as done (it is logged). take
 * replaces any owner (vl_ownership_may_take decides whether it may); release returns the owner
 * it removed.
 */
gboolean vl_ownership_take(VlOwnership *ownership, const VlOwner *owner, GError **error);
VlOwner *vl_ownership_release(VlOwnership *ownership, GError **error);
gboolean vl_ownership_set_pin(VlOwnership *ownership, const char *certificate, GError **error);
gboolean vl_ownership_set_password_hash(VlOwnership *ownership, const char *hash, GError **error);

/* Whether cert (NULL: none) is the owner's: the pin, or a valid certificate of the pin's key.
 * A certificate object that passed is remembered for this generation (see
 * vl-ownership-private.h), so that the next calls of its connection skip the pin's PEM. */
gboolean vl_ownership_is_owner(VlOwnership *ownership, X509 *cert);

/*
 * Whether a host.take_ownership claiming manager_id, over a connection that presented cert, may
 * replace the owner: always when unowned; when owned, only (a) the owner itself (cert passes
 * vl_ownership_is_owner: changing its URLs) or (b) the owner's manager_id once the pinned
 * certificate has expired (the owner recovering with the password). Otherwise FALSE with
 * VL_CALL_ERROR VL_RPC_OWNED: the owner must release it, or the host's root. A manager that lost
 * its key while its certificate is valid asks the host's root.
 */
gboolean vl_ownership_may_take(VlOwnership *ownership, const char *manager_id, X509 *cert,
                               GError **error);

/*
 * Whether an owner's connection that presented cert may pin new_pem (host.rotate_certificate
 * {manager_certificate}): only a certificate of the same public key (a re-issue: new dates or
 * serial), which proves the caller holds its key. A new key takes release and take-ownership.
 * cert NULL (the local socket: root) may pin any. FALSE with VL_CALL_ERROR
 * VL_RPC_INVALID_PARAMS.
 */
gboolean vl_ownership_check_rotation(X509 *cert, const char *new_pem, GError **error);

/*
 * The access rule for a call of method over TLS whose client presented cert (NULL: none):
 * host.info always; damaged: nothing else; unowned: host.take_ownership too; owned:
 * host.take_ownership (its own checks decide) and everything for the owner. FALSE with a
 * VL_CALL_ERROR to answer: VL_RPC_UNAUTHORIZED (no owner yet, damaged, or the owner's
 * certificate expired: take ownership again) or VL_RPC_OWNED (owned by another manager).
 * *ret_renewed (may be NULL): the owner's certificate matched by key only and outlives the pin;
 * the caller pins it (vl_ownership_set_pin) and audits that. An older certificate of the same
 * key (a connection opened before a renewal) is accepted without becoming the pin again.
 */
gboolean vl_ownership_allows(VlOwnership *ownership, const char *method, X509 *cert,
                             gboolean *ret_renewed, GError **error);

G_END_DECLS
