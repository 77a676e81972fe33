/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one generic validator: a message is checked against catalogue data, never against code
 * written for that message.
 */
#include <math.h>
#include <string.h>

#include "vl-catalogue.h"
#include "vl-error.h"

#define MAX_PATH 256

static const char *
type_name(VlType type)
{
    switch (type) {
    case VL_TYPE_STRING:
        return "string";
    case VL_TYPE_INT:
        return "integer";
    case VL_TYPE_NUMBER:
        return "number";
    case VL_TYPE_BOOL:
        return "boolean";
    case VL_TYPE_OBJECT:
        return "object";
    case VL_TYPE_ARRAY:
        return "array";
    case VL_TYPE_ID:
        return "string or integer";
    case VL_TYPE_ANY:
        return "any";
    }
    return "?";
}

const VlEntry *
vl_catalogue_lookup(const VlCatalogue *catalogue, const char *name, guint senders)
{
    g_return_val_if_fail(catalogue != NULL, NULL);

    if (name == NULL) {
        return NULL;
    }
    for (const VlEntry *e = catalogue->entries; e->name; e++) {
        if ((e->senders & senders) && strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

static gboolean validate_value(const VlField *field, const VlJson *value, const VlJson *parent,
                               const char *path, GError **error);

/* The path of a member below parent_path, truncated to MAX_PATH for messages. */
static void
join_path(char *out, const char *parent_path, const char *name)
{
    if (parent_path && *parent_path) {
        g_snprintf(out, MAX_PATH, "%s.%s", parent_path, name);
    } else {
        g_snprintf(out, MAX_PATH, "%s", name);
    }
}

static gboolean
check_bounds(const VlField *field, gint64 value, const char *what, const char *path, GError **error)
{
    if (field->min == 0 && field->max == 0) {
        return TRUE;
    }
    if (value < field->min || value > field->max) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                    "%s: %s %" G_GINT64_FORMAT " is outside %" G_GINT64_FORMAT
                    "..%" G_GINT64_FORMAT,
                    path, what, value, field->min, field->max);
        return FALSE;
    }
    return TRUE;
}

static gboolean
validate_string(const VlField *field, const char *s, const char *path, GError **error)
{
    if (!check_bounds(field, (gint64)strlen(s), "length", path, error)) {
        return FALSE;
    }
    if (field->choices) {
        for (const char *const *c = field->choices; *c; c++) {
            if (strcmp(*c, s) == 0) {
                return TRUE;
            }
        }
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                    "%s: value is not one of the allowed choices", path);
        return FALSE;
    }
    return TRUE;
}

static gboolean
validate_dispatch(const VlField *field, const VlJson *value, const VlJson *parent, const char *path,
                  GError **error)
{
    /* The sibling may be absent (or the parent an array): never ask the seam about NULL. */
    const VlJson *on = vl_json_object_get(parent, field->dispatch_on);
    const char *name = on ? vl_json_get_string(on) : NULL;
    const VlEntry *entry = vl_catalogue_lookup(field->dispatch, name, VL_SENDER_BOTH);

    if (entry == NULL) {
        /* The sibling's type and length are checked by its own field; its value is checked here. */
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_UNKNOWN_TYPE, "%s: unknown %s",
                    path, field->dispatch->key);
        return FALSE;
    }
    return vl_fields_validate(entry->fields, value, path, error);
}

static gboolean
validate_value(const VlField *field, const VlJson *value, const VlJson *parent, const char *path,
               GError **error)
{
    VlJsonKind kind = vl_json_kind(value);
    gboolean type_ok;

    if (kind == VL_JSON_NULL && (field->flags & VL_FIELD_NULLABLE)) {
        return TRUE;
    }
    switch (field->type) {
    case VL_TYPE_STRING:
        type_ok = kind == VL_JSON_STRING;
        break;
    case VL_TYPE_INT:
        type_ok = kind == VL_JSON_INT;
        break;
    case VL_TYPE_NUMBER:
        type_ok = kind == VL_JSON_INT || kind == VL_JSON_DOUBLE;
        break;
    case VL_TYPE_BOOL:
        type_ok = kind == VL_JSON_BOOL;
        break;
    case VL_TYPE_OBJECT:
        type_ok = kind == VL_JSON_OBJECT;
        break;
    case VL_TYPE_ARRAY:
        type_ok = kind == VL_JSON_ARRAY;
        break;
    case VL_TYPE_ID:
        type_ok = kind == VL_JSON_STRING || kind == VL_JSON_INT;
        break;
    case VL_TYPE_ANY:
    default:
        type_ok = TRUE;
        break;
    }
    if (!type_ok) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_WRONG_TYPE,
                    "%s: expected %s, found %s", path, type_name(field->type),
                    vl_json_kind_name(kind));
        return FALSE;
    }

    switch (kind) {
    case VL_JSON_STRING:
        if (field->type == VL_TYPE_ANY) {
            return TRUE;
        }
        return validate_string(field, vl_json_get_string(value), path, error);
    case VL_JSON_INT:
        if (field->type == VL_TYPE_NUMBER || field->type == VL_TYPE_ID ||
            field->type == VL_TYPE_ANY) {
            return TRUE;
        }
        return check_bounds(field, vl_json_get_int(value), "value", path, error);
    case VL_JSON_DOUBLE:
        if (field->type != VL_TYPE_ANY && !isfinite(vl_json_get_double(value))) {
            g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                        "%s: number is not finite", path);
            return FALSE;
        }
        return TRUE;
    case VL_JSON_ARRAY:
        if (field->type == VL_TYPE_ANY) {
            return TRUE;
        }
        if (!check_bounds(field, vl_json_array_length(value), "length", path, error)) {
            return FALSE;
        }
        if (field->items) {
            guint n = vl_json_array_length(value);
            for (guint i = 0; i < n; i++) {
                char item_path[MAX_PATH];

                g_snprintf(item_path, sizeof item_path, "%s[%u]", path, i);
                if (!validate_value(field->items, vl_json_array_get(value, i), value, item_path,
                                    error)) {
                    return FALSE;
                }
            }
        }
        return TRUE;
    case VL_JSON_OBJECT:
        if (field->type == VL_TYPE_ANY) {
            return TRUE;
        }
        if (field->dispatch) {
            return validate_dispatch(field, value, parent, path, error);
        }
        return field->fields ? vl_fields_validate(field->fields, value, path, error) : TRUE;
    case VL_JSON_BOOL:
    case VL_JSON_NULL:
        return TRUE;
    }
    return TRUE;
}

gboolean
vl_fields_validate(const VlField *fields, const VlJson *object, const char *path, GError **error)
{
    g_return_val_if_fail(object != NULL, FALSE);

    if (vl_json_kind(object) != VL_JSON_OBJECT) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_WRONG_TYPE,
                    "%s: expected object, found %s", path && *path ? path : "message",
                    vl_json_kind_name(vl_json_kind(object)));
        return FALSE;
    }
    for (const VlField *f = fields; f && f->name; f++) {
        const VlJson *value = vl_json_object_get(object, f->name);
        char member_path[MAX_PATH];

        join_path(member_path, path, f->name);
        if (value == NULL) {
            if (f->flags & VL_FIELD_REQUIRED) {
                g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_MISSING_FIELD,
                            "%s: required field missing", member_path);
                return FALSE;
            }
            continue;
        }
        if (!validate_value(f, value, object, member_path, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vl_catalogue_validate(const VlCatalogue *catalogue, VlSender sender, const VlJson *message,
                      const VlEntry **ret_entry, GError **error)
{
    const VlJson *key;
    const char *name;
    const VlEntry *entry;

    g_return_val_if_fail(catalogue != NULL && message != NULL, FALSE);

    if (vl_json_kind(message) != VL_JSON_OBJECT) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_NOT_OBJECT,
                    "%s message is a JSON %s, not an object", catalogue->id,
                    vl_json_kind_name(vl_json_kind(message)));
        return FALSE;
    }
    key = vl_json_object_get(message, catalogue->key);
    if (key == NULL) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_MISSING_FIELD,
                    "%s: required field missing", catalogue->key);
        return FALSE;
    }
    name = vl_json_get_string(key);
    if (name == NULL) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_WRONG_TYPE,
                    "%s: expected string, found %s", catalogue->key,
                    vl_json_kind_name(vl_json_kind(key)));
        return FALSE;
    }
    entry = vl_catalogue_lookup(catalogue, name, sender);
    if (entry == NULL) {
        /* The name is guest input: shown shortened and escaped to printable ASCII. */
        g_autofree char *cut = g_strndup(name, 64);
        g_autofree char *shown = g_strescape(cut, NULL);
        gboolean other_side = vl_catalogue_lookup(catalogue, name, VL_SENDER_BOTH) != NULL;

        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                    "%s: unknown %s \"%s\"%s", catalogue->key, catalogue->id, shown,
                    other_side ? " (not accepted from this side)" : "");
        return FALSE;
    }
    if (!vl_fields_validate(entry->fields, message, "", error)) {
        return FALSE;
    }
    if (ret_entry) {
        *ret_entry = entry;
    }
    return TRUE;
}

const VlField *
vl_report_section_field(const char *name)
{
    const VlEntry *report = vl_catalogue_lookup(&vl_guest_catalogue, "report", VL_SENDER_GUEST);

    for (const VlField *f = report ? report->fields : NULL; f && f->name; f++) {
        if (g_str_equal(f->name, "sections")) {
            for (const VlField *s = f->fields; s && s->name; s++) {
                if (name && g_str_equal(s->name, name)) {
                    return s;
                }
            }
        }
    }
    return NULL;
}

gboolean
vl_report_validate_section(const char *name, const VlJson *value, GError **error)
{
    const VlField *field = vl_report_section_field(name);
    char path[MAX_PATH];

    if (field == NULL) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                    "no report section named %s", name ? name : "(null)");
        return FALSE;
    }
    join_path(path, "sections", name);
    return validate_value(field, value, NULL, path, error);
}
