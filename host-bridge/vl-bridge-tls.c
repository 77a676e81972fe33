/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-bridge-tls.h"

#include <stddef.h>

#include "vl-bridge-state.h"
#include "vl-dispatch.h"
#include "vl-openssl.h"
#include "vl-rpc-server.h"
#include "vl-tls-context.h"

#define RENEW_CHECK_S (24 * 60 * 60)

/*
 * VlBridge has no field for the daily timer: it is found again by its user data, the address of
 * bridge->tls_server, which no other source uses (bridge itself may be others' user data).
 */
static gpointer
timer_key(VlBridge *bridge)
{
    return &bridge->tls_server;
}

static VlBridge *
timer_bridge(gpointer key)
{
    return (VlBridge *)((char *)key - offsetof(VlBridge, tls_server));
}

/* The identity has a new certificate (renewed or rotated): new connections handshake with it,
 * and the owner hears of it. */
static gboolean
use_new_certificate(VlBridge *bridge, const char *what, GError **error)
{
    const VlTlsIdentity *id = bridge->identity;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) data = NULL;

    if (bridge->tls_server) {
        g_autoptr(SSL_CTX) ctx = vl_tls_context_new_server(id, error);

        if (ctx == NULL) {
            return FALSE;
        }
        vl_rpc_server_set_tls_context(bridge->tls_server, ctx);
    }
    g_message("TLS certificate %s: fingerprint %s", what, vl_tls_identity_fingerprint(id));

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "certificate");
    vl_json_builder_add_string(b, vl_tls_identity_cert_pem(id));
    vl_json_builder_member(b, "fingerprint");
    vl_json_builder_add_string(b, vl_tls_identity_fingerprint(id));
    vl_json_builder_member(b, "not_after");
    vl_json_builder_add_int(b, vl_tls_identity_not_after(id));
    vl_json_builder_end_object(b);
    data = vl_json_builder_finish(b);
    vl_events_emit(bridge->events, "host.certificate", NULL, NULL, data);
    return TRUE;
}

static gboolean
on_renew_check(gpointer user_data)
{
    VlBridge *bridge = timer_bridge(user_data);
    g_autoptr(GError) error = NULL;
    gboolean renewed = FALSE;

    if (!vl_tls_identity_renew_if_needed(bridge->identity, VL_BRIDGE_CERT_RENEW_DAYS,
                                         VL_BRIDGE_CERT_VALIDITY_DAYS, &renewed, &error) ||
        (renewed && !use_new_certificate(bridge, "renewed", &error))) {
        /* Tried again tomorrow; the certificate is still valid for weeks. */
        g_warning("TLS certificate: cannot renew it: %s", error->message);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
listen_start(VlBridge *bridge, GError **error)
{
    const VlBridgeConfig *config = bridge->config;
    g_autofree char *address = NULL;
    g_autoptr(SSL_CTX) ctx = NULL;
    g_autoptr(GError) local = NULL;
    VlRpcLimits limits = {
        .max_request = config->max_request,
        .max_output = config->max_output,
        .max_inflight = (guint)config->max_inflight,
        .max_connections = (guint)config->max_connections,
        .handshake_timeout_s = (guint)config->handshake_timeout_s,
    };
    guint16 port;

    if (!vl_bridge_listen_parse(config->listen, &address, &port, &local)) {
        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        g_message("control plane: no TLS listener (listen = none)");
        return TRUE;
    }
    ctx = vl_tls_context_new_server(bridge->identity, error);
    if (ctx == NULL) {
        return FALSE;
    }
    bridge->tls_server =
        vl_rpc_server_new_tls(address, port, ctx, &limits, vl_dispatch, bridge, error);
    if (bridge->tls_server == NULL) {
        g_prefix_error(error, "control plane (listen = %s): ", config->listen);
        return FALSE;
    }
    g_message("control plane: TLS on %s, fingerprint %s", vl_rpc_server_address(bridge->tls_server),
              vl_tls_identity_fingerprint(bridge->identity));
    return TRUE;
}

gboolean
vl_bridge_tls_start(VlBridge *bridge, GError **error)
{
    g_return_val_if_fail(bridge->identity != NULL, FALSE);

    if (!listen_start(bridge, error)) {
        return FALSE;
    }
    /* Also without a listener: pushes to the owner present the same certificate. */
    g_timeout_add_seconds(RENEW_CHECK_S, on_renew_check, timer_key(bridge));
    return TRUE;
}

void
vl_bridge_tls_stop(VlBridge *bridge)
{
    GSource *timer =
        g_main_context_find_source_by_funcs_user_data(NULL, &g_timeout_funcs, timer_key(bridge));

    if (timer) {
        g_source_destroy(timer);
    }
    g_clear_pointer(&bridge->tls_server, vl_rpc_server_free);
}

gboolean
vl_bridge_tls_rotate(VlBridge *bridge, GError **error)
{
    g_return_val_if_fail(bridge->identity != NULL, FALSE);

    if (!vl_tls_identity_rotate(bridge->identity, VL_BRIDGE_CERT_VALIDITY_DAYS, error)) {
        return FALSE;
    }
    return use_new_certificate(bridge, "rotated (new key)", error);
}
