/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON seam on json-glib. A VlJson is a JsonNode; this is the only file that knows it.
 */
#include "vl-json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "vl-error.h"

#define NODE(n) ((JsonNode *)(n))

VlJson *
vl_json_parse(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local_error = NULL;
    JsonNode *root;

    g_return_val_if_fail(text != NULL || len == 0, NULL);

    if (len > G_MAXSSIZE || !json_parser_load_from_data(parser, text, (gssize)len, &local_error)) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_INVALID_JSON, "invalid JSON: %s",
                    local_error ? local_error->message : "text too long");
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL) {
        g_set_error_literal(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_INVALID_JSON,
                            "invalid JSON: no value");
        return NULL;
    }
    return (VlJson *)json_node_ref(root);
}

VlJson *
vl_json_ref(VlJson *node)
{
    return (VlJson *)json_node_ref(NODE(node));
}

void
vl_json_unref(VlJson *node)
{
    if (node) {
        json_node_unref(NODE(node));
    }
}

VlJsonKind
vl_json_kind(const VlJson *node)
{
    if (node == NULL) {
        return VL_JSON_NULL;
    }
    switch (json_node_get_node_type(NODE(node))) {
    case JSON_NODE_OBJECT:
        return VL_JSON_OBJECT;
    case JSON_NODE_ARRAY:
        return VL_JSON_ARRAY;
    case JSON_NODE_NULL:
        return VL_JSON_NULL;
    case JSON_NODE_VALUE:
        break;
    }
    switch (json_node_get_value_type(NODE(node))) {
    case G_TYPE_BOOLEAN:
        return VL_JSON_BOOL;
    case G_TYPE_INT64:
        return VL_JSON_INT;
    case G_TYPE_DOUBLE:
        return VL_JSON_DOUBLE;
    default:
        return VL_JSON_STRING;
    }
}

const char *
vl_json_kind_name(VlJsonKind kind)
{
    static const char *const names[] = {
        [VL_JSON_NULL] = "null",     [VL_JSON_BOOL] = "boolean",  [VL_JSON_INT] = "integer",
        [VL_JSON_DOUBLE] = "number", [VL_JSON_STRING] = "string", [VL_JSON_ARRAY] = "array",
        [VL_JSON_OBJECT] = "object",
    };
    return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "unknown";
}

gboolean
vl_json_get_bool(const VlJson *node)
{
    return vl_json_kind(node) == VL_JSON_BOOL && json_node_get_boolean(NODE(node));
}

gint64
vl_json_get_int(const VlJson *node)
{
    return vl_json_kind(node) == VL_JSON_INT ? json_node_get_int(NODE(node)) : 0;
}

double
vl_json_get_double(const VlJson *node)
{
    switch (vl_json_kind(node)) {
    case VL_JSON_INT:
        return (double)json_node_get_int(NODE(node));
    case VL_JSON_DOUBLE:
        return json_node_get_double(NODE(node));
    default:
        return 0.0;
    }
}

const char *
vl_json_get_string(const VlJson *node)
{
    return vl_json_kind(node) == VL_JSON_STRING ? json_node_get_string(NODE(node)) : NULL;
}

VlJson *
vl_json_object_get(const VlJson *node, const char *name)
{
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(NODE(node))) {
        return NULL;
    }
    return (VlJson *)json_object_get_member(json_node_get_object(NODE(node)), name);
}

guint
vl_json_object_size(const VlJson *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(NODE(node))) {
        return 0;
    }
    return json_object_get_size(json_node_get_object(NODE(node)));
}

void
vl_json_object_foreach(const VlJson *node, VlJsonMemberFunc func, gpointer user_data)
{
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;

    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(NODE(node))) {
        return;
    }
    /* In the members' order, as parsed or built: what is written back keeps it. */
    json_object_iter_init_ordered(&iter, json_node_get_object(NODE(node)));
    while (json_object_iter_next_ordered(&iter, &name, &value)) {
        func(name, (VlJson *)value, user_data);
    }
}

guint
vl_json_array_length(const VlJson *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(NODE(node))) {
        return 0;
    }
    return json_array_get_length(json_node_get_array(NODE(node)));
}

VlJson *
vl_json_array_get(const VlJson *node, guint index)
{
    JsonArray *array;

    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(NODE(node))) {
        return NULL;
    }
    array = json_node_get_array(NODE(node));
    if (index >= json_array_get_length(array)) {
        return NULL;
    }
    return (VlJson *)json_array_get_element(array, index);
}

/*
 * json-glib 1.6 writes U+001F raw inside strings (its escaper stops at 0x1e), which is not
 * JSON and which vl_json_check() rightly refuses. Escape every control byte inside strings, so
 * what vmlink writes is always what vmlink reads.
 */
static char *
escape_controls_in_strings(char *text, gsize *ret_len)
{
    gboolean in_string = FALSE, escaped = FALSE, clean = TRUE;
    GString *out;

    for (const char *p = text; *p; p++) {
        if ((unsigned char)*p < 0x20 && *p != '\n') {
            clean = FALSE;
            break;
        }
    }
    if (clean) {
        if (ret_len) {
            *ret_len = strlen(text);
        }
        return text;
    }
    out = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (in_string && c < 0x20) {
            g_string_append_printf(out, "\\u%04x", c);
            escaped = FALSE;
            continue;
        }
        g_string_append_c(out, (char)c);
        if (escaped) {
            escaped = FALSE;
        } else if (c == '\\') {
            escaped = in_string;
        } else if (c == '"') {
            in_string = !in_string;
        }
    }
    explicit_bzero(text, strlen(text)); /* it may hold a password */
    g_free(text);
    if (ret_len) {
        *ret_len = out->len;
    }
    return g_string_free(out, FALSE);
}

char *
vl_json_to_string(const VlJson *node, gsize *ret_len)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();

    json_generator_set_root(generator, NODE(node));
    return escape_controls_in_strings(json_generator_to_data(generator, NULL), ret_len);
}

char *
vl_json_to_pretty_string(const VlJson *node)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();

    json_generator_set_pretty(generator, TRUE);
    json_generator_set_indent(generator, 2);
    json_generator_set_root(generator, NODE(node));
    return escape_controls_in_strings(json_generator_to_data(generator, NULL), NULL);
}

struct _VlJsonBuilder {
    JsonBuilder *builder;
};

VlJsonBuilder *
vl_json_builder_new(void)
{
    VlJsonBuilder *self = g_new0(VlJsonBuilder, 1);

    self->builder = json_builder_new_immutable();
    return self;
}

void
vl_json_builder_free(VlJsonBuilder *builder)
{
    if (builder) {
        g_object_unref(builder->builder);
        g_free(builder);
    }
}

void
vl_json_builder_begin_object(VlJsonBuilder *builder)
{
    json_builder_begin_object(builder->builder);
}

void
vl_json_builder_end_object(VlJsonBuilder *builder)
{
    json_builder_end_object(builder->builder);
}

void
vl_json_builder_begin_array(VlJsonBuilder *builder)
{
    json_builder_begin_array(builder->builder);
}

void
vl_json_builder_end_array(VlJsonBuilder *builder)
{
    json_builder_end_array(builder->builder);
}

void
vl_json_builder_member(VlJsonBuilder *builder, const char *name)
{
    json_builder_set_member_name(builder->builder, name);
}

void
vl_json_builder_add_null(VlJsonBuilder *builder)
{
    json_builder_add_null_value(builder->builder);
}

void
vl_json_builder_add_bool(VlJsonBuilder *builder, gboolean value)
{
    json_builder_add_boolean_value(builder->builder, value);
}

void
vl_json_builder_add_int(VlJsonBuilder *builder, gint64 value)
{
    json_builder_add_int_value(builder->builder, value);
}

void
vl_json_builder_add_double(VlJsonBuilder *builder, double value)
{
    /* JSON has no NaN or infinity: they would make a frame no peer accepts. */
    if (!isfinite(value)) {
        json_builder_add_null_value(builder->builder);
        return;
    }
    json_builder_add_double_value(builder->builder, value);
}

void
vl_json_builder_add_string(VlJsonBuilder *builder, const char *value)
{
    json_builder_add_string_value(builder->builder, value);
}

void
vl_json_builder_add_member_string(VlJsonBuilder *builder, const char *name, const char *value)
{
    if (value) {
        vl_json_builder_member(builder, name);
        vl_json_builder_add_string(builder, value);
    }
}

void
vl_json_builder_add_member_int(VlJsonBuilder *builder, const char *name, gint64 value)
{
    vl_json_builder_member(builder, name);
    vl_json_builder_add_int(builder, value);
}

void
vl_json_builder_add_member_bool(VlJsonBuilder *builder, const char *name, gboolean value)
{
    vl_json_builder_member(builder, name);
    vl_json_builder_add_bool(builder, value);
}

void
vl_json_builder_add_node(VlJsonBuilder *builder, const VlJson *node)
{
    json_builder_add_value(builder->builder, json_node_copy(NODE(node)));
}

VlJson *
vl_json_builder_finish(VlJsonBuilder *builder)
{
    return (VlJson *)json_builder_get_root(builder->builder);
}

typedef struct {
    VlJsonBuilder *builder;
    const char *skip;
} CopyExcept;

static void
copy_except(const char *name, VlJson *value, gpointer user_data)
{
    CopyExcept *copy = user_data;

    if (!g_str_equal(name, copy->skip)) {
        vl_json_builder_member(copy->builder, name);
        vl_json_builder_add_node(copy->builder, value);
    }
}

void
vl_json_wipe_member(const VlJson *object, const char *member)
{
    /* The tree's own copy of the string: the const of the getter is for readers. */
    char *value = (char *)vl_json_get_string(vl_json_object_get(object, member));

    if (value) {
        explicit_bzero(value, strlen(value));
    }
}

VlJson *
vl_json_object_with_string(const VlJson *object, const char *name, const char *value)
{
    g_autoptr(VlJsonBuilder) builder = vl_json_builder_new();
    CopyExcept copy = {builder, name};

    vl_json_builder_begin_object(builder);
    vl_json_object_foreach(object, copy_except, &copy);
    vl_json_builder_member(builder, name);
    vl_json_builder_add_string(builder, value);
    vl_json_builder_end_object(builder);
    return vl_json_builder_finish(builder);
}
