/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's end-to-end tests: a real vmlinkd (libvirt's test driver for its VMs, a
 * TLS listener on a free port of 127.0.0.1, its own state folder and audit log) and managers that
 * are real vmlinkctl processes, each with its own configuration folder (XDG_CONFIG_HOME).
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "vl-json.h"

#define CH_PASSWORD "correct horse battery staple"
#define CH_WAIT_MS 30000

typedef struct {
    char *work;   /* the test's folder */
    char *state;  /* vmlinkd's state folder */
    char *config; /* bridge.conf */
    char *audit;  /* the audit log */
    char *local;  /* the root-only local socket */
    char *log;    /* vmlinkd's standard error, this start */
    GSubprocess *process;
    guint starts;
    guint16 port;  /* of the TLS listener: a free one, chosen at init */
    char *address; /* tls://127.0.0.1:PORT */
} ChBridge;

/* A work folder, a node file with n_vms defined VMs (vm0...), bridge.conf with extra_config
 * appended (may be NULL), and the agent password set to CH_PASSWORD. */
void ch_bridge_init(ChBridge *b, guint n_vms, const char *extra_config);
/* Starts vmlinkd and waits until it logs that its TLS listener listens. */
void ch_bridge_start(ChBridge *b);
/* SIGTERM; vmlinkd must exit 0 (in a sanitizer build: no leak, no error). */
void ch_bridge_stop(ChBridge *b);
/* Stops it if running and removes the work folder. */
void ch_bridge_clear(ChBridge *b);
/* `vmlinkd --fingerprint` for its state folder. */
char *ch_bridge_fingerprint(ChBridge *b);
/* The text of the audit log ("" when none yet). */
char *ch_bridge_audit(ChBridge *b);
/* The text of vmlinkd's log of this start. */
char *ch_bridge_log(ChBridge *b);

/*
 * Runs vmlinkctl as the manager whose configuration folder is home (a folder under the work
 * folder, made when missing), with input on its standard input (NULL: none), and the arguments
 * (NULL-terminated). Returns the exit status; *ret_out and *ret_err (may be NULL) get its output.
 */
int ch_ctl(ChBridge *b, const char *home, const char *input, char **ret_out, char **ret_err,
           ...) G_GNUC_NULL_TERMINATED;
/* The same against the bridge's TLS address: "--connect", b->address come first. */
int ch_ctl_tls(ChBridge *b, const char *home, const char *input, char **ret_out, char **ret_err,
               ...) G_GNUC_NULL_TERMINATED;
/* The manager home asks for ownership of the bridge whose fingerprint it is given, input (the
 * password's line) on vmlinkctl's standard input; returns the exit status, as ch_ctl_tls(). */
int ch_try_take_ownership(ChBridge *b, const char *home, const char *input, const char *fingerprint,
                          char **ret_out, char **ret_err);
/* The manager home takes ownership with the password (checks success). */
void ch_take_ownership(ChBridge *b, const char *home);

/* Runs a program (argv NULL-terminated) with input; returns its exit status and output. */
int ch_run(const char *const *argv, const char *input, char **ret_out, char **ret_err);

/* One JSON-RPC request line over a TLS connection of our own, presenting cert/key (paths; NULL:
 * no client certificate); returns the first line answered, or NULL when the handshake failed or
 * nothing came back. */
char *ch_tls_call(ChBridge *b, const char *cert, const char *key, const char *request);

/* What the control tests check --------------------------------------------------------------- */

#define CH_VM_LIST "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\"}\n"

/* ch_bridge_init then ch_bridge_start. */
void ch_start(ChBridge *b, guint n_vms, const char *extra_config);
/* Stops vmlinkd (it must exit cleanly), checks that neither its log nor the audit log holds a
 * password of the tests, and clears b. */
void ch_finish(ChBridge *b);
/* text as JSON (the test fails if it is not). */
VlJson *ch_parse(const char *text);
/* A string member of `vmlinkctl --json host info` as the manager home sees it. */
char *ch_host_info_member(ChBridge *b, const char *home, const char *member);
/* `vmlinkctl --json vm list` as home: the number of VMs (0 on failure) and the exit status. */
guint ch_vm_count(ChBridge *b, const char *home, int *ret_status);
/* A file of the manager home's identity (cert.pem, key.pem). */
char *ch_identity_file(ChBridge *b, const char *home, const char *name);
/* One request line over TLS as the manager home, presenting its certificate and key. */
char *ch_call_as(ChBridge *b, const char *home, const char *request);
/* `vmlinkctl vm list` as home succeeds / fails. */
void ch_assert_lists_vms(ChBridge *b, const char *home);
void ch_assert_cannot_list_vms(ChBridge *b, const char *home);
/* The error code of a JSON-RPC answer line (the test fails if it is not an error), and its
 * message in *ret_message (may be NULL). */
gint64 ch_error_code(const char *answer, char **ret_message);
