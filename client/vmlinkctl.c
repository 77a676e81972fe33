/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl: the control plane for people and scripts. This file reads the command line,
 * connects, runs the command and turns a failure into one line on stderr and an exit code.
 */
#include <locale.h>
#include <stdio.h>

#include "vl-client.h"
#include "vl-ctl-format.h"
#include "vl-ctl.h"
#include "vl-protocol.h"

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
    default:
        return NULL;
    }
}

static int
exit_code_for(const GError *error)
{
    if (error->domain == VL_CTL_ERROR) {
        return error->code == VL_CTL_ERROR_OUTPUT ? VL_CTL_EXIT_FAILED : VL_CTL_EXIT_USAGE;
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

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlCtlArgs) args = NULL;
    g_autoptr(VlJson) params = NULL;
    g_autoptr(VlClient) client = NULL;

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

    /* Everything typed is checked before connecting: a usage error is never hidden behind a
     * connection error. */
    params = vl_ctl_command_params(args, &error);
    if (params == NULL) {
        return fail(error, args);
    }
    client = vl_client_connect(vl_ctl_args_address(args), &error);
    if (client == NULL) {
        return fail(error, args);
    }
    if (!vl_ctl_run(client, args, params, stdout, &error)) {
        return fail(error, args);
    }
    return VL_CTL_EXIT_OK;
}
