/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-guest-cache.h"

#include "vl-catalogue.h"

typedef struct {
    VlJson *value; /* a node of a received report, referenced: no copy is made */
    gint64 updated;
} Section;

struct _VlGuestCache {
    Section sections[VL_GUEST_CACHE_MAX_SECTIONS];
};

static guint
n_sections(void)
{
    static guint n;

    if (n == 0) {
        while (vl_report_sections[n]) {
            n++;
        }
        g_assert(n <= VL_GUEST_CACHE_MAX_SECTIONS);
    }
    return n;
}

VlGuestCache *
vl_guest_cache_new(void)
{
    return g_new0(VlGuestCache, 1);
}

void
vl_guest_cache_clear(VlGuestCache *c)
{
    for (guint i = 0; i < VL_GUEST_CACHE_MAX_SECTIONS; i++) {
        g_clear_pointer(&c->sections[i].value, vl_json_unref);
        c->sections[i].updated = 0;
    }
}

void
vl_guest_cache_free(VlGuestCache *c)
{
    if (c) {
        vl_guest_cache_clear(c);
        g_free(c);
    }
}

int
vl_guest_cache_section_index(const char *name)
{
    for (guint i = 0; name && i < n_sections(); i++) {
        if (g_str_equal(vl_report_sections[i], name)) {
            return (int)i;
        }
    }
    return -1;
}

static void
set_section(VlGuestCache *c, guint i, VlJson *value, gint64 now_s)
{
    g_clear_pointer(&c->sections[i].value, vl_json_unref);
    c->sections[i].value = value;
    c->sections[i].updated = value ? now_s : 0;
}

guint
vl_guest_cache_apply_report(VlGuestCache *c, const VlJson *sections, gboolean full, gint64 now_s)
{
    guint mask = 0;

    for (guint i = 0; i < n_sections(); i++) {
        VlJson *value = vl_json_object_get(sections, vl_report_sections[i]);

        if (value) {
            set_section(c, i, vl_json_ref(value), now_s);
            mask |= 1u << i;
        } else if (full && c->sections[i].value) {
            set_section(c, i, NULL, now_s);
            mask |= 1u << i;
        }
    }
    return mask;
}

typedef struct {
    VlJsonBuilder *builder;
    const VlJson *skip; /* members also in this object are left out */
} CopyMembers;

static void
copy_member(const char *name, VlJson *value, gpointer user_data)
{
    CopyMembers *copy = user_data;

    if (copy->skip && vl_json_object_get(copy->skip, name)) {
        return;
    }
    vl_json_builder_member(copy->builder, name);
    vl_json_builder_add_node(copy->builder, value);
}

void
vl_guest_cache_apply_heartbeat(VlGuestCache *c, const VlJson *memory, gint64 now_s)
{
    int i = vl_guest_cache_section_index("memory");
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    CopyMembers old = {b, memory};
    CopyMembers new = {b, NULL};

    g_return_if_fail(i >= 0);
    vl_json_builder_begin_object(b);
    vl_json_object_foreach(c->sections[i].value, copy_member, &old);
    vl_json_object_foreach(memory, copy_member, &new);
    vl_json_builder_end_object(b);
    set_section(c, (guint)i, vl_json_builder_finish(b), now_s);
}

const VlJson *
vl_guest_cache_section(const VlGuestCache *c, guint i)
{
    return i < VL_GUEST_CACHE_MAX_SECTIONS ? c->sections[i].value : NULL;
}

gint64
vl_guest_cache_updated(const VlGuestCache *c, guint i)
{
    return i < VL_GUEST_CACHE_MAX_SECTIONS ? c->sections[i].updated : 0;
}

void
vl_guest_cache_add_sections(const VlGuestCache *c, guint mask, VlJsonBuilder *b)
{
    vl_json_builder_begin_object(b);
    for (guint i = 0; i < n_sections(); i++) {
        if ((mask & (1u << i)) && c->sections[i].value) {
            vl_json_builder_member(b, vl_report_sections[i]);
            vl_json_builder_add_node(b, c->sections[i].value);
        }
    }
    vl_json_builder_end_object(b);
}

void
vl_guest_cache_add_updated(const VlGuestCache *c, guint mask, VlJsonBuilder *b)
{
    vl_json_builder_begin_object(b);
    for (guint i = 0; i < n_sections(); i++) {
        if ((mask & (1u << i)) && c->sections[i].value) {
            vl_json_builder_member(b, vl_report_sections[i]);
            vl_json_builder_add_int(b, c->sections[i].updated);
        }
    }
    vl_json_builder_end_object(b);
}
