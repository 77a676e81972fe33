/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd: the host bridge. One per KVM host, one event loop: libvirt's events, every VM's
 * guest channel and the control plane's connections all on it.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/resource.h>
#include <syslog.h>

#include <glib-unix.h>

#include "vl-bridge-state.h"
#include "vl-bridge-tls.h"
#include "vl-bridge.h"
#include "vl-dispatch.h"
#include "vl-domains.h"
#include "vl-ownership.h"
#include "vl-push.h"
#include "vl-rpc-server.h"

typedef struct {
    char *config_path;
    char *libvirt_uri;
    char *local_socket;
    char *state_dir;
    char *listen;
    gboolean foreground;
    gboolean check_config;
    gboolean fingerprint;
    gboolean set_password;
    gboolean version;
} Options;

static void
options_clear(Options *o)
{
    g_clear_pointer(&o->config_path, g_free);
    g_clear_pointer(&o->libvirt_uri, g_free);
    g_clear_pointer(&o->local_socket, g_free);
    g_clear_pointer(&o->state_dir, g_free);
    g_clear_pointer(&o->listen, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

static gboolean
quit(gpointer user_data)
{
    g_message("stopping");
    g_main_loop_quit(user_data);
    return G_SOURCE_REMOVE;
}

static gboolean
parse_options(int *argc, char ***argv, Options *o, GError **error)
{
    const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path,
         "Configuration file (default " VL_BRIDGE_CONFIG_FILE ")", "FILE"},
        {"libvirt-uri", 0, 0, G_OPTION_ARG_STRING, &o->libvirt_uri,
         "libvirt connection (default qemu:///system)", "URI"},
        {"local-socket", 0, 0, G_OPTION_ARG_FILENAME, &o->local_socket,
         "Root-only control socket (default " VL_BRIDGE_DEFAULT_SOCKET ")", "PATH"},
        {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->state_dir,
         "Folder for vmlinkd's state (default " VL_BRIDGE_DEFAULT_STATE_DIR ")", "DIR"},
        {"listen", 0, 0, G_OPTION_ARG_STRING, &o->listen,
         "TLS control plane: ADDRESS:PORT, [IPV6]:PORT, :PORT or none "
         "(default " VL_BRIDGE_DEFAULT_LISTEN ")",
         "ADDR:PORT"},
        {"foreground", 'f', 0, G_OPTION_ARG_NONE, &o->foreground,
         "Stay in the foreground (systemd runs it so); otherwise detach", NULL},
        {"fingerprint", 0, 0, G_OPTION_ARG_NONE, &o->fingerprint,
         "Print the SHA-256 fingerprint of vmlinkd's TLS certificate (made if there is none yet) "
         "and exit",
         NULL},
        {"set-password", 0, 0, G_OPTION_ARG_NONE, &o->set_password,
         "Read the agent password from standard input (no echo on a terminal), store its salted "
         "hash in the state folder and exit",
         NULL},
        {"check-config", 0, 0, G_OPTION_ARG_NONE, &o->check_config,
         "Load the configuration (file and options), say what is wrong, and exit", NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- the vmlink host bridge");

    g_option_context_set_summary(
        context, "Attaches to the vmlink agent channel of every VM libvirt runs on this host,\n"
                 "keeps what each guest reports, and serves the manager's control plane.");
    g_option_context_set_description(
        context, "Logs go to standard error (the journal under systemd). Control it with\n"
                 "vmlinkctl(1); see vmlinkd(8).");
    g_option_context_add_main_entries(context, entries, NULL);
    return g_option_context_parse(context, argc, argv, error);
}

static gboolean
load_config(const Options *o, VlBridgeConfig *config, GError **error)
{
    const char *path = o->config_path ? o->config_path : VL_BRIDGE_CONFIG_FILE;

    /* The default file is optional; one named on the command line is not. */
    if (o->config_path || g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (!vl_bridge_config_load(config, path, error)) {
            return FALSE;
        }
    }
    if (o->libvirt_uri) {
        g_free(config->libvirt_uri);
        config->libvirt_uri = g_strdup(o->libvirt_uri);
    }
    if (o->local_socket) {
        g_free(config->local_socket);
        config->local_socket = g_strdup(o->local_socket);
    }
    if (o->state_dir) {
        g_free(config->state_dir);
        config->state_dir = g_strdup(o->state_dir);
    }
    if (o->listen) {
        g_autofree char *address = NULL;
        g_autoptr(GError) local_error = NULL;
        guint16 port;

        if (!vl_bridge_listen_parse(o->listen, &address, &port, &local_error) && local_error) {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "--listen: %s", local_error->message);
            return FALSE;
        }
        g_free(config->listen);
        config->listen = g_strdup(o->listen);
    }
    return TRUE;
}

/* Detached, standard error is /dev/null: logs go to the journal when there is one, else to
 * syslog (GLib 2.74 has a journald writer but no syslog one). */
static GLogWriterOutput
detached_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    const char *message = NULL;
    int priority;

    if (g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED) {
        return G_LOG_WRITER_HANDLED;
    }
    if (g_log_writer_default_would_drop(level, G_LOG_DOMAIN)) {
        return G_LOG_WRITER_HANDLED; /* debug, unless G_MESSAGES_DEBUG asks for it */
    }
    priority = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) ? LOG_ERR
               : (level & G_LOG_LEVEL_WARNING)                      ? LOG_WARNING
               : (level & G_LOG_LEVEL_DEBUG)                        ? LOG_DEBUG
                                                                    : LOG_INFO;
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE")) {
            message = fields[i].value;
        }
    }
    syslog(priority, "%s", message ? message : "");
    return G_LOG_WRITER_HANDLED;
}

/* One socket per VM: raise the soft limit on open files to the hard one (systemd's unit sets
 * both), so a host with more than a thousand VMs does not run out at the default of 1024. */
static void
raise_fd_limit(void)
{
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) < 0) {
            g_warning("cannot raise the open files limit: %s", g_strerror(errno));
        }
    }
}

int
main(int argc, char **argv)
{
    g_auto(Options) o = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlBridgeConfig) config = vl_bridge_config_new();
    g_autoptr(GMainLoop) loop = NULL;
    g_autoptr(VlTlsIdentity) identity = NULL;
    VlBridge *bridge;
    VlRpcServer *server;
    VlRpcLimits limits;
    guint ownership_watch;

    setlocale(LC_ALL, "");
    if (!parse_options(&argc, &argv, &o, &error)) {
        fprintf(stderr, "vmlinkd: %s (see vmlinkd --help)\n", error->message);
        return 2;
    }
    if (o.version) {
        printf("vmlinkd %s\n", VL_VERSION);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "vmlinkd: unexpected argument \"%s\" (see vmlinkd --help)\n", argv[1]);
        return 2;
    }
    if (!load_config(&o, config, &error)) {
        fprintf(stderr, "vmlinkd: %s\n", error->message);
        return 2;
    }
    /* Before anything is created or connected: an administrator (or a package script) checks an
     * edited file without touching the running bridge. */
    if (o.check_config) {
        printf("configuration OK\n");
        return 0;
    }
    if (g_mkdir_with_parents(config->state_dir, 0700) < 0) {
        fprintf(stderr, "vmlinkd: cannot create the state folder %s: %s\n", config->state_dir,
                g_strerror(errno));
        return 1;
    }
    if (o.set_password) {
        if (isatty(STDIN_FILENO)) {
            fprintf(stderr, "Agent password: ");
        }
        if (!vl_bridge_set_password(config->state_dir, STDIN_FILENO, &error)) {
            fprintf(stderr, "vmlinkd: the password was not changed: %s\n", error->message);
            return 1;
        }
        printf("password stored (salted scrypt hash) in %s\n", config->state_dir);
        return 0;
    }
    identity = vl_bridge_identity_open(config->state_dir, &error);
    if (identity == NULL) {
        fprintf(stderr, "vmlinkd: %s\n", error->message);
        return 1;
    }
    if (o.fingerprint) {
        printf("%s\n", vl_tls_identity_fingerprint(identity));
        return 0;
    }
    raise_fd_limit();
    vl_domains_init();
    bridge = vl_bridge_new(config, &error);
    if (bridge == NULL) {
        fprintf(stderr, "vmlinkd: %s\n", error->message);
        return 1;
    }
    bridge->identity = identity; /* stays main's: freed after the bridge */
    /* A damaged state file was reported by the ownership already. */
    if (vl_ownership_state(bridge->ownership) != VL_OWNERSHIP_DAMAGED &&
        vl_ownership_password_hash(bridge->ownership) == NULL) {
        g_message("no agent password is set: no manager can take ownership until one is "
                  "(vmlinkd --set-password)");
    }
    if (vl_ownership_owner(bridge->ownership)) {
        g_message("ownership: owned by manager %s (certificate %s); audit log %s",
                  vl_ownership_owner(bridge->ownership)->manager_id,
                  vl_ownership_owner(bridge->ownership)->fingerprint, config->audit_log);
    } else if (vl_ownership_state(bridge->ownership) == VL_OWNERSHIP_UNOWNED) {
        g_message("ownership: no owner yet; audit log %s", config->audit_log);
    }
    limits = (VlRpcLimits){
        .max_request = config->max_request,
        .max_output = config->max_output,
        .max_inflight = (guint)config->max_inflight,
    };
    server = vl_rpc_server_new_unix(config->local_socket, &limits, vl_dispatch, bridge, &error);
    if (server == NULL) {
        fprintf(stderr, "vmlinkd: %s\n", error->message);
        vl_bridge_free(bridge);
        return 1;
    }
    if (!vl_bridge_tls_start(bridge, &error)) {
        fprintf(stderr, "vmlinkd: %s\n", error->message);
        vl_rpc_server_free(server);
        vl_bridge_free(bridge);
        return 1;
    }
    /* Detach only once the socket listens: whoever started us can use it when we return. */
    if (!o.foreground) {
        if (daemon(0, 0) < 0) {
            fprintf(stderr, "vmlinkd: cannot detach: %s\n", g_strerror(errno));
            return 1;
        }
        openlog("vmlinkd", LOG_PID, LOG_DAEMON);
        g_log_set_writer_func(detached_writer, NULL, NULL);
    }
    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, quit, loop);
    g_unix_signal_add(SIGINT, quit, loop);

    /* Events and statistics to the owner: its stored URLs now, each change of owner later. */
    bridge->push = vl_push_new(bridge);
    vl_dispatch_poll_ownership(bridge);
    ownership_watch = g_timeout_add_seconds(1, vl_dispatch_poll_ownership, bridge);
    bridge->domains = vl_domains_new(bridge, config->libvirt_uri);
    g_message("vmlinkd %s: control socket %s, libvirt %s", VL_VERSION, config->local_socket,
              config->libvirt_uri);
    vl_domains_start(bridge->domains);
    g_main_loop_run(loop);

    g_source_remove(ownership_watch);
    g_clear_pointer(&bridge->push, vl_push_free);

    vl_bridge_tls_stop(bridge);
    vl_rpc_server_free(server);
    g_hash_table_remove_all(bridge->by_name);
    g_hash_table_remove_all(bridge->vms);
    vl_domains_free(bridge->domains);
    vl_bridge_free(bridge);
    return 0;
}
