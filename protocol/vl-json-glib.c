/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON seam on json-glib. A VlJson is a JsonNode; this is the only file that knows it.
 */
#include "vl-json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "vl-error.h"
#include "vl-json-check.h"
#include "vl-json-text.h"

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

/* Builds a tree from vl_json_scan()'s reports, as json-glib's parser would: the same nodes, a
 * repeated member name keeping its first place and its last value. */
typedef struct {
    JsonNode *root;
    GPtrArray *open; /* the containers being filled */
    char *name;      /* the member whose value comes next */
} TreeBuild;

static void
tree_add(TreeBuild *t, JsonNode *node)
{
    JsonNode *parent;

    if (t->open->len == 0) {
        t->root = node;
        return;
    }
    parent = g_ptr_array_index(t->open, t->open->len - 1);
    json_node_set_parent(node, parent);
    if (JSON_NODE_HOLDS_OBJECT(parent)) {
        json_object_set_member(json_node_get_object(parent), t->name, node);
        g_clear_pointer(&t->name, g_free);
    } else {
        json_array_add_element(json_node_get_array(parent), node);
    }
}

static void
tree_open(gpointer user_data, gboolean object)
{
    TreeBuild *t = user_data;
    JsonNode *node = json_node_alloc();

    if (object) {
        json_node_take_object(json_node_init(node, JSON_NODE_OBJECT), json_object_new());
    } else {
        json_node_take_array(json_node_init(node, JSON_NODE_ARRAY), json_array_new());
    }
    tree_add(t, node);
    g_ptr_array_add(t->open, node);
}

static void
tree_close(gpointer user_data)
{
    TreeBuild *t = user_data;

    g_ptr_array_set_size(t->open, t->open->len - 1);
}

static char *
token_text(const char *raw, gsize len, gboolean escaped)
{
    return escaped ? vl_json_unescape(raw, len) : g_strndup(raw, len);
}

static void
tree_name(gpointer user_data, const char *raw, gsize len, gboolean escaped)
{
    TreeBuild *t = user_data;

    g_free(t->name);
    t->name = token_text(raw, len, escaped);
}

static void
tree_scalar(gpointer user_data, VlJsonToken token, const char *raw, gsize len, gboolean escaped)
{
    TreeBuild *t = user_data;
    char number[VL_JSON_MAX_NUMBER_LEN + 1];
    char small[256];
    JsonNode *node = json_node_alloc();

    /* The scan bounded every number's length (integers by their range). */
    if (token == VL_JSON_TOKEN_INTEGER || token == VL_JSON_TOKEN_NUMBER) {
        memcpy(number, raw, MIN(len, sizeof number - 1));
        number[MIN(len, sizeof number - 1)] = '\0';
    }
    switch (token) {
    case VL_JSON_TOKEN_NULL:
        json_node_init_null(node);
        break;
    case VL_JSON_TOKEN_TRUE:
    case VL_JSON_TOKEN_FALSE:
        json_node_init_boolean(node, token == VL_JSON_TOKEN_TRUE);
        break;
    case VL_JSON_TOKEN_INTEGER:
        json_node_init_int(node, g_ascii_strtoll(number, NULL, 10));
        break;
    case VL_JSON_TOKEN_NUMBER:
        json_node_init_double(node, g_ascii_strtod(number, NULL));
        break;
    case VL_JSON_TOKEN_STRING:
        if (escaped || len >= sizeof small) {
            g_autofree char *value = token_text(raw, len, escaped);

            json_node_init_string(node, value);
        } else {
            /* json-glib copies the value: most need no copy of their own first. */
            memcpy(small, raw, len);
            small[len] = '\0';
            json_node_init_string(node, small);
        }
        break;
    }
    tree_add(t, node);
}

VlJson *
vl_json_parse_strict(const char *text, gsize len, guint max_depth, GError **error)
{
    static const VlJsonEvents events = {tree_open, tree_close, tree_name, tree_scalar};
    TreeBuild t = {NULL, g_ptr_array_new(), NULL};
    gboolean ok = vl_json_scan(text, len, max_depth, &events, &t, error);

    g_ptr_array_unref(t.open);
    g_free(t.name);
    if (!ok) {
        g_clear_pointer(&t.root, json_node_unref);
    }
    return (VlJson *)t.root;
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
 * what vmlink writes is always what vmlink reads (the pretty text only: the compact one is
 * written by vl-json-text.c).
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

/* Compact text of a tree, as json-glib's generator writes it (vl-json-text.h), without one. */
static void
append_node(GString *out, JsonNode *node)
{
    gboolean first = TRUE;

    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObjectIter iter;
        const char *name;
        JsonNode *value;

        g_string_append_c(out, '{');
        json_object_iter_init_ordered(&iter, json_node_get_object(node));
        while (json_object_iter_next_ordered(&iter, &name, &value)) {
            if (!first) {
                g_string_append_c(out, ',');
            }
            first = FALSE;
            vl_json_text_append_string(out, name);
            g_string_append_c(out, ':');
            append_node(out, value);
        }
        g_string_append_c(out, '}');
        return;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        guint n = json_array_get_length(array);

        g_string_append_c(out, '[');
        for (guint i = 0; i < n; i++) {
            if (i > 0) {
                g_string_append_c(out, ',');
            }
            append_node(out, json_array_get_element(array, i));
        }
        g_string_append_c(out, ']');
        return;
    }
    case JSON_NODE_NULL:
        g_string_append_len(out, "null", 4);
        return;
    case JSON_NODE_VALUE:
        break;
    }
    switch (json_node_get_value_type(node)) {
    case G_TYPE_BOOLEAN:
        g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
        break;
    case G_TYPE_INT64:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
        break;
    case G_TYPE_DOUBLE:
        vl_json_text_append_double(out, json_node_get_double(node));
        break;
    default:
        vl_json_text_append_string(out, json_node_get_string(node));
        break;
    }
}

char *
vl_json_to_string(const VlJson *node, gsize *ret_len)
{
    GString *out = g_string_sized_new(256);

    append_node(out, NODE(node));
    if (ret_len) {
        *ret_len = out->len;
    }
    return g_string_free(out, FALSE);
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

/* A tree builder (json-glib's), or a text builder writing into text.out. */
struct _VlJsonBuilder {
    JsonBuilder *builder;
    VlJsonText text;
};

VlJsonBuilder *
vl_json_builder_new(void)
{
    VlJsonBuilder *self = g_new0(VlJsonBuilder, 1);

    self->builder = json_builder_new_immutable();
    return self;
}

VlJsonBuilder *
vl_json_builder_new_text(GString *out)
{
    VlJsonBuilder *self = g_new0(VlJsonBuilder, 1);

    vl_json_text_init(&self->text, out);
    return self;
}

void
vl_json_builder_free(VlJsonBuilder *builder)
{
    if (builder) {
        g_clear_object(&builder->builder);
        vl_json_text_clear(&builder->text);
        g_free(builder);
    }
}

void
vl_json_builder_begin_object(VlJsonBuilder *builder)
{
    if (builder->builder == NULL) {
        vl_json_text_open(&builder->text, '{');
        return;
    }
    json_builder_begin_object(builder->builder);
}

void
vl_json_builder_end_object(VlJsonBuilder *builder)
{
    if (builder->builder == NULL) {
        vl_json_text_close(&builder->text, '}');
        return;
    }
    json_builder_end_object(builder->builder);
}

void
vl_json_builder_begin_array(VlJsonBuilder *builder)
{
    if (builder->builder == NULL) {
        vl_json_text_open(&builder->text, '[');
        return;
    }
    json_builder_begin_array(builder->builder);
}

void
vl_json_builder_end_array(VlJsonBuilder *builder)
{
    if (builder->builder == NULL) {
        vl_json_text_close(&builder->text, ']');
        return;
    }
    json_builder_end_array(builder->builder);
}

void
vl_json_builder_member(VlJsonBuilder *builder, const char *name)
{
    if (builder->builder == NULL) {
        vl_json_text_name(&builder->text, name);
        return;
    }
    json_builder_set_member_name(builder->builder, name);
}

/* A text builder: the comma the value needs, then the out string to append it to. */
static GString *
text_value(VlJsonBuilder *builder)
{
    vl_json_text_value(&builder->text);
    return builder->text.out;
}

void
vl_json_builder_add_null(VlJsonBuilder *builder)
{
    if (builder->builder == NULL) {
        g_string_append_len(text_value(builder), "null", 4);
        return;
    }
    json_builder_add_null_value(builder->builder);
}

void
vl_json_builder_add_bool(VlJsonBuilder *builder, gboolean value)
{
    if (builder->builder == NULL) {
        g_string_append(text_value(builder), value ? "true" : "false");
        return;
    }
    json_builder_add_boolean_value(builder->builder, value);
}

void
vl_json_builder_add_int(VlJsonBuilder *builder, gint64 value)
{
    if (builder->builder == NULL) {
        g_string_append_printf(text_value(builder), "%" G_GINT64_FORMAT, value);
        return;
    }
    json_builder_add_int_value(builder->builder, value);
}

void
vl_json_builder_add_double(VlJsonBuilder *builder, double value)
{
    /* JSON has no NaN or infinity: they would make a frame no peer accepts. */
    if (!isfinite(value)) {
        vl_json_builder_add_null(builder);
        return;
    }
    if (builder->builder == NULL) {
        vl_json_text_append_double(text_value(builder), value);
        return;
    }
    json_builder_add_double_value(builder->builder, value);
}

void
vl_json_builder_add_string(VlJsonBuilder *builder, const char *value)
{
    if (builder->builder == NULL) {
        vl_json_text_append_string(text_value(builder), value);
        return;
    }
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
    if (builder->builder == NULL) {
        append_node(text_value(builder), NODE(node));
        return;
    }
    json_builder_add_value(builder->builder, json_node_copy(NODE(node)));
}

VlJson *
vl_json_builder_finish(VlJsonBuilder *builder)
{
    if (builder->builder == NULL) {
        return NULL; /* the text is in the caller's string already */
    }
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
