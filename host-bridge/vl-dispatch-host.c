/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's host.* methods: who the bridge is, and its ownership (vl-ownership.h).
 * The access rule has already run (vl-dispatch.c): a call here comes from the local socket
 * (root, the administrator) or, over TLS, from the owner, or is host.take_ownership or host.info.
 *
 * Passwords: each is copied out of the request into a buffer of its own, and the string in the
 * parsed request wiped at once, so the only copy left is the one the hashing queue wipes after
 * use. Password checks run there, one at a time for the whole bridge, off the loop.
 */
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <string.h>

#include "vl-bridge-tls.h"
#include "vl-dispatch-private.h"
#include "vl-domains.h"
#include "vl-ownership.h"
#include "vl-protocol.h"
#include "vl-push.h"
#include "vl-tls-context.h"

/* host.info ---------------------------------------------------------------------------------- */

/* What only the owner and root see: libvirt and the VMs. */
static void
add_host_state(VlBridge *bridge, VlJsonBuilder *b)
{
    /* No libvirt tracking in unit tests. */
    virConnectPtr conn = bridge->domains ? vl_domains_connection(bridge->domains) : NULL;
    GHashTableIter iter;
    gpointer value;
    gint64 agents = 0;

    g_hash_table_iter_init(&iter, bridge->vms);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        VlVm *vm = value;

        agents += vm->link && vl_guest_link_state(vm->link) != VL_AGENT_ABSENT;
    }
    if (bridge->domains) {
        vl_json_builder_add_member_string(b, "libvirt_uri", vl_domains_uri(bridge->domains));
        vl_json_builder_add_member_bool(b, "libvirt_connected", conn != NULL);
    }
    vl_json_builder_add_member_int(b, "vms", g_hash_table_size(bridge->vms));
    vl_json_builder_add_member_int(b, "agents", agents);
    if (conn) {
        virConnectClose(conn);
    }
}

void
vl_dispatch_host_info(VlBridge *bridge, VlCall *call)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;
    VlOwnership *o = bridge->ownership;
    const VlOwner *owner = vl_ownership_owner(o);
    gboolean trusted = vl_call_is_local(call) || vl_ownership_is_owner(o, vl_call_peer_cert(call));

    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "name", "vmlinkd");
    vl_json_builder_add_member_string(b, "version", VL_VERSION);
    vl_json_builder_member(b, "protocol_versions");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_int(b, VL_CONTROL_PROTOCOL_VERSION);
    vl_json_builder_end_array(b);
    vl_json_builder_add_member_string(b, "hostname", g_get_host_name());
    if (trusted) {
        add_host_state(bridge, b);
    }
    vl_json_builder_add_member_string(b, "fingerprint", vl_bridge_fingerprint(bridge));
    vl_json_builder_add_member_bool(b, "password_set", vl_ownership_password_hash(o) != NULL);
    vl_json_builder_add_member_string(b, "ownership",
                                      vl_ownership_state_name(vl_ownership_state(o)));
    if (owner) {
        vl_json_builder_add_member_string(b, "owner", owner->manager_id);
        vl_json_builder_add_member_int(b, "owned_since", owner->since);
    }
    vl_json_builder_add_member_bool(b, "caller_is_owner", trusted);
    if (trusted && bridge->push) {
        vl_json_builder_member(b, "push");
        vl_json_builder_begin_object(b);
        vl_push_describe(bridge->push, b);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

/* Shared by the ownership methods ------------------------------------------------------------ */

/* The string param name copied into a buffer the caller wipes (vl_password_free), the one in
 * the request wiped in place; NULL when absent. */
static char *
take_secret(VlCall *call, const char *name, gsize *ret_len)
{
    char *value = (char *)vl_dispatch_param(call, name);
    char *copy;
    gsize len;

    *ret_len = 0;
    if (value == NULL) {
        return NULL;
    }
    len = strlen(value);
    copy = g_malloc(len + 1);
    memcpy(copy, value, len + 1);
    OPENSSL_cleanse(value, len);
    *ret_len = len;
    return copy;
}

/* Emits host.ownership {action, owner}. */
static void
emit_ownership(VlBridge *bridge, const char *action, const char *owner)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) data = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "action", action);
    if (owner) {
        vl_json_builder_add_member_string(b, "owner", owner);
    }
    vl_json_builder_end_object(b);
    data = vl_json_builder_finish(b);
    vl_events_emit(bridge->events, "host.ownership", NULL, NULL, data);
}

/* Answers {owner, certificate, fingerprint, not_after} with the bridge's certificate. */
static void
return_bridge_cert(VlBridge *bridge, VlCall *call, const char *owner)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;

    if (bridge->identity == NULL) {
        vl_dispatch_fail(call, VL_RPC_FAILED, "this vmlinkd has no TLS identity");
        return;
    }
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "owner", owner);
    vl_json_builder_add_member_string(b, "certificate", vl_tls_identity_cert_pem(bridge->identity));
    vl_json_builder_add_member_string(b, "fingerprint",
                                      vl_tls_identity_fingerprint(bridge->identity));
    vl_json_builder_add_member_int(b, "not_after", vl_tls_identity_not_after(bridge->identity));
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

/* A password check on the hashing queue, and what to do with its result. */
typedef struct {
    VlBridge *bridge;
    VlCall *call;
    char *address;  /* the source, for the throttle (NULL: the local socket) */
    VlOwner *owner; /* host.take_ownership: the new owner */
} Login;

static void
login_free(Login *login)
{
    g_free(login->address);
    vl_owner_free(login->owner);
    g_free(login);
}

/*
 * Starts a login of the call's source: NULL, the call answered, when no password is set or the
 * source is throttled. The caller then queues the check, or ends the login with login_cancel
 * when the call fails before the password is checked.
 */
static Login *
login_begin(VlBridge *bridge, VlCall *call)
{
    VlOwnership *o = bridge->ownership;
    const char *address = vl_call_peer_address(call);
    g_autoptr(GError) error = NULL;
    guint retry_s = 0;
    Login *login;

    if (vl_ownership_password_hash(o) == NULL) {
        vl_dispatch_fail(call, VL_RPC_DISABLED,
                         "no agent password is set on this host: its administrator sets one with "
                         "`vmlinkd --set-password`");
        return NULL;
    }
    /* Before any hashing: a throttled source, or a burst that would pile up, costs nothing. */
    if (vl_password_queue_is_full(vl_ownership_hashing(o))) {
        vl_dispatch_fail(call, VL_RPC_RATE_LIMITED,
                         "too many password checks waiting: retry in a few seconds");
        return NULL;
    }
    if (!vl_throttle_begin(vl_ownership_throttle(o), address, g_get_monotonic_time(), &retry_s,
                           &error)) {
        vl_call_fail(call, error);
        return NULL;
    }
    login = g_new0(Login, 1);
    login->bridge = bridge;
    login->call = call;
    login->address = g_strdup(address);
    return login;
}

static void
login_cancel(Login *login)
{
    vl_throttle_cancel(vl_ownership_throttle(login->bridge->ownership), login->address);
    login_free(login);
}

/* Queues the login's check (taking both buffers); when the queue is full, the call is answered
 * and the login cancelled. */
static void
login_check(Login *login, char *password, gsize len, char *new_password, gsize new_len,
            VlPasswordChecked done)
{
    VlOwnership *o = login->bridge->ownership;

    if (!vl_password_queue_check(vl_ownership_hashing(o), vl_ownership_password_hash(o), password,
                                 len, new_password, new_len, done, login)) {
        vl_dispatch_fail(login->call, VL_RPC_RATE_LIMITED,
                         "too many password checks waiting: retry in a few seconds");
        login_cancel(login);
    }
}

/* Ends a check: TRUE when the password matched; otherwise the call is answered and login freed. */
static gboolean
login_end(Login *login, const GError *error)
{
    VlThrottle *throttle;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        /* vmlinkd stops: answer (the audit hook records it) and touch nothing else. */
        vl_call_fail(login->call, error);
        login_free(login);
        return FALSE;
    }
    throttle = vl_ownership_throttle(login->bridge->ownership);
    if (error == NULL) {
        vl_throttle_end(throttle, login->address, TRUE, g_get_monotonic_time());
        return TRUE;
    }
    if (g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MISMATCH)) {
        vl_throttle_end(throttle, login->address, FALSE, g_get_monotonic_time());
        vl_dispatch_fail(login->call, VL_RPC_UNAUTHORIZED, "wrong agent password");
    } else {
        vl_throttle_cancel(throttle, login->address);
        vl_dispatch_fail(login->call, VL_RPC_FAILED,
                         "cannot check the agent password: %s (set it again with vmlinkd "
                         "--set-password)",
                         error->message);
    }
    login_free(login);
    return FALSE;
}

/* host.take_ownership ------------------------------------------------------------------------- */

static void
take_checked(const char *new_hash, const GError *check_error, gpointer user_data)
{
    Login *login = user_data;
    VlBridge *bridge = login->bridge;
    VlCall *call = login->call;
    g_autoptr(GError) error = NULL;
    g_autofree char *manager_id = NULL;

    if (!login_end(login, check_error)) {
        return;
    }
    /* The state may have changed while this check waited in the queue (another manager took
     * the bridge, the owner's certificate expired, the file was replaced). */
    vl_ownership_refresh(bridge->ownership);
    vl_dispatch_sync_ownership(bridge);
    if (!vl_ownership_may_take(bridge->ownership, login->owner->manager_id, vl_call_peer_cert(call),
                               &error) ||
        !vl_ownership_take(bridge->ownership, login->owner, &error)) {
        vl_call_fail(call, error);
        login_free(login);
        return;
    }
    manager_id = g_strdup(login->owner->manager_id);
    g_message("ownership: taken by manager %s (certificate %s)", manager_id,
              login->owner->fingerprint);
    login_free(login);
    /* The push goes to the new owner and the previous owner's connections close, before the
     * event: the new owner's push gets it. This connection presents the pin: it stays. */
    vl_dispatch_sync_ownership(bridge);
    if (vl_call_conn(call)) {
        vl_rpc_conn_set_trusted(vl_call_conn(call), TRUE);
    }
    return_bridge_cert(bridge, call, manager_id);
    emit_ownership(bridge, "taken", manager_id);
}

void
vl_dispatch_host_take(VlBridge *bridge, VlCall *call)
{
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    char *password = take_secret(call, "password", &len);
    Login *login;

    vl_dispatch_audit_as(bridge, call, vl_dispatch_param(call, "manager_id"));
    login = login_begin(bridge, call);
    if (login == NULL) {
        vl_password_free(password, len);
        return;
    }
    login->owner = vl_owner_new(vl_dispatch_param(call, "manager_id"),
                                vl_dispatch_param(call, "manager_certificate"),
                                vl_call_peer_cert(call), vl_dispatch_param(call, "event_url"),
                                vl_dispatch_param(call, "stats_url"), &error);
    /* Refused before hashing: a seizure costs no scrypt and counts as no guess. */
    if (login->owner == NULL || !vl_ownership_may_take(bridge->ownership, login->owner->manager_id,
                                                       vl_call_peer_cert(call), &error)) {
        vl_password_free(password, len);
        login_cancel(login);
        vl_call_fail(call, error);
        return;
    }
    login_check(login, password, len, NULL, 0, take_checked);
}

/* host.change_password ------------------------------------------------------------------------ */

static void
password_checked(const char *new_hash, const GError *check_error, gpointer user_data)
{
    Login *login = user_data;
    VlBridge *bridge = login->bridge;
    g_autoptr(GError) error = NULL;
    const VlOwner *owner;

    if (!login_end(login, check_error)) {
        return;
    }
    if (!vl_ownership_set_password_hash(bridge->ownership, new_hash, &error)) {
        vl_call_fail(login->call, error);
        login_free(login);
        return;
    }
    /* The file, read again before the write, may have brought another owner. */
    vl_dispatch_sync_ownership(bridge);
    owner = vl_ownership_owner(bridge->ownership);
    g_message("ownership: the agent password was changed");
    vl_call_return(login->call, NULL);
    login_free(login);
    emit_ownership(bridge, "password_changed", owner ? owner->manager_id : NULL);
}

void
vl_dispatch_host_change_password(VlBridge *bridge, VlCall *call)
{
    gsize len = 0, new_len = 0;
    char *password = take_secret(call, "password", &len);
    char *new_password = take_secret(call, "new_password", &new_len);
    Login *login;

    vl_dispatch_audit(bridge, call);
    login = login_begin(bridge, call);
    if (login == NULL) {
        vl_password_free(password, len);
        vl_password_free(new_password, new_len);
        return;
    }
    login_check(login, password, len, new_password, new_len, password_checked);
}

/* host.release_ownership, host.rotate_certificate -------------------------------------------- */

void
vl_dispatch_host_release(VlBridge *bridge, VlCall *call)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlOwner) previous = NULL;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;

    vl_dispatch_audit(bridge, call);
    previous = vl_ownership_release(bridge->ownership, &error);
    if (previous == NULL) {
        vl_call_fail(call, error);
        return;
    }
    g_message("ownership: released by manager %s (%s)", previous->manager_id,
              vl_call_is_local(call) ? "by root on the host" : "by the manager");
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "released_by", previous->manager_id);
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
    /* The owner's stream gets the news, then every TLS connection closes and the push stops. */
    emit_ownership(bridge, "released", previous->manager_id);
    vl_dispatch_sync_ownership(bridge);
}

void
vl_dispatch_host_rotate(VlBridge *bridge, VlCall *call)
{
    g_autoptr(GError) error = NULL;
    const char *pem = vl_dispatch_param(call, "manager_certificate");
    gboolean rotate_bridge = vl_json_get_bool(vl_json_object_get(vl_call_params(call), "bridge"));
    const VlOwner *owner = vl_ownership_owner(bridge->ownership);
    g_autofree char *manager_id = owner ? g_strdup(owner->manager_id) : NULL;

    vl_dispatch_audit(bridge, call);
    if (manager_id == NULL) {
        vl_dispatch_fail(call, VL_RPC_CONFLICT,
                         "this bridge has no owner: there is no pinned certificate to rotate, and "
                         "the bridge's own is renewed in place");
        return;
    }
    if (pem == NULL && !rotate_bridge) {
        vl_dispatch_fail(call, VL_RPC_INVALID_PARAMS,
                         "nothing to rotate: give manager_certificate, bridge: true, or both");
        return;
    }
    if (pem) {
        if (!vl_tls_cert_pem_check(pem, VL_CERT_MAX_LEN, &error)) {
            vl_dispatch_fail(call, VL_RPC_INVALID_PARAMS, "manager_certificate: %s",
                             error->message);
            return;
        }
        /* Proof of possession: the caller's own key, re-certified (root may pin any). */
        if (!vl_ownership_check_rotation(vl_call_peer_cert(call), pem, &error) ||
            !vl_ownership_set_pin(bridge->ownership, pem, &error)) {
            vl_call_fail(call, error);
            return;
        }
        g_message("ownership: manager %s rotated its certificate to %s", manager_id,
                  vl_ownership_owner(bridge->ownership)->fingerprint);
        /* Connections of the old pin that the new one does not accept go; the push pins it. */
        vl_dispatch_sync_ownership(bridge);
    }
    if (rotate_bridge && !vl_bridge_tls_rotate(bridge, &error)) {
        vl_dispatch_fail(call, VL_RPC_FAILED, "%s%s",
                         pem ? "the manager's new certificate was pinned, but the bridge's was "
                               "not rotated: "
                             : "",
                         error->message);
        /* Only what did rotate is announced. */
        if (pem) {
            emit_ownership(bridge, "certificate_rotated", manager_id);
        }
        return;
    }
    return_bridge_cert(bridge, call, manager_id);
    emit_ownership(bridge, "certificate_rotated", manager_id);
}
