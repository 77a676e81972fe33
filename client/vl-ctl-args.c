/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl's command line: [GLOBAL OPTIONS] WORDS [ARGUMENTS and OPTIONS]. Global options may
 * also follow the command (vmlinkctl vm list --json). Everything a command accepts comes from
 * its table entry; every mistake names itself and the --help that explains it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vl-ctl.h"

/* --timeout's upper bound: its milliseconds must fit an int. */
#define TIMEOUT_MAX_S 2000000

static VlCtlArgs *
args_new(void)
{
    VlCtlArgs *args = g_new0(VlCtlArgs, 1);

    args->timeout_s = -1;
    args->positional = g_ptr_array_new_with_free_func(g_free);
    args->options =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
    return args;
}

void
vl_ctl_args_free(VlCtlArgs *args)
{
    if (args) {
        g_free(args->connect);
        g_ptr_array_unref(args->positional);
        g_hash_table_unref(args->options);
        g_free(args);
    }
}

const char *
vl_ctl_args_get(const VlCtlArgs *args, const char *option)
{
    GPtrArray *values = vl_ctl_args_get_all(args, option);

    return values && values->len > 0 ? g_ptr_array_index(values, values->len - 1) : NULL;
}

GPtrArray *
vl_ctl_args_get_all(const VlCtlArgs *args, const char *option)
{
    return g_hash_table_lookup(args->options, option);
}

const char *
vl_ctl_args_positional(const VlCtlArgs *args, guint index)
{
    return index < args->positional->len ? g_ptr_array_index(args->positional, index) : NULL;
}

const char *
vl_ctl_args_address(const VlCtlArgs *args)
{
    const char *env = g_getenv("VMLINK_CONNECT");

    if (args->connect) {
        return args->connect;
    }
    return env && *env ? env : VL_CLIENT_DEFAULT_ADDRESS;
}

int
vl_ctl_args_timeout_ms(const VlCtlArgs *args)
{
    if (args->timeout_s < 0) {
        guint seconds = args->command && args->command->timeout_s ? args->command->timeout_s
                                                                  : VL_CTL_DEFAULT_TIMEOUT_S;
        return (int)(seconds * 1000);
    }
    return args->timeout_s == 0 ? -1 : (int)(args->timeout_s * 1000);
}

/* Options ------------------------------------------------------------------------------------ */

/* "see vmlinkctl vm start --help", for messages about what args name so far. */
static char *
help_hint(const VlCtlArgs *args)
{
    g_autofree char *words = NULL;

    if (args->command) {
        words = vl_ctl_command_words(args->command);
        return g_strdup_printf("see vmlinkctl %s --help", words);
    }
    if (args->group) {
        return g_strdup_printf("see vmlinkctl %s --help", args->group);
    }
    return g_strdup("see vmlinkctl --help");
}

static gboolean G_GNUC_PRINTF(3, 4)
    usage_error(const VlCtlArgs *args, GError **error, const char *format, ...)
{
    g_autofree char *hint = help_hint(args);
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (args->command) {
        g_autofree char *words = vl_ctl_command_words(args->command);
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE, "%s: %s (%s)", words, message, hint);
    } else {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE, "%s (%s)", message, hint);
    }
    return FALSE;
}

/* An option's value: after "=" in the same word, else the next word. */
static const char *
take_value(const VlCtlArgs *args, int argc, char **argv, int *i, const char *inline_value,
           const char *name, const char *placeholder, GError **error)
{
    if (inline_value) {
        return inline_value;
    }
    if (*i + 1 >= argc) {
        usage_error(args, error, "--%s needs a value (%s)", name, placeholder);
        return NULL;
    }
    return argv[++*i];
}

/* Handles a global option; FALSE with error when it is not one or is wrong. */
static gboolean
parse_global(VlCtlArgs *args, int argc, char **argv, int *i, const char *name,
             const char *inline_value, GError **error)
{
    const char *value;

    if (strcmp(name, "help") == 0 || strcmp(name, "h") == 0 || strcmp(name, "json") == 0 ||
        strcmp(name, "version") == 0) {
        if (inline_value) {
            return usage_error(args, error, "--%s takes no value", name);
        }
        if (strcmp(name, "json") == 0) {
            args->json = TRUE;
        } else if (strcmp(name, "version") == 0) {
            args->version = TRUE;
        } else {
            args->help = TRUE;
        }
        return TRUE;
    }
    if (strcmp(name, "connect") == 0) {
        value = take_value(args, argc, argv, i, inline_value, name, "ADDRESS", error);
        if (value == NULL) {
            return FALSE;
        }
        g_free(args->connect);
        args->connect = g_strdup(value);
        return TRUE;
    }
    if (strcmp(name, "timeout") == 0) {
        char *end = NULL;
        double seconds;

        value = take_value(args, argc, argv, i, inline_value, name, "SECONDS", error);
        if (value == NULL) {
            return FALSE;
        }
        seconds = g_ascii_strtod(value, &end);
        if (end == value || *end != '\0' || !isfinite(seconds) || seconds < 0 ||
            seconds > TIMEOUT_MAX_S) {
            return usage_error(args, error,
                               "--timeout: \"%s\" is not a number of seconds from 0 (no limit) "
                               "to %d",
                               value, TIMEOUT_MAX_S);
        }
        args->timeout_s = seconds;
        return TRUE;
    }
    return usage_error(args, error, "unknown option %s", argv[*i]);
}

static gboolean
check_value(const VlCtlArgs *args, const VlCtlOption *o, const char *value, char **ret_value,
            GError **error)
{
    if (o->kind == VL_CTL_INT) {
        guint64 n;

        if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT32, &n, NULL)) {
            return usage_error(args, error, "--%s: \"%s\" is not a whole number", o->name, value);
        }
        *ret_value = g_strdup_printf("%" G_GUINT64_FORMAT, n);
        return TRUE;
    }
    if (o->choices && !g_strv_contains(o->choices, value)) {
        g_autofree char *known = g_strjoinv(", ", (char **)o->choices);
        return usage_error(args, error, "--%s: \"%s\" is not one of %s", o->name, value, known);
    }
    *ret_value = g_strdup(value);
    return TRUE;
}

/* Handles a command's own option; sets *ret_known FALSE when it has none of that name. */
static gboolean
parse_command_option(VlCtlArgs *args, int argc, char **argv, int *i, const char *name,
                     const char *inline_value, gboolean *ret_known, GError **error)
{
    const VlCtlOption *o = args->command->options;
    GPtrArray *values;
    char *value = NULL;

    while (o && o->name && strcmp(o->name, name) != 0) {
        o++;
    }
    *ret_known = o && o->name;
    if (!*ret_known) {
        return FALSE;
    }
    values = g_hash_table_lookup(args->options, o->name);
    if (values && !o->repeat) {
        return usage_error(args, error, "--%s given twice", o->name);
    }
    if (o->kind == VL_CTL_FLAG) {
        if (inline_value) {
            return usage_error(args, error, "--%s takes no value", o->name);
        }
        value = g_strdup("");
    } else {
        const char *text = take_value(args, argc, argv, i, inline_value, o->name, o->value, error);

        if (text == NULL || !check_value(args, o, text, &value, error)) {
            return FALSE;
        }
    }
    if (values == NULL) {
        values = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(args->options, (gpointer)o->name, values);
    }
    g_ptr_array_add(values, value);
    return TRUE;
}

/* Handles argv[*i], which starts with "-". */
static gboolean
parse_option(VlCtlArgs *args, int argc, char **argv, int *i, GError **error)
{
    const char *word = argv[*i];
    g_autofree char *name = NULL;
    const char *eq;
    gboolean known = FALSE;

    if (strcmp(word, "-h") == 0) {
        args->help = TRUE;
        return TRUE;
    }
    if (!g_str_has_prefix(word, "--")) {
        return usage_error(args, error, "unknown option %s (options are written --name)", word);
    }
    eq = strchr(word, '=');
    name = eq ? g_strndup(word + 2, eq - word - 2) : g_strdup(word + 2);
    if (args->command) {
        if (parse_command_option(args, argc, argv, i, name, eq ? eq + 1 : NULL, &known, error)) {
            return TRUE;
        }
        if (known) {
            return FALSE; /* its option, given wrong */
        }
    }
    return parse_global(args, argc, argv, i, name, eq ? eq + 1 : NULL, error);
}

/* Words -------------------------------------------------------------------------------------- */

static char *
group_commands(const char *group)
{
    GString *s = g_string_new(NULL);

    for (const VlCtlCommand *c = vl_ctl_commands; c->name; c++) {
        if (g_strcmp0(c->group, group) == 0) {
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", c->name);
        }
    }
    return g_string_free(s, FALSE);
}

/* Reads the command's words at argv[*i]; global options may come between them. */
static gboolean
parse_words(VlCtlArgs *args, int argc, char **argv, int *i, GError **error)
{
    const char *first = argv[(*i)++];
    int group = vl_ctl_group_index(first);

    if (group < 0) {
        args->command = vl_ctl_command_find(NULL, first);
        if (args->command == NULL) {
            return usage_error(args, error, "unknown command \"%s\"", first);
        }
        return TRUE;
    }
    args->group = vl_ctl_groups[group];
    while (*i < argc && argv[*i][0] == '-') {
        if (!parse_option(args, argc, argv, i, error)) {
            return FALSE;
        }
        (*i)++;
    }
    if (*i >= argc) {
        g_autofree char *names = group_commands(args->group);

        /* "vmlinkctl vm --help" asks for the group's help; without it, something is missing. */
        return args->help || usage_error(args, error, "%s needs a command: %s", args->group, names);
    }
    args->command = vl_ctl_command_find(args->group, argv[*i]);
    if (args->command == NULL) {
        return usage_error(args, error, "unknown command \"%s %s\"", args->group, argv[*i]);
    }
    (*i)++;
    return TRUE;
}

/* Checks the number of positional arguments against the command's "NAME [MORE]". */
static gboolean
check_positional(VlCtlArgs *args, GError **error)
{
    g_auto(GStrv) names = g_strsplit(args->command->args ? args->command->args : "", " ", -1);
    guint max = 0;

    for (char **n = names; *n; n++) {
        if (**n == '\0') {
            continue;
        }
        if (max >= args->positional->len && **n != '[') {
            return usage_error(args, error, "%s is missing", *n);
        }
        max++;
    }
    if (args->positional->len > max) {
        return usage_error(args, error, "unexpected argument \"%s\"",
                           (const char *)g_ptr_array_index(args->positional, max));
    }
    return TRUE;
}

VlCtlArgs *
vl_ctl_args_parse(int argc, char **argv, GError **error)
{
    g_autoptr(VlCtlArgs) args = args_new();
    gboolean options_done = FALSE;
    int i = 1;

    while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
        if (!parse_option(args, argc, argv, &i, error)) {
            return NULL;
        }
        i++;
    }
    if (i >= argc) {
        return g_steal_pointer(&args); /* no command: the main help, or a usage error */
    }
    if (!parse_words(args, argc, argv, &i, error)) {
        return NULL;
    }
    for (; args->command && i < argc; i++) {
        const char *word = argv[i];

        if (!options_done && strcmp(word, "--") == 0) {
            options_done = TRUE;
        } else if (!options_done && word[0] == '-' && word[1] != '\0') {
            if (!parse_option(args, argc, argv, &i, error)) {
                return NULL;
            }
        } else {
            g_ptr_array_add(args->positional, g_strdup(word));
        }
    }
    if (args->command && !args->help && !check_positional(args, error)) {
        return NULL;
    }
    return g_steal_pointer(&args);
}
