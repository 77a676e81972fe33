/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the collector tests: runs a collector on a fixture tree and checks that what it
 * wrote is a valid report section per the catalogue.
 */
#pragma once

#include <check.h>
#include <string.h>

#include "vl-catalogue.h"
#include "vl-collector.h"

/* tests/unit/fixtures/<relative>, from the source tree. */
static inline char *
fixture_path(const char *relative)
{
    const char *root = g_getenv("VL_SOURCE_ROOT");
    return g_build_filename(root ? root : ".", "tests", "unit", "fixtures", relative, NULL);
}

/*
 * Runs collector on ctx; on success returns the section's value, already checked with
 * vl_report_validate_section(). On failure returns NULL and sets error.
 */
static inline VlJson *
collect_section(const VlCollector *collector, const VlCollectContext *ctx, GError **error)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) root = NULL;
    VlJson *value;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, collector->name);
    if (!collector->collect(ctx, b, error)) {
        return NULL;
    }
    vl_json_builder_end_object(b);
    root = vl_json_builder_finish(b);
    value = vl_json_object_get(root, collector->name);
    ck_assert_msg(value != NULL, "collector %s wrote no value", collector->name);
    if (!vl_report_validate_section(collector->name, value, error)) {
        return NULL;
    }
    return vl_json_ref(value);
}

/* Like collect_section(), but a failure fails the test with the error. */
static inline VlJson *
collect_valid(const VlCollector *collector, const VlCollectContext *ctx)
{
    g_autoptr(GError) error = NULL;
    VlJson *value = collect_section(collector, ctx, &error);

    ck_assert_msg(value != NULL, "collector %s: %s", collector->name,
                  error ? error->message : "no value");
    return value;
}

/* Runs collector on the fixture tree fixtures/<section>/<name>; the section, checked. */
static inline VlJson *
collect_fixture(const VlCollector *collector, const char *name)
{
    g_autofree char *relative = g_build_filename(collector->name, name, NULL);
    g_autofree char *root = fixture_path(relative);
    VlCollectContext ctx = {.root = root};

    return collect_valid(collector, &ctx);
}

/* A string member of a section, or NULL when absent; any other kind fails the test. */
static inline const char *
section_string(const VlJson *section, const char *name)
{
    const VlJson *value = vl_json_object_get(section, name);

    if (value == NULL) {
        return NULL;
    }
    ck_assert_int_eq(vl_json_kind(value), VL_JSON_STRING);
    return vl_json_get_string(value);
}

/* An integer member of a section, or absent when it is missing; any other kind fails. */
static inline gint64
section_int(const VlJson *section, const char *name, gint64 absent)
{
    const VlJson *value = vl_json_object_get(section, name);

    if (value == NULL) {
        return absent;
    }
    ck_assert_int_eq(vl_json_kind(value), VL_JSON_INT);
    return vl_json_get_int(value);
}

/*
 * Runs collector on the fixture tree fixtures/<section>/<name> and checks that it fails with
 * code, and that the message names the file (relative to the tree) and contains message: a
 * person reading the log must know where to look and why.
 */
static inline void
assert_collect_fails(const VlCollector *collector, const char *name, const char *file,
                     VlCollectorError code, const char *message)
{
    g_autofree char *relative = g_build_filename(collector->name, name, NULL);
    g_autofree char *root = fixture_path(relative);
    g_autofree char *path = g_build_filename(root, file, NULL);
    VlCollectContext ctx = {.root = root};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) section = collect_section(collector, &ctx, &error);

    ck_assert_ptr_null(section);
    ck_assert_msg(g_error_matches(error, VL_COLLECTOR_ERROR, code), "%s: %s", relative,
                  error ? error->message : "no error");
    ck_assert_msg(strstr(error->message, path) && strstr(error->message, message),
                  "%s: unexpected message: %s", relative, error->message);
}
