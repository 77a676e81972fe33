/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux side of vl-sso-greeter.h: the bus name through GDBus's name owning, the token as a
 * broadcast signal. */
#include "vl-sso-greeter.h"

#include <string.h>

#include "vl-sso.h"

#ifndef VL_SSO_GREETER_POLICY_FILE
#error "meson defines VL_SSO_GREETER_POLICY_FILE, the installed path of org.vmlink.Agent.conf"
#endif

#define BASE64URL_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

struct _VlSsoGreeter {
    GDBusConnection *bus; /* NULL: no system bus */
    GMainContext *context;
    guint owner_id;
    gboolean decided; /* the bus has answered, or there is no bus to ask */
    gboolean available;
};

G_DEFINE_QUARK(vl - sso - greeter - error - quark, vl_sso_greeter_error)

static void
on_name_acquired(GDBusConnection *bus, const char *name, gpointer user_data)
{
    VlSsoGreeter *g = user_data;

    g->decided = TRUE;
    g->available = TRUE;
    g_debug("single sign-on: owning %s on the system bus for graphical greeters", name);
}

static void
on_name_lost(GDBusConnection *bus, const char *name, gpointer user_data)
{
    VlSsoGreeter *g = user_data;

    /* GDBus drops the reason RequestName failed, so the message names both causes an admin can
     * act on. */
    if (!g->decided) {
        g_message("single sign-on: cannot own %s on the system bus (another process owns it, or "
                  "the bus policy %s is not installed): graphical greeters will not be told of "
                  "sign-on tokens",
                  name, VL_SSO_GREETER_POLICY_FILE);
    } else if (g->available) {
        /* Nobody can take the name from us (no replacement allowed): the bus has gone. */
        g_message("single sign-on: lost %s on the system bus: graphical greeters are no longer "
                  "told of sign-on tokens",
                  name);
    }
    g->decided = TRUE;
    g->available = FALSE;
}

VlSsoGreeter *
vl_sso_greeter_new(GDBusConnection *bus)
{
    VlSsoGreeter *g = g_new0(VlSsoGreeter, 1);

    g->context = g_main_context_ref_thread_default();
    if (bus == NULL) {
        g_message("single sign-on: no system bus: graphical greeters will not be told of sign-on "
                  "tokens");
        g->decided = TRUE;
        return g;
    }
    g->bus = g_object_ref(bus);
    /* Not queued: a second agent waiting in line would take over the name silently when the
     * first one exits, and a greeter could not tell the two apart. */
    g->owner_id = g_bus_own_name_on_connection(bus, VL_SSO_GREETER_BUS_NAME,
                                               G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                               on_name_acquired, on_name_lost, g, NULL);
    return g;
}

void
vl_sso_greeter_free(VlSsoGreeter *g)
{
    if (g == NULL) {
        return;
    }
    /* Cancels callbacks still due (they would see a freed G) and releases the name if ours. */
    if (g->owner_id) {
        g_bus_unown_name(g->owner_id);
    }
    g_clear_object(&g->bus);
    g_main_context_unref(g->context);
    g_free(g);
}

gboolean
vl_sso_greeter_available(const VlSsoGreeter *g)
{
    return g->available;
}

static gboolean
on_wait_expired(gpointer user_data)
{
    gboolean *expired = user_data;

    *expired = TRUE;
    return G_SOURCE_REMOVE;
}

gboolean
vl_sso_greeter_wait(VlSsoGreeter *g, guint timeout_ms)
{
    g_autoptr(GSource) timer = g_timeout_source_new(timeout_ms);
    gboolean expired = FALSE;

    g_source_set_callback(timer, on_wait_expired, &expired, NULL);
    g_source_attach(timer, g->context);
    while (!g->decided && !expired) {
        g_main_context_iteration(g->context, TRUE);
    }
    g_source_destroy(timer);
    return g->decided;
}

gboolean
vl_sso_greeter_announce(VlSsoGreeter *g, const char *token, GError **error)
{
    /* Checked before anything else so that a malformed token (it could be anything, even
     * invalid UTF-8, which GVariant refuses with a critical) never reaches the bus. */
    if (token == NULL || strlen(token) != VL_SSO_TOKEN_LEN ||
        strspn(token, BASE64URL_ALPHABET) != VL_SSO_TOKEN_LEN) {
        g_set_error(error, VL_SSO_GREETER_ERROR, VL_SSO_GREETER_ERROR_INVALID,
                    "not a single sign-on token: expected %d base64url characters",
                    VL_SSO_TOKEN_LEN);
        return FALSE;
    }
    if (!g->available) {
        g_set_error(error, VL_SSO_GREETER_ERROR, VL_SSO_GREETER_ERROR_NOT_OWNER,
                    "%s is not ours on the system bus: the token is not announced to greeters",
                    VL_SSO_GREETER_BUS_NAME);
        return FALSE;
    }
    /* The token goes into a GVariant (and GDBus serialises it into a message blob): copies in
     * memory we cannot wipe. Acceptable for this token only, which works once, expires within
     * VL_SSO_TOKEN_TTL_S and is redeemable by root alone; the password never takes this way. */
    return g_dbus_connection_emit_signal(g->bus, NULL, VL_SSO_GREETER_OBJECT_PATH,
                                         VL_SSO_GREETER_INTERFACE, VL_SSO_GREETER_SIGNAL,
                                         g_variant_new("(s)", token), error);
}
