/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-report.h"

#include "vl-catalogue.h"

VlJson *
vl_report_collect(const VlCollectContext *ctx, const char *const *sections)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    for (const VlCollector *const *c = vl_collectors; *c; c++) {
        g_autoptr(VlJsonBuilder) one = NULL;
        g_autoptr(VlJson) wrapper = NULL;
        g_autoptr(GError) error = NULL;
        VlJson *value;

        if (sections && !g_strv_contains(sections, (*c)->name)) {
            continue;
        }
        /* Each section is built on its own, so a failing collector leaves no half-written
         * value in the report. */
        one = vl_json_builder_new();
        vl_json_builder_begin_object(one);
        vl_json_builder_member(one, (*c)->name);
        if (!(*c)->collect(ctx, one, &error)) {
            g_warning("section %s left out of the report: %s", (*c)->name, error->message);
            continue;
        }
        vl_json_builder_end_object(one);
        wrapper = vl_json_builder_finish(one);
        value = vl_json_object_get(wrapper, (*c)->name);
        if (value == NULL || !vl_report_validate_section((*c)->name, value, &error)) {
            g_warning("section %s left out of the report: %s", (*c)->name,
                      error ? error->message : "no value");
            continue;
        }
        vl_json_builder_member(b, (*c)->name);
        vl_json_builder_add_node(b, value);
    }
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

VlJson *
vl_report_message(gint64 seq, gboolean full, const VlJson *sections)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "report");
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, seq);
    vl_json_builder_member(b, "full");
    vl_json_builder_add_bool(b, full);
    vl_json_builder_member(b, "sections");
    vl_json_builder_add_node(b, sections);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}
