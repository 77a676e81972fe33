/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON seam. Everything in vmlink that reads or writes JSON goes through this header, so
 * the library behind it can change per platform (json-glib on Linux, in vl-json-glib.c; the
 * Windows port puts another library behind the same functions) without touching the catalogue,
 * the validator or the programs.
 *
 * A VlJson is a node of a parsed document. The root returned by vl_json_parse() is owned by the
 * caller (vl_json_unref); nodes reached through it are borrowed and live as long as the root.
 *
 * vl_json_parse() is only called on text that vl_json_check() accepted: the library behind the
 * seam may be lenient (json-glib accepts comments, single quotes and silently wraps huge
 * integers); the checker is strict, so every port accepts exactly the same language.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VlJson VlJson;

typedef enum {
    VL_JSON_NULL,
    VL_JSON_BOOL,
    VL_JSON_INT,
    VL_JSON_DOUBLE,
    VL_JSON_STRING,
    VL_JSON_ARRAY,
    VL_JSON_OBJECT,
} VlJsonKind;

/* Parses one JSON text of len bytes; NULL with VL_PROTOCOL_ERROR_INVALID_JSON on failure. */
VlJson *vl_json_parse(const char *text, gsize len, GError **error);
/*
 * vl_json_check() and vl_json_parse() in one pass over the text, the checker's grammar building
 * the tree (vl-json-check.h): what the two would give, for the price of the first. NULL with the
 * checker's error. For text from the guest or the network.
 */
VlJson *vl_json_parse_strict(const char *text, gsize len, guint max_depth, GError **error);
VlJson *vl_json_ref(VlJson *node);
void vl_json_unref(VlJson *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlJson, vl_json_unref)

VlJsonKind vl_json_kind(const VlJson *node);
const char *vl_json_kind_name(VlJsonKind kind);

/*
 * Reading is NULL-safe, so a chain like vl_json_get_string(vl_json_object_get(m, "id")) needs no
 * checks: a NULL node (an absent member) reads as null, and a getter returns 0, NULL or FALSE
 * for a node of another kind.
 */
/* Scalars: the value, or 0/NULL/FALSE when the node is of another kind. */
gboolean vl_json_get_bool(const VlJson *node);
gint64 vl_json_get_int(const VlJson *node);
double vl_json_get_double(const VlJson *node); /* INT nodes convert */
const char *vl_json_get_string(const VlJson *node);

/* Objects: a member, borrowed, or NULL when absent or node is not an object. */
VlJson *vl_json_object_get(const VlJson *node, const char *name);
guint vl_json_object_size(const VlJson *node);
typedef void (*VlJsonMemberFunc)(const char *name, VlJson *value, gpointer user_data);
/* Calls func for each member, in the object's order (as parsed or built). */
void vl_json_object_foreach(const VlJson *node, VlJsonMemberFunc func, gpointer user_data);

/* Arrays: the length, and an element, borrowed, or NULL when out of range. */
guint vl_json_array_length(const VlJson *node);
VlJson *vl_json_array_get(const VlJson *node, guint index);

/* A new object: a copy of object's members, with name set to the string value (replacing the
 * member if object has one, last otherwise). Owned by the caller. */
VlJson *vl_json_object_with_string(const VlJson *object, const char *name, const char *value);
/*
 * Overwrites the text of the string member (a password that has been used) with zeros, in the
 * tree itself; nothing when there is no such string. Copies of the node made with
 * vl_json_builder_add_node share that text, so they are wiped too.
 */
void vl_json_wipe_member(const VlJson *object, const char *member);

/* Compact text without a newline; the caller frees it. */
char *vl_json_to_string(const VlJson *node, gsize *ret_len);
/* Indented text for people (documentation, --dump-report); the caller frees it. */
char *vl_json_to_pretty_string(const VlJson *node);

/*
 * Building documents. The builder is a small stack machine: begin an object, name a member,
 * add a value, end the object. vl_json_builder_finish() hands over the root.
 *
 * A text builder writes the compact text (as vl_json_to_string would) into OUT as it goes,
 * with no tree: for what is only sent. Its vl_json_builder_finish() returns NULL. Unlike a tree,
 * it writes a member named twice twice.
 */
typedef struct _VlJsonBuilder VlJsonBuilder;
VlJsonBuilder *vl_json_builder_new(void);
VlJsonBuilder *vl_json_builder_new_text(GString *out);
void vl_json_builder_free(VlJsonBuilder *builder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlJsonBuilder, vl_json_builder_free)

void vl_json_builder_begin_object(VlJsonBuilder *builder);
void vl_json_builder_end_object(VlJsonBuilder *builder);
void vl_json_builder_begin_array(VlJsonBuilder *builder);
void vl_json_builder_end_array(VlJsonBuilder *builder);
void vl_json_builder_member(VlJsonBuilder *builder, const char *name);
void vl_json_builder_add_null(VlJsonBuilder *builder);
void vl_json_builder_add_bool(VlJsonBuilder *builder, gboolean value);
void vl_json_builder_add_int(VlJsonBuilder *builder, gint64 value);
/* A non-finite value (NaN, infinity) is written as null: JSON cannot carry it. */
void vl_json_builder_add_double(VlJsonBuilder *builder, double value);
void vl_json_builder_add_string(VlJsonBuilder *builder, const char *value);
/* Adds a copy of an existing node (and everything under it). */
void vl_json_builder_add_node(VlJsonBuilder *builder, const VlJson *node);
/* A member and its value in one call; a NULL string leaves the member out (optional members). */
void vl_json_builder_add_member_string(VlJsonBuilder *builder, const char *name, const char *value);
void vl_json_builder_add_member_int(VlJsonBuilder *builder, const char *name, gint64 value);
void vl_json_builder_add_member_bool(VlJsonBuilder *builder, const char *name, gboolean value);
VlJson *vl_json_builder_finish(VlJsonBuilder *builder);

G_END_DECLS
