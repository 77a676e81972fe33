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

G_BEGIN_DECLS

/* The default time to wait for an answer, in seconds (--timeout). */
#define VL_CTL_DEFAULT_TIMEOUT_S 30

/* Mistakes on the command line or in its input files (exit code 2), and output failures. */
#define VL_CTL_ERROR (vl_ctl_error_quark())
GQuark vl_ctl_error_quark(void);

typedef enum {
    VL_CTL_ERROR_USAGE,  /* words, options or arguments */
    VL_CTL_ERROR_INPUT,  /* a file or a JSON argument */
    VL_CTL_ERROR_OUTPUT, /* the output cannot be written (exit code 1) */
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
/* How long to wait for an answer: --timeout in ms, -1 for --timeout 0 (no limit). */
int vl_ctl_args_timeout_ms(const VlCtlArgs *args);

/* The params of the command's call, checked against the catalogue; NULL with VL_CTL_ERROR. */
VlJson *vl_ctl_command_params(const VlCtlArgs *args, GError **error);

/* The help of what args name (the program, a group or a command). */
void vl_ctl_help(const VlCtlArgs *args, GString *out);

/* Calls the command's method and writes what it gets to out. */
gboolean vl_ctl_run(VlClient *client, const VlCtlArgs *args, const VlJson *params, FILE *out,
                    GError **error);

G_END_DECLS
