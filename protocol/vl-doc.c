/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-doc.h"

#include <string.h>

#include "vl-protocol.h"

static const char *
base_type_name(VlType type)
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

static void
append_type(GString *out, const VlField *f)
{
    if (f->type == VL_TYPE_ARRAY && f->items) {
        g_string_append(out, "array of ");
        append_type(out, f->items);
        return;
    }
    g_string_append(out, base_type_name(f->type));
}

static void
append_range(GString *out, gint64 min, gint64 max, const char *unit)
{
    if (max == G_MAXINT64) {
        g_string_append_printf(out, "≥ %" G_GINT64_FORMAT "%s", min, unit);
    } else if (min == max) {
        g_string_append_printf(out, "%" G_GINT64_FORMAT "%s", min, unit);
    } else {
        g_string_append_printf(out, "%" G_GINT64_FORMAT "–%" G_GINT64_FORMAT "%s", min, max, unit);
    }
}

static void
append_bounds(GString *out, const VlField *f)
{
    gboolean bounded = f->min != 0 || f->max != 0;

    switch (f->type) {
    case VL_TYPE_STRING:
    case VL_TYPE_ID:
        if (f->choices) {
            g_string_append(out, "one of");
            for (const char *const *c = f->choices; *c; c++) {
                g_string_append_printf(out, "%s `%s`", c == f->choices ? "" : ",", *c);
            }
        } else if (bounded) {
            append_range(out, f->min, f->max, " bytes");
        }
        break;
    case VL_TYPE_INT:
        if (bounded) {
            append_range(out, f->min, f->max, "");
        }
        break;
    case VL_TYPE_ARRAY:
        if (bounded) {
            append_range(out, f->min, f->max, " items");
        }
        if (f->items && (f->items->min || f->items->max || f->items->choices)) {
            g_string_append(out, bounded ? "; each " : "each ");
            append_bounds(out, f->items);
        }
        break;
    case VL_TYPE_NUMBER:
        g_string_append(out, "finite");
        break;
    case VL_TYPE_OBJECT:
        if (f->dispatch) {
            g_string_append_printf(out, "per `%s` (%s)", f->dispatch_on, f->dispatch->title);
        }
        break;
    default:
        break;
    }
}

static void append_rows(GString *out, const VlField *fields, const char *prefix);

static void
append_row(GString *out, const VlField *f, const char *path)
{
    g_string_append_printf(out, "| `%s` | ", path);
    append_type(out, f);
    if (f->flags & VL_FIELD_NULLABLE) {
        g_string_append(out, " or null");
    }
    g_string_append_printf(out, " | %s | ", (f->flags & VL_FIELD_REQUIRED) ? "yes" : "no");
    append_bounds(out, f);
    g_string_append_printf(out, " | %s |\n", f->doc ? f->doc : "");

    if (f->type == VL_TYPE_OBJECT && f->fields) {
        append_rows(out, f->fields, path);
    } else if (f->type == VL_TYPE_ARRAY && f->items && f->items->type == VL_TYPE_OBJECT &&
               f->items->fields) {
        g_autofree char *item_path = g_strconcat(path, "[]", NULL);
        append_rows(out, f->items->fields, item_path);
    }
}

static void
append_rows(GString *out, const VlField *fields, const char *prefix)
{
    for (const VlField *f = fields; f && f->name; f++) {
        g_autofree char *path =
            prefix ? g_strconcat(prefix, ".", f->name, NULL) : g_strdup(f->name);
        append_row(out, f, path);
    }
}

static void
append_table(GString *out, const VlField *fields, const char *prefix)
{
    if (fields == NULL || fields->name == NULL) {
        g_string_append(out, "No fields.\n\n");
        return;
    }
    g_string_append(out, "| Field | Type | Required | Bounds | Description |\n"
                         "|---|---|---|---|---|\n");
    append_rows(out, fields, prefix);
    g_string_append_c(out, '\n');
}

static void
append_senders(GString *out, const VlCatalogue *c, guint senders)
{
    if (senders == VL_SENDER_BOTH) {
        g_string_append_printf(out, "sent by the %s and the %s", c->sender_names[0],
                               c->sender_names[1]);
    } else {
        g_string_append_printf(out, "sent by the %s", c->sender_names[senders == 1 ? 0 : 1]);
    }
}

static void
append_example(GString *out, const char *example)
{
    g_autoptr(VlJson) node = vl_json_parse(example, strlen(example), NULL);
    g_autofree char *pretty = node ? vl_json_to_pretty_string(node) : g_strdup(example);

    g_string_append_printf(out, "Example:\n\n```json\n%s\n```\n\n", pretty);
}

static void
append_catalogue(GString *out, const VlCatalogue *c)
{
    g_string_append_printf(out, "## %s\n\n", c->title);
    g_string_append_printf(out, "Selected by the `%s` member", c->key);
    if (c->member) {
        g_string_append_printf(out, "; the fields below are those of `%s`", c->member);
    }
    g_string_append(out, ".\n\n");

    for (const VlEntry *e = c->entries; e->name; e++) {
        g_string_append_printf(out, "### `%s` (", e->name);
        append_senders(out, c, e->senders);
        g_string_append_printf(out, ")\n\n%s\n\n", e->summary);
        append_table(out, e->fields, c->member);
        if (e->result) {
            g_string_append(out, "Result:\n\n");
            append_table(out, e->result, "result");
        }
        append_example(out, e->example);
    }
}

static void
append_error_codes(GString *out)
{
    g_string_append(out, "| Code | Meaning |\n|---|---|\n");
    for (guint i = 0; i < VL_PROTOCOL_ERROR_N_CODES; i++) {
        g_string_append_printf(out, "| `%s` | %s |\n", vl_protocol_error_name(i),
                               vl_protocol_error_describe(i));
    }
}

static void
append_rpc_codes(GString *out)
{
    g_string_append(out, "| Code | Name | Meaning |\n|---|---|---|\n");
    for (const VlRpcCodeInfo *i = vl_rpc_codes; i->name; i++) {
        g_string_append_printf(out, "| %d | `%s` | %s |\n", i->code, i->name, i->description);
    }
}

char *
vl_doc_render(const char *template_text)
{
    static const struct {
        const char *marker;
        void (*render)(GString *out);
    } markers[] = {
        {"@ERROR_CODES@", append_error_codes},
        {"@RPC_CODES@", append_rpc_codes},
    };
    GString *out = g_string_new(NULL);
    const char *p = template_text;

    while (*p) {
        const char *at = strchr(p, '@');
        gboolean replaced = FALSE;

        if (at == NULL) {
            g_string_append(out, p);
            break;
        }
        g_string_append_len(out, p, at - p);
        if (g_str_has_prefix(at, "@CATALOGUES@")) {
            for (const VlCatalogue *const *c = vl_catalogues; *c; c++) {
                append_catalogue(out, *c);
            }
            p = at + strlen("@CATALOGUES@");
            replaced = TRUE;
        }
        for (gsize i = 0; !replaced && i < G_N_ELEMENTS(markers); i++) {
            if (g_str_has_prefix(at, markers[i].marker)) {
                markers[i].render(out);
                p = at + strlen(markers[i].marker);
                replaced = TRUE;
            }
        }
        if (!replaced) {
            g_string_append_c(out, '@');
            p = at + 1;
        }
    }
    return g_string_free(out, FALSE);
}
