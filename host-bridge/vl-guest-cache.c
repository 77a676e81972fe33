/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-guest-cache.h"

#include "vl-catalogue.h"

typedef struct {
    VlJson *value; /* a node of a received report, referenced: no copy is made */
    gint64 updated;
} Section;

#define MAX_FIGURES 16

/*
 * A heartbeat's memory figures, kept as numbers: a heartbeat comes every few seconds from every
 * VM, and keeping it as a JSON tree would mean building one and freeing the last one (cold in
 * the CPU's caches on a host of thousands of VMs) per heartbeat. The memory section is merged
 * from them only when someone reads it.
 */
typedef struct {
    gint64 values[MAX_FIGURES]; /* by position in the catalogue's memory fields */
    guint present;              /* bit mask of the values the last heartbeat had */
    gint64 time;                /* 0: no heartbeat since the memory section was last set */
} Figures;

struct _VlGuestCache {
    Section sections[VL_GUEST_CACHE_MAX_SECTIONS];
    Figures heartbeat;
};

/* The memory section's fields in the catalogue, and how many. */
static const VlField *
memory_fields(guint *ret_n)
{
    static const VlField *fields;
    static guint n;

    if (fields == NULL) {
        fields = vl_report_section_field("memory")->fields;
        while (fields[n].name) {
            n++;
        }
        g_assert(n <= MAX_FIGURES);
    }
    *ret_n = n;
    return fields;
}

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
    c->heartbeat.time = 0;
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
            if ((int)i == vl_guest_cache_section_index("memory")) {
                c->heartbeat.time = 0; /* the report is newer than any heartbeat */
            }
        } else if (full && c->sections[i].value) {
            set_section(c, i, NULL, now_s);
            mask |= 1u << i;
        }
    }
    return mask;
}

typedef struct {
    VlJsonBuilder *builder;
    const Figures *skip; /* members the heartbeat has are left out */
} CopyMembers;

static void
copy_member(const char *name, VlJson *value, gpointer user_data)
{
    CopyMembers *copy = user_data;
    guint n;
    const VlField *fields = memory_fields(&n);

    for (guint k = 0; k < n; k++) {
        if ((copy->skip->present & (1u << k)) && g_str_equal(fields[k].name, name)) {
            return;
        }
    }
    vl_json_builder_member(copy->builder, name);
    vl_json_builder_add_node(copy->builder, value);
}

void
vl_guest_cache_apply_heartbeat(VlGuestCache *c, const VlJson *memory, gint64 now_s)
{
    guint n;
    const VlField *fields = memory_fields(&n);

    c->heartbeat.present = 0;
    for (guint k = 0; k < n; k++) {
        const VlJson *value = vl_json_object_get(memory, fields[k].name);

        if (value && vl_json_kind(value) == VL_JSON_INT) {
            c->heartbeat.values[k] = vl_json_get_int(value);
            c->heartbeat.present |= 1u << k;
        }
    }
    c->heartbeat.time = now_s;
}

/* Folds the figures of the last heartbeat into the memory section, when someone reads it. */
static void
merge_heartbeat(VlGuestCache *c)
{
    int i = vl_guest_cache_section_index("memory");
    g_autoptr(VlJsonBuilder) b = NULL;
    CopyMembers old = {NULL, &c->heartbeat};
    guint n;
    const VlField *fields = memory_fields(&n);

    if (c->heartbeat.time == 0 || i < 0) {
        return;
    }
    b = vl_json_builder_new();
    old.builder = b;
    vl_json_builder_begin_object(b);
    vl_json_object_foreach(c->sections[i].value, copy_member, &old);
    for (guint k = 0; k < n; k++) {
        if (c->heartbeat.present & (1u << k)) {
            vl_json_builder_member(b, fields[k].name);
            vl_json_builder_add_int(b, c->heartbeat.values[k]);
        }
    }
    vl_json_builder_end_object(b);
    set_section(c, (guint)i, vl_json_builder_finish(b), c->heartbeat.time);
    c->heartbeat.time = 0;
}

const VlJson *
vl_guest_cache_section(VlGuestCache *c, guint i)
{
    merge_heartbeat(c);
    return i < VL_GUEST_CACHE_MAX_SECTIONS ? c->sections[i].value : NULL;
}

gint64
vl_guest_cache_updated(VlGuestCache *c, guint i)
{
    merge_heartbeat(c);
    return i < VL_GUEST_CACHE_MAX_SECTIONS ? c->sections[i].updated : 0;
}

void
vl_guest_cache_add_sections(VlGuestCache *c, guint mask, VlJsonBuilder *b)
{
    merge_heartbeat(c);
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
vl_guest_cache_add_updated(VlGuestCache *c, guint mask, VlJsonBuilder *b)
{
    merge_heartbeat(c);
    vl_json_builder_begin_object(b);
    for (guint i = 0; i < n_sections(); i++) {
        if ((mask & (1u << i)) && c->sections[i].value) {
            vl_json_builder_member(b, vl_report_sections[i]);
            vl_json_builder_add_int(b, c->sections[i].updated);
        }
    }
    vl_json_builder_end_object(b);
}
