/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the bridge keeps of a guest: full and partial reports, heartbeats, selections.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-guest-cache.h"

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "%s: %s", text, error ? error->message : "");
    return node;
}

/* Guest cache ---------------------------------------------------------------------------------- */

START_TEST(test_cache_merges)
{
    g_autoptr(VlGuestCache) cache = vl_guest_cache_new();
    g_autoptr(VlJson) full = parse("{\"os\":{\"id\":\"debian\",\"name\":\"D\",\"arch\":\"x\"},"
                                   "\"cpu\":{\"count\":2}}");
    g_autoptr(VlJson) partial = parse("{\"cpu\":{\"count\":4}}");
    g_autoptr(VlJson) memory = parse("{\"total_kib\":10,\"available_kib\":4}");
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJsonBuilder) t = vl_json_builder_new();
    g_autoptr(VlJson) out = NULL;
    g_autoptr(VlJson) times = NULL;
    int os = vl_guest_cache_section_index("os");
    int cpu = vl_guest_cache_section_index("cpu");
    int mem = vl_guest_cache_section_index("memory");

    ck_assert_int_eq(vl_guest_cache_section_index("nope"), -1);
    ck_assert_int_eq(vl_guest_cache_section_index(NULL), -1);
    ck_assert_uint_eq(vl_guest_cache_apply_report(cache, full, TRUE, 100),
                      (1u << os) | (1u << cpu));
    ck_assert_uint_eq(vl_guest_cache_apply_report(cache, partial, FALSE, 200), 1u << cpu);
    ck_assert_int_eq(vl_guest_cache_updated(cache, (guint)os), 100);
    ck_assert_int_eq(vl_guest_cache_updated(cache, (guint)cpu), 200);
    ck_assert_int_eq(
        vl_json_get_int(vl_json_object_get(vl_guest_cache_section(cache, (guint)cpu), "count")), 4);
    /* A heartbeat makes a memory section even when none was reported. */
    vl_guest_cache_apply_heartbeat(cache, memory, 300);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vl_guest_cache_section(cache, (guint)mem),
                                                        "available_kib")),
                     4);
    /* Only the sections asked for, only those held. */
    vl_guest_cache_add_sections(cache, (1u << os) | (1u << vl_guest_cache_section_index("users")),
                                b);
    out = vl_json_builder_finish(b);
    ck_assert_uint_eq(vl_json_object_size(out), 1);
    ck_assert_ptr_nonnull(vl_json_object_get(out, "os"));
    vl_guest_cache_add_updated(cache, G_MAXUINT, t);
    times = vl_json_builder_finish(t);
    ck_assert_uint_eq(vl_json_object_size(times), 3);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(times, "memory")), 300);
    /* A full report without os forgets os; clear forgets all. */
    ck_assert_uint_eq(vl_guest_cache_apply_report(cache, partial, TRUE, 400),
                      (1u << os) | (1u << cpu) | (1u << mem));
    ck_assert_ptr_null(vl_guest_cache_section(cache, (guint)os));
    vl_guest_cache_clear(cache);
    ck_assert_ptr_null(vl_guest_cache_section(cache, (guint)cpu));
    ck_assert_int_eq(vl_guest_cache_updated(cache, (guint)cpu), 0);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_cache_merges, NULL};

    return vl_check_run(vl_check_suite("guest-cache", tests));
}
