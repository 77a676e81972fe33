/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the QEMU guest agent commands read beyond the collectors (linux/qga-sys.c): CPUs and
 * memory blocks in trees made here, logins in the users fixture's utmp.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "qga-check.h"
#include "qga-net.h"
#include "vl-check.h"
#include "vl-qga-platform.h"
#include "vl-test-util.h"

START_TEST(test_vcpus)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-sys-XXXXXX");
    g_autofree char *got = NULL;
    g_autofree char *none = NULL;

    vl_test_put(root, "sys/devices/system/cpu/cpu0", NULL);         /* cannot go offline */
    vl_test_put(root, "sys/devices/system/cpu/cpu1/online", "0\n"); /* offline */
    vl_test_put(root, "sys/devices/system/cpu/cpu2/online", "1\n"); /* online */
    vl_test_put(root, "sys/devices/system/cpu/cpufreq", NULL);      /* not a CPU */
    got = qga_write_for(vl_qga_write_vcpus, root);
    ck_assert_str_eq(got, "[{\"logical-id\":0,\"online\":true,\"can-offline\":false},"
                          "{\"logical-id\":1,\"online\":false,\"can-offline\":true},"
                          "{\"logical-id\":2,\"online\":true,\"can-offline\":true}]");
    vl_test_remove_tree(root);
    none = qga_write_for(vl_qga_write_vcpus, root);
    ck_assert_str_eq(none, "error: the number of CPUs is not known");
}
END_TEST

START_TEST(test_memory_block)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-sys-XXXXXX");
    g_autofree char *got = NULL;
    g_autofree char *bad = NULL;
    g_autofree char *missing = NULL;

    missing = qga_write_for(vl_qga_write_memory_block_info, root);
    ck_assert(g_str_has_prefix(missing, "error: "));
    vl_test_put(root, "sys/devices/system/memory/block_size_bytes", "8000000\n");
    got = qga_write_for(vl_qga_write_memory_block_info, root);
    ck_assert_str_eq(got, "{\"size\":134217728}");
    vl_test_put(root, "sys/devices/system/memory/block_size_bytes", "huge\n");
    bad = qga_write_for(vl_qga_write_memory_block_info, root);
    ck_assert_str_eq(bad, "error: /sys/devices/system/memory/block_size_bytes holds no block "
                          "size in hexadecimal");
    vl_test_remove_tree(root);
}
END_TEST

START_TEST(test_users)
{
    const char *source = g_getenv("VL_SOURCE_ROOT");
    g_autofree char *root =
        g_build_filename(source ? source : ".", "tests/unit/fixtures/users/debian", NULL);
    g_autofree char *got = qga_write_for(vl_qga_write_users, root);
    g_autofree char *empty = qga_write_for(vl_qga_write_users, "/nonexistent");

    /* Each user once, with the first login: alice on tty2 before pts/2. */
    ck_assert_str_eq(got, "[{\"user\":\"alice\",\"login-time\":1763769600.0},"
                          "{\"user\":\"bob\",\"login-time\":1763769900.0}]");
    ck_assert_str_eq(empty, "[]");
}
END_TEST

/* guest-network-get-interfaces from a real kernel dump (fixtures/network/dump.bin): every
 * link, qemu-ga's names, addresses in the kernel's order (as getifaddrs gives them to qemu-ga),
 * six bytes of hardware address, counters only with an address. */
START_TEST(test_interfaces)
{
    const char *source = g_getenv("VL_SOURCE_ROOT");
    g_autofree char *path =
        g_build_filename(source ? source : ".", "tests/unit/fixtures/network/dump.bin", NULL);
    g_autofree char *contents = NULL;
    g_autofree char *text = NULL;
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) value = NULL;
    g_autoptr(GError) error = NULL;
    const VlJson *lo;
    const VlJson *d0;
    gsize len = 0;

    ck_assert_msg(g_file_get_contents(path, &contents, &len, &error), "%s", error->message);
    ck_assert_msg(vl_netlink_state_apply(state, contents, len, NULL, &error), "%s",
                  error ? error->message : "");
    vl_qga_write_interfaces_from(state, b);
    value = vl_json_builder_finish(b);
    ck_assert_uint_eq(vl_json_array_length(value), 3); /* d0, lo, veth0: none left out */
    d0 = vl_json_array_get(value, 0);
    lo = vl_json_array_get(value, 1);
    text = vl_json_to_string(vl_json_object_get(d0, "ip-addresses"), NULL);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(d0, "name")), "d0");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(d0, "hardware-address")),
                     "00:00:5e:00:53:01");
    ck_assert_str_eq(text, "[{\"ip-address-type\":\"ipv4\",\"ip-address\":\"198.51.100.7\","
                           "\"prefix\":24},{\"ip-address-type\":\"ipv4\",\"ip-address\":"
                           "\"198.51.100.130\",\"prefix\":25},{\"ip-address-type\":\"ipv6\","
                           "\"ip-address\":\"2001:db8:1::7\",\"prefix\":48},{\"ip-address-type\":"
                           "\"ipv6\",\"ip-address\":\"2001:db8::7\",\"prefix\":64}]");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(lo, "hardware-address")),
                     "00:00:00:00:00:00");
    ck_assert_ptr_nonnull(vl_json_object_get(vl_json_object_get(lo, "statistics"), "rx-bytes"));
    ck_assert_ptr_nonnull(vl_json_object_get(vl_json_object_get(lo, "statistics"), "tx-dropped"));
}
END_TEST

static char *
osinfo_for(const char *root, VlQgaCache *cache)
{
    VlCollectContext ctx = {.root = root};
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new_text(out);
    g_autoptr(GError) error = NULL;

    if (!vl_qga_write_osinfo(&ctx, cache, b, &error)) {
        return g_strdup_printf("error: %s", error->message);
    }
    return g_strdup(out->str);
}

/* guest-get-osinfo in qemu-ga's names; what is kept goes as soon as os-release changes, even
 * to text of the same size, or when /etc/os-release appears in front of /usr/lib's. */
START_TEST(test_osinfo_cache)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-os-XXXXXX");
    VlQgaCache *cache = vl_qga_cache_new();
    g_autofree char *first = NULL;
    g_autofree char *again = NULL;
    g_autofree char *changed = NULL;
    g_autofree char *front = NULL;
    g_autofree char *uncached = NULL;

    vl_test_put(root, "proc/sys/kernel/osrelease", "6.1.0-13-amd64\n");
    vl_test_put(root, "proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC\n");
    vl_test_put(root, "proc/sys/kernel/arch", "x86_64\n");
    vl_test_put(root, "usr/lib/os-release",
                "ID=debian\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n");
    first = osinfo_for(root, cache);
    ck_assert_str_eq(first, "{\"name\":\"Debian GNU/Linux\",\"kernel-release\":\"6.1.0-13-amd64\","
                            "\"version-id\":\"12\",\"kernel-version\":\"#1 SMP PREEMPT_DYNAMIC\","
                            "\"machine\":\"x86_64\",\"id\":\"debian\"}");
    again = osinfo_for(root, cache);
    ck_assert_str_eq(again, first);
    vl_test_put(root, "usr/lib/os-release",
                "ID=ubuntu\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n");
    changed = osinfo_for(root, cache);
    ck_assert_ptr_nonnull(strstr(changed, "\"id\":\"ubuntu\""));
    vl_test_put(root, "etc/os-release", "ID=fedora\n");
    front = osinfo_for(root, cache);
    ck_assert_ptr_nonnull(strstr(front, "\"name\":\"Linux\""));
    ck_assert_ptr_nonnull(strstr(front, "\"id\":\"fedora\""));
    uncached = osinfo_for(root, NULL);
    ck_assert_str_eq(uncached, front);
    vl_qga_cache_free(cache);
    vl_test_remove_tree(root);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_vcpus,      test_memory_block, test_users,
                                  test_interfaces, test_osinfo_cache, NULL};

    return vl_check_run(vl_check_suite("qga-sys", tests));
}
