/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl's parts: the command table (vl-ctl-commands.c) says, for each command, its words,
 * arguments and options, the control plane method it calls, how its params are built and how
 * its result is shown. The command line parser (vl-ctl-args.c), the help (vl-ctl-help.c) and the
 * runner (vl-ctl-run.c) read the table; none of them knows a command by name.
 */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "vl-client.h"
#include "vl-json.h"
#include "vl-manager.h"

G_BEGIN_DECLS

/* The default time to wait for an answer, in seconds (--timeout). */
#define VL_CTL_DEFAULT_TIMEOUT_S 30

/* Mistakes on the command line or in its input files (exit code 2), and output failures. */
#define VL_CTL_ERROR (vl_ctl_error_quark())
GQuark vl_ctl_error_quark(void);

typedef enum {
    VL_CTL_ERROR_USAGE,   /* words, options or arguments */
    VL_CTL_ERROR_INPUT,   /* a file or a JSON argument */
    VL_CTL_ERROR_OUTPUT,  /* the output cannot be written (exit code 1) */
    VL_CTL_ERROR_REFUSED, /* vmlinkctl refused to go on: a fingerprint that does not match, a
                             "no" at a confirmation, an answer it will not pin (exit code 1) */
    VL_CTL_ERROR_MANAGER, /* the manager's folder (~/.config/vmlink) is not usable (exit 1) */
    VL_CTL_ERROR_GUEST,   /* the call went through but the guest did not do it, and said why:
                             a login refused, no such console (exit code 1) */
} VlCtlError;

/* Exit codes, documented in --help and vmlinkctl(1). */
enum {
    VL_CTL_EXIT_OK = 0,
    VL_CTL_EXIT_FAILED = 1,  /* the call failed: the server's error, a timeout, a bad answer */
    VL_CTL_EXIT_USAGE = 2,   /* the command line or its input is wrong */
    VL_CTL_EXIT_CONNECT = 3, /* cannot connect, or the connection was lost */
};

typedef enum {
    VL_CTL_FLAG,   /* --readonly */
    VL_CTL_STRING, /* --target vdb */
    VL_CTL_INT,    /* --delay 30: an integer >= 0 */
} VlCtlOptionKind;

typedef struct {
    const char *name; /* "via" for --via */
    VlCtlOptionKind kind;
    const char *value;          /* its value in help ("WAY"); NULL for a flag */
    const char *help;           /* one line */
    const char *const *choices; /* the values allowed, NULL-terminated, or NULL for any */
    gboolean repeat;            /* may be given more than once */
    /* The params member it sets as it is (a flag true, an integer, a string, or for a repeated
     * option an array of strings); NULL when the command's build function uses it. */
    const char *member;
} VlCtlOption;

typedef struct _VlCtlArgs VlCtlArgs;
typedef struct _VlCtlCommand VlCtlCommand;

/* The connection a command runs on, and for tls: addresses the manager and the bridge's pin. */
typedef struct {
    VlClient *client;
    FILE *out;
    VlManager *manager; /* tls: this manager; NULL on a UNIX socket */
    const char *host;   /* tls: the bridge's host and port, as its pin is named */
    guint16 port;
    gboolean pinned; /* tls: the bridge is known to this manager and matched its pin */
} VlCtlSession;

/* Carries out a command that is more than one call (asks, checks, pins); params are what the
 * table built, before the run function adds its secrets. */
typedef gboolean (*VlCtlRunFunc)(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                                 GError **error);
/* A command that does not connect to vmlinkd at all (receive-events): its whole work, writing
 * to out (stdout). */
typedef gboolean (*VlCtlLocalFunc)(const VlCtlArgs *args, FILE *out, GError **error);

/* Adds the params members the table cannot describe, inside the params object being built. */
typedef gboolean (*VlCtlBuildFunc)(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
/* Writes the result for people; params are what was sent. */
typedef void (*VlCtlShowFunc)(const VlJson *params, const VlJson *result, GString *out);

struct _VlCtlCommand {
    const char *group;          /* "vm"; NULL for a command of one word (events) */
    const char *name;           /* "start" */
    const char *args;           /* positional arguments: "NAME PATH", "[NAME]" when optional */
    gboolean vm_arg;            /* the first argument is the VM: params member "vm" */
    const char *synopsis;       /* the options part of the usage line; NULL: from options */
    const char *method;         /* what it calls */
    const char *summary;        /* what it does, one line */
    const char *description;    /* more, for its --help; may be NULL */
    const char *example;        /* words after "vmlinkctl" */
    const VlCtlOption *options; /* ended by {NULL}; NULL for none */
    VlCtlBuildFunc build;       /* NULL: the table says it all */
    VlCtlShowFunc show;
    gboolean follows_events; /* after the call, prints events as they come (events) */
    /* NULL: one call of method, its result shown by show. With run, the table's build
     * function only checks the options: run builds the params it sends (after asking for a
     * password, say), so they are checked against the catalogue when sent. */
    VlCtlRunFunc run;
    /* Allowed over TLS with a bridge this manager has not pinned yet (host info,
     * host take-ownership); anything else needs the pin. */
    gboolean unpinned_ok;
    /* Set: the command does not connect (method is NULL, no params are built): vmlinkctl calls
     * it with stdout instead, e.g. .local = vl_ctl_receive_events. */
    VlCtlLocalFunc local;
    /* The params member run adds once it has asked for it (a password): the params the table
     * builds are checked against the catalogue without it, so that what was typed is told
     * before connecting and before anyone is asked for a password. NULL: none. */
    const char *secret;
    /* How long to wait for an answer when --timeout is not given, in seconds, for commands the
     * other end may take long over (a login); 0: VL_CTL_DEFAULT_TIMEOUT_S. */
    guint timeout_s;
};

/* The commands, ended by an entry whose name is NULL, and the groups, NULL-terminated. */
extern const VlCtlCommand vl_ctl_commands[];
extern const char *const vl_ctl_groups[];
extern const char *const vl_ctl_group_summaries[];

const VlCtlCommand *vl_ctl_command_find(const char *group, const char *name);
/* Index in vl_ctl_groups, or -1. */
int vl_ctl_group_index(const char *group);
/* "vm start", "events": the words that name it; the caller frees it. */
char *vl_ctl_command_words(const VlCtlCommand *command);

/* A command line, parsed. */
struct _VlCtlArgs {
    /* Global options. */
    char *connect;    /* NULL: $VMLINK_CONNECT, else VL_CLIENT_DEFAULT_ADDRESS */
    gboolean json;    /* results as JSON */
    double timeout_s; /* negative: not given */
    gboolean help;    /* --help: print the help of what was named */
    gboolean version;
    /* What was named: a command, or only a group (its --help), or nothing (the main help). */
    const char *group;
    const VlCtlCommand *command;
    GPtrArray *positional; /* char * */
    GHashTable *options;   /* option name -> GPtrArray of values ("" for a flag) */
};

/* Parses argv; NULL with VL_CTL_ERROR_USAGE saying what is wrong and which --help to read. */
VlCtlArgs *vl_ctl_args_parse(int argc, char **argv, GError **error);
void vl_ctl_args_free(VlCtlArgs *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlCtlArgs, vl_ctl_args_free)

/* The last value of an option, or NULL when not given; all its values, or NULL. */
const char *vl_ctl_args_get(const VlCtlArgs *args, const char *option);
GPtrArray *vl_ctl_args_get_all(const VlCtlArgs *args, const char *option);
/* The positional argument at index, or NULL. */
const char *vl_ctl_args_positional(const VlCtlArgs *args, guint index);
/* The address to connect to: --connect, $VMLINK_CONNECT or the default. */
const char *vl_ctl_args_address(const VlCtlArgs *args);
/* How long to wait for an answer: --timeout in ms, -1 for --timeout 0 (no limit); without
 * --timeout, the command's own default or VL_CTL_DEFAULT_TIMEOUT_S. */
int vl_ctl_args_timeout_ms(const VlCtlArgs *args);

/* The params of the command's call, checked against the catalogue; NULL with VL_CTL_ERROR. */
VlJson *vl_ctl_command_params(const VlCtlArgs *args, GError **error);

/* The help of what args name (the program, a group or a command). */
void vl_ctl_help(const VlCtlArgs *args, GString *out);

/* Calls the command's method (or its run function) and writes what it gets to session->out. */
gboolean vl_ctl_run(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                    GError **error);
/* Writes text to out and flushes it; VL_CTL_ERROR_OUTPUT when it cannot. */
gboolean vl_ctl_write(FILE *out, const char *text, GError **error);

/* The commands of vl-ctl-owner.c, for the table. */
gboolean vl_ctl_owner_check_take(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_owner_check_rotate(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_owner_host_info(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                                GError **error);
gboolean vl_ctl_owner_take(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                           GError **error);
gboolean vl_ctl_owner_release(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                              GError **error);
gboolean vl_ctl_owner_change_password(VlCtlSession *session, const VlCtlArgs *args,
                                      const VlJson *params, GError **error);
gboolean vl_ctl_owner_rotate(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                             GError **error);
/* guest login (vl-ctl-login.c): asks for the password, calls guest.login and tells the outcome;
 * FALSE with VL_CTL_ERROR_GUEST for the outcomes that are not a login. */
gboolean vl_ctl_guest_login(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                            GError **error);
/* events --since without --follow or --count: one events.since call. */
gboolean vl_ctl_events_since(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                             GError **error);

/*
 * Secrets typed by a person or a script (vl-ctl-password.c): from the terminal without echo
 * after prompt ("agent password", shown "Agent password: ") when stdin is one and from_stdin is
 * FALSE, else one line of stdin. The result is wiped by vl_ctl_secret_free (OPENSSL_cleanse);
 * an empty line, no line and a line longer than VL_PASSWORD_MAX_LEN are VL_CTL_ERROR_INPUT.
 */
typedef char VlCtlSecret;
VlCtlSecret *vl_ctl_read_secret(const char *prompt, gboolean from_stdin, GError **error);
void vl_ctl_secret_free(VlCtlSecret *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlCtlSecret, vl_ctl_secret_free)
/* Asks a yes/no question on the terminal; FALSE unless the answer is y or yes. */
gboolean vl_ctl_confirm(const char *question);

G_END_DECLS
