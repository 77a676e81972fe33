/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl: the control plane for people and scripts. This file reads the command line,
 * connects (over TLS: as this manager, checking the bridge's pin), runs the command and turns a
 * failure into one line on stderr and an exit code.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "vl-client.h"
#include "vl-ctl-format.h"
#include "vl-ctl.h"
#include "vl-manager.h"
#include "vl-protocol.h"
#include "vl-tls-context.h"

static const char *
rpc_code_name(int code)
{
    for (const VlRpcCodeInfo *c = vl_rpc_codes; c->name; c++) {
        if ((int)c->code == code) {
            return c->name;
        }
    }
    return NULL;
}

/* What the person can do next, for the errors where there is something to say. */
static const char *
hint_for(const GError *error)
{
    if (error->domain != VL_CLIENT_ERROR) {
        return NULL;
    }
    switch ((VlClientError)error->code) {
    case VL_CLIENT_ERROR_NO_SERVER:
        return "is vmlinkd running? systemctl status vmlinkd";
    case VL_CLIENT_ERROR_PERMISSION:
        return "vmlinkd's socket is not open to this user: try with sudo";
    case VL_CLIENT_ERROR_ADDRESS:
        return "the address comes from --connect, else $VMLINK_CONNECT";
    case VL_CLIENT_ERROR_CLOSED:
        return "vmlinkd's log may say why: journalctl -u vmlinkd";
    case VL_CLIENT_ERROR_PROTOCOL:
        return "are vmlinkctl and vmlinkd the same version? vmlinkctl --version";
    case VL_CLIENT_ERROR_TLS:
        return "vmlinkd listens for TLS on port 8899 unless its --listen says otherwise";
    default:
        return NULL;
    }
}

static int
exit_code_for(const GError *error)
{
    if (error->domain == VL_CTL_ERROR) {
        switch ((VlCtlError)error->code) {
        case VL_CTL_ERROR_USAGE:
        case VL_CTL_ERROR_INPUT:
            return VL_CTL_EXIT_USAGE;
        default:
            return VL_CTL_EXIT_FAILED;
        }
    }
    if (error->domain == VL_CLIENT_ERROR) {
        switch ((VlClientError)error->code) {
        case VL_CLIENT_ERROR_ADDRESS:
            return VL_CTL_EXIT_USAGE;
        case VL_CLIENT_ERROR_PROTOCOL:
            return VL_CTL_EXIT_FAILED;
        default:
            return VL_CTL_EXIT_CONNECT;
        }
    }
    return VL_CTL_EXIT_FAILED; /* VL_CALL_ERROR: the server's answer, or no answer in time */
}

/* One line on stderr; the message may quote a guest, so it is made safe for the terminal. */
static int
fail(const GError *error, const VlCtlArgs *args)
{
    g_autofree char *message = vl_ctl_format_clean(error->message);
    const char *hint = hint_for(error);

    if (error->domain == VL_CALL_ERROR) {
        /* The server's words, after the command they answer and before the code's name. */
        g_autofree char *words = vl_ctl_command_words(args->command);
        const char *name = rpc_code_name(error->code);

        if (name) {
            fprintf(stderr, "vmlinkctl: %s: %s (%s)\n", words, message, name);
        } else {
            fprintf(stderr, "vmlinkctl: %s: %s (error %d)\n", words, message, error->code);
        }
    } else if (hint) {
        fprintf(stderr, "vmlinkctl: %s (%s)\n", message, hint);
    } else {
        fprintf(stderr, "vmlinkctl: %s\n", message);
    }
    return exit_code_for(error);
}

/* The connection over TLS: what this manager knows -------------------------------------------- */

typedef struct {
    VlManager *manager;
    char *host;
    guint16 port;
    VlClient *client;
    gboolean pinned;
} TlsConnection;

static void
tls_connection_clear(TlsConnection *c)
{
    vl_client_free(c->client);
    vl_manager_free(c->manager);
    g_free(c->host);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TlsConnection, tls_connection_clear)

/* "tls://HOST" with the port when it is not the default: what to type to reach it again. */
static char *
tls_address(const char *host, guint16 port)
{
    gboolean v6 = strchr(host, ':') != NULL;

    if (port == VL_CONTROL_PORT) {
        return g_strdup_printf(v6 ? "tls://[%s]" : "tls://%s", host);
    }
    return g_strdup_printf(v6 ? "tls://[%s]:%u" : "tls://%s:%u", host, port);
}

static gboolean
open_manager(TlsConnection *c, GError **error)
{
    VlTlsIdentity *id;

    c->manager = vl_manager_open(NULL, error);
    if (c->manager == NULL) {
        g_prefix_error(error, "this manager's folder: ");
        return FALSE;
    }
    id = vl_manager_identity(c->manager);
    if (vl_tls_identity_created(id)) {
        /* Once, when it is made: bridges will know this manager by it. */
        fprintf(stderr,
                "vmlinkctl: made this manager's identity in %s: id %s, certificate SHA-256 %s\n",
                vl_manager_dir(c->manager), vl_manager_id(c->manager),
                vl_tls_identity_fingerprint(id));
    }
    return TRUE;
}

/*
 * Connects as this manager: with its certificate, and with the bridge's pin when it has one.
 * Without a pin only the commands marked for it may go on (host info, take-ownership).
 */
static gboolean
connect_tls(TlsConnection *c, const VlCtlArgs *args, const char *address, GError **error)
{
    g_autofree char *pin = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GError) local_error = NULL;
    VlClientOptions options = {0};

    if (!open_manager(c, error)) {
        return FALSE;
    }
    pin = vl_manager_pinned(c->manager, c->host, c->port);
    path = vl_manager_pin_path(c->manager, c->host, c->port);
    if (pin == NULL && !args->command->unpinned_ok) {
        g_autofree char *again = tls_address(c->host, c->port);

        g_autofree char *where = strchr(c->host, ':') ? g_strdup_printf("[%s]:%u", c->host, c->port)
                                                      : g_strdup_printf("%s:%u", c->host, c->port);

        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY,
                    "%s is not known to this manager: take ownership first (vmlinkctl --connect "
                    "%s host take-ownership)",
                    where, again);
        return FALSE;
    }
    options.identity = vl_manager_identity(c->manager);
    options.pinned_pem = pin;
    options.timeout_ms = vl_ctl_args_timeout_ms(args);
    c->client = vl_client_connect_full(address, &options, &local_error);
    if (c->client == NULL) {
        if (pin && g_error_matches(local_error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY)) {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY, "%s (the pin: %s)",
                        local_error->message, path);
        } else {
            g_propagate_error(error, g_steal_pointer(&local_error));
        }
        return FALSE;
    }
    c->pinned = pin != NULL;
    if (vl_client_pin_renewed(c->client)) {
        /* Same key, new dates: the bridge renewed in place. Pin the new one so that the old can
         * expire; failing to is worth a warning, not the command. */
        g_autofree char *pem = vl_tls_x509_pem(vl_client_peer_cert(c->client));

        if (pem && vl_manager_pin(c->manager, c->host, c->port, pem, &local_error)) {
            g_debug("%s renewed its certificate (same key): pinned %s in %s", address,
                    vl_client_peer_fingerprint(c->client), path);
        } else {
            fprintf(stderr, "vmlinkctl: warning: cannot pin the renewed certificate of %s: %s\n",
                    address, local_error ? local_error->message : "cannot encode it");
        }
    }
    return TRUE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlCtlArgs) args = NULL;
    g_autoptr(VlJson) params = NULL;
    g_autoptr(VlClient) client = NULL;
    g_auto(TlsConnection) tls = {0};
    VlCtlSession session = {.out = stdout};
    const char *address;

    setlocale(LC_ALL, "");
    args = vl_ctl_args_parse(argc, argv, &error);
    if (args == NULL) {
        return fail(error, args);
    }
    if (args->version) {
        printf("vmlinkctl %s (control protocol %d)\n", VL_VERSION, VL_CONTROL_PROTOCOL_VERSION);
        return VL_CTL_EXIT_OK;
    }
    if (args->help) {
        g_autoptr(GString) help = g_string_new(NULL);

        vl_ctl_help(args, help);
        fputs(help->str, stdout);
        return VL_CTL_EXIT_OK;
    }
    if (args->command == NULL) {
        fprintf(stderr, "vmlinkctl: no command given (see vmlinkctl --help)\n");
        return VL_CTL_EXIT_USAGE;
    }

    if (args->command->local) {
        return args->command->local(args, stdout, &error) ? VL_CTL_EXIT_OK : fail(error, args);
    }

    /* Everything typed is checked before connecting: a usage error is never hidden behind a
     * connection error. */
    params = vl_ctl_command_params(args, &error);
    if (params == NULL) {
        return fail(error, args);
    }
    address = vl_ctl_args_address(args);
    if (vl_client_address_tls(address, &tls.host, &tls.port, &error)) {
        if (!connect_tls(&tls, args, address, &error)) {
            return fail(error, args);
        }
        session.client = tls.client;
        session.manager = tls.manager;
        session.host = tls.host;
        session.port = tls.port;
        session.pinned = tls.pinned;
    } else if (error) {
        return fail(error, args);
    } else {
        client = vl_client_connect(address, &error);
        if (client == NULL) {
            return fail(error, args);
        }
        session.client = client;
    }
    if (!vl_ctl_run(&session, args, params, &error)) {
        return fail(error, args);
    }
    return VL_CTL_EXIT_OK;
}
