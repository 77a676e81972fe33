/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-qga.h"

#include <string.h>

static const VlQgaParam no_params[] = {{NULL}};
static const VlQgaParam sync_params[] = {{"id", VL_QGA_INT, TRUE}, {NULL}};
static const VlQgaParam shutdown_params[] = {{"mode", VL_QGA_STRING, FALSE}, {NULL}};

/* The commands of qemu-ga 7.2 this agent answers (guest-get-load is qemu-ga 9.1's). */
const VlQgaCommand vl_qga_commands[] = {
    {"guest-sync-delimited", sync_params, TRUE},
    {"guest-sync", sync_params, TRUE},
    {"guest-ping", no_params, TRUE},
    {"guest-info", no_params, TRUE},
    {"guest-get-time", no_params, TRUE},
    {"guest-get-osinfo", no_params, TRUE},
    {"guest-get-host-name", no_params, TRUE},
    {"guest-get-timezone", no_params, TRUE},
    {"guest-get-users", no_params, TRUE},
    {"guest-get-vcpus", no_params, TRUE},
    {"guest-get-memory-block-info", no_params, TRUE},
    {"guest-network-get-interfaces", no_params, TRUE},
    {"guest-get-fsinfo", no_params, TRUE},
    {"guest-get-disks", no_params, TRUE},
    {"guest-get-load", no_params, TRUE},
    {"guest-shutdown", shutdown_params, FALSE},
    {NULL},
};

const VlQgaCommand *
vl_qga_command_lookup(const char *name)
{
    for (const VlQgaCommand *c = vl_qga_commands; name && c->name; c++) {
        if (g_str_equal(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

typedef struct {
    const char *const *allowed; /* NULL: the parameters' names instead */
    const VlQgaParam *params;
    const char *unexpected; /* the first member not allowed */
} MemberCheck;

static gboolean
is_param(const VlQgaParam *params, const char *name)
{
    for (const VlQgaParam *p = params; p->name; p++) {
        if (g_str_equal(p->name, name)) {
            return TRUE;
        }
    }
    return FALSE;
}

static void
check_member(const char *name, VlJson *value, gpointer user_data)
{
    MemberCheck *m = user_data;

    if (m->unexpected == NULL &&
        !(m->allowed ? g_strv_contains(m->allowed, name) : is_param(m->params, name))) {
        m->unexpected = name;
    }
}

static const char *
type_name(VlQgaType type)
{
    switch (type) {
    case VL_QGA_INT:
        return "integer";
    case VL_QGA_STRING:
        return "string";
    default:
        return "boolean";
    }
}

static gboolean
has_type(const VlJson *value, VlQgaType type)
{
    switch (type) {
    case VL_QGA_INT:
        return vl_json_kind(value) == VL_JSON_INT;
    case VL_QGA_STRING:
        return vl_json_kind(value) == VL_JSON_STRING;
    default:
        return vl_json_kind(value) == VL_JSON_BOOL;
    }
}

/* The arguments in the order the command declares them, then anything it does not know: as
 * QEMU's generated visitors check them. */
static char *
check_arguments(const VlQgaCommand *command, const VlJson *arguments)
{
    MemberCheck m = {NULL, command->params, NULL};

    for (const VlQgaParam *p = command->params; p->name; p++) {
        const VlJson *value = arguments ? vl_json_object_get(arguments, p->name) : NULL;

        if (value == NULL && p->required) {
            return g_strdup_printf("Parameter '%s' is missing", p->name);
        }
        if (value && !has_type(value, p->type)) {
            return g_strdup_printf("Invalid parameter type for '%s', expected: %s", p->name,
                                   type_name(p->type));
        }
    }
    if (arguments) {
        vl_json_object_foreach(arguments, check_member, &m);
    }
    return m.unexpected ? g_strdup_printf("Parameter '%s' is unexpected", m.unexpected) : NULL;
}

gboolean
vl_qga_request_check(const VlJson *message, VlQgaRequest *ret, const char **ret_class,
                     char **ret_desc)
{
    static const char *const members[] = {"execute", "arguments", "id", NULL};
    MemberCheck m = {members, NULL, NULL};
    const VlJson *execute;
    const char *name;

    *ret = (VlQgaRequest){NULL};
    *ret_class = VL_QGA_GENERIC_ERROR;
    if (vl_json_kind(message) != VL_JSON_OBJECT) {
        *ret_desc = g_strdup("QMP input must be a JSON object");
        return FALSE;
    }
    ret->id = vl_json_object_get(message, "id");
    vl_json_object_foreach(message, check_member, &m);
    if (m.unexpected) {
        *ret_desc = g_strdup_printf("QMP input member '%s' is unexpected", m.unexpected);
        return FALSE;
    }
    execute = vl_json_object_get(message, "execute");
    if (execute == NULL) {
        *ret_desc = g_strdup("QMP input lacks member 'execute'");
        return FALSE;
    }
    if (vl_json_kind(execute) != VL_JSON_STRING) {
        *ret_desc = g_strdup("QMP input member 'execute' must be a string");
        return FALSE;
    }
    ret->arguments = vl_json_object_get(message, "arguments");
    if (ret->arguments && vl_json_kind(ret->arguments) != VL_JSON_OBJECT) {
        *ret_desc = g_strdup("QMP input member 'arguments' must be an object");
        return FALSE;
    }
    name = vl_json_get_string(execute);
    ret->command = vl_qga_command_lookup(name);
    if (ret->command == NULL) {
        *ret_class = VL_QGA_COMMAND_NOT_FOUND;
        *ret_desc = g_strdup_printf("The command %s has not been found", name);
        return FALSE;
    }
    *ret_desc = check_arguments(ret->command, ret->arguments);
    return *ret_desc == NULL;
}

VlJsonBuilder *
vl_qga_answer_begin(GString *frame)
{
    VlJsonBuilder *b = vl_json_builder_new_text(frame);

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "return");
    return b;
}

void
vl_qga_answer_end(VlJsonBuilder *b, const VlJson *id)
{
    if (id) {
        vl_json_builder_member(b, "id");
        vl_json_builder_add_node(b, id);
    }
    vl_json_builder_end_object(b);
    vl_json_builder_free(b);
}

GString *
vl_qga_encode_return(const VlJson *value, const VlJson *id)
{
    GString *frame = g_string_sized_new(256);
    VlJsonBuilder *b = vl_qga_answer_begin(frame);

    vl_json_builder_add_node(b, value);
    vl_qga_answer_end(b, id);
    g_string_append_c(frame, '\n');
    return frame;
}

GString *
vl_qga_encode_error(const char *klass, const char *desc, const VlJson *id)
{
    GString *frame = g_string_sized_new(256);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new_text(frame);

    vl_json_builder_begin_object(b);
    if (id) {
        vl_json_builder_member(b, "id");
        vl_json_builder_add_node(b, id);
    }
    vl_json_builder_member(b, "error");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "class");
    vl_json_builder_add_string(b, klass);
    vl_json_builder_member(b, "desc");
    vl_json_builder_add_string(b, desc);
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    g_string_append_c(frame, '\n');
    return frame;
}
