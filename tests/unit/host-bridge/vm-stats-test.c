/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm.stats (vl-vm-stats.c) against libvirt's test driver, every result checked against the
 * control catalogue's vm.stats result fields.
 *
 * libvirt 9.0's test driver answers the bulk statistics calls with the state group alone. To
 * test the mapping of the other groups, this program also defines virConnectGetAllDomainStats
 * and virDomainListGetStats, which the linker prefers to libvirt's: they call libvirt's own and
 * then append the typed parameters a test sets to every record, named and typed as QEMU's
 * driver gives them (or, for the bounds tests, as a broken driver might).
 */
#include <check.h>
#include <dlfcn.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-protocol.h"
#include "vl-vm-ops.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static virConnectPtr conn;

/* The fake driver functions ----------------------------------------------------------------- */

typedef struct {
    char *name;
    int type; /* virTypedParameterType */
    unsigned long long ul;
    long long l;
    char *s;
} ExtraParam;

/* The parameters appended to each record, in order. */
static GArray *extra;

static void
extra_param_clear(gpointer data)
{
    ExtraParam *p = data;

    g_free(p->name);
    g_free(p->s);
}

static void
add_extra(int type, const char *name, unsigned long long ul, long long l, const char *s)
{
    ExtraParam p = {g_strdup(name), type, ul, l, g_strdup(s)};

    g_array_append_val(extra, p);
}

static void
add_ull(const char *name, unsigned long long value)
{
    add_extra(VIR_TYPED_PARAM_ULLONG, name, value, 0, NULL);
}

static void
add_uint(const char *name, unsigned int value)
{
    add_extra(VIR_TYPED_PARAM_UINT, name, value, 0, NULL);
}

static void
add_str(const char *name, const char *value)
{
    add_extra(VIR_TYPED_PARAM_STRING, name, 0, 0, value);
}

static void
append_extra(virDomainStatsRecordPtr *records, int n)
{
    for (int i = 0; i < n; i++) {
        virDomainStatsRecordPtr record = records[i];
        int max = record->nparams;

        for (guint j = 0; j < extra->len; j++) {
            ExtraParam *p = &g_array_index(extra, ExtraParam, j);
            int r = -1;

            switch (p->type) {
            case VIR_TYPED_PARAM_INT:
                r = virTypedParamsAddInt(&record->params, &record->nparams, &max, p->name,
                                         (int)p->l);
                break;
            case VIR_TYPED_PARAM_UINT:
                r = virTypedParamsAddUInt(&record->params, &record->nparams, &max, p->name,
                                          (unsigned int)p->ul);
                break;
            case VIR_TYPED_PARAM_LLONG:
                r = virTypedParamsAddLLong(&record->params, &record->nparams, &max, p->name, p->l);
                break;
            case VIR_TYPED_PARAM_ULLONG:
                r = virTypedParamsAddULLong(&record->params, &record->nparams, &max, p->name,
                                            p->ul);
                break;
            case VIR_TYPED_PARAM_STRING:
                r = virTypedParamsAddString(&record->params, &record->nparams, &max, p->name, p->s);
                break;
            }
            ck_assert_msg(r == 0, "cannot add %s", p->name);
        }
    }
}

typedef int (*AllStatsFunc)(virConnectPtr, unsigned int, virDomainStatsRecordPtr **, unsigned int);
typedef int (*ListStatsFunc)(virDomainPtr *, unsigned int, virDomainStatsRecordPtr **,
                             unsigned int);

/* The stats groups vl_vm_stats asked for last. */
static unsigned int asked_stats;

int
virConnectGetAllDomainStats(virConnectPtr c, unsigned int stats, virDomainStatsRecordPtr **ret,
                            unsigned int flags)
{
    AllStatsFunc real = (AllStatsFunc)dlsym(RTLD_NEXT, "virConnectGetAllDomainStats");
    int n = real(c, stats, ret, flags);

    asked_stats = stats;
    if (n > 0) {
        append_extra(*ret, n);
    }
    return n;
}

int
virDomainListGetStats(virDomainPtr *doms, unsigned int stats, virDomainStatsRecordPtr **ret,
                      unsigned int flags)
{
    ListStatsFunc real = (ListStatsFunc)dlsym(RTLD_NEXT, "virDomainListGetStats");
    int n = real(doms, stats, ret, flags);

    asked_stats = stats;
    if (n > 0) {
        append_extra(*ret, n);
    }
    return n;
}

/* Helpers ----------------------------------------------------------------------------------- */

static void
quiet_libvirt(void *data, virErrorPtr error)
{
}

static void
setup(void)
{
    conn = virConnectOpen("test:///default");
    ck_assert_ptr_nonnull(conn);
    extra = g_array_new(FALSE, TRUE, sizeof(ExtraParam));
    g_array_set_clear_func(extra, extra_param_clear);
}

static void
teardown(void)
{
    g_clear_pointer(&extra, g_array_unref);
    ck_assert_int_ge(virConnectClose(conn), 0);
    conn = NULL;
}

/* vm.stats of vm (NULL: all), checked against the catalogue; its "vms" array. */
static VlJson *
stats(const char *vm, guint want_vms)
{
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, "vm.stats", VL_SENDER_CLIENT);
    g_autoptr(GError) error = NULL;
    VlJson *result = vl_vm_stats(conn, vm, &error);
    g_autofree char *text = NULL;

    ck_assert_msg(result != NULL, "vm.stats failed: %s", error ? error->message : "?");
    ck_assert_ptr_nonnull(entry);
    text = vl_json_to_string(result, NULL);
    ck_assert_msg(vl_fields_validate(entry->result, result, "result", &error),
                  "%.2000s does not match the catalogue: %s", text, error->message);
    ck_assert_ptr_null(virGetLastError());
    ck_assert_uint_eq(vl_json_array_length(vl_json_object_get(result, "vms")), want_vms);
    ck_assert_uint_eq(asked_stats, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                                       VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                                       VIR_DOMAIN_STATS_BLOCK | VIR_DOMAIN_STATS_INTERFACE);
    return result;
}

static const VlJson *
vm_at(const VlJson *result, guint i)
{
    return vl_json_array_get(vl_json_object_get(result, "vms"), i);
}

static const char *
member(const VlJson *node, const char *name)
{
    return vl_json_get_string(vl_json_object_get(node, name));
}

static gint64
int_member(const VlJson *node, const char *name)
{
    const VlJson *value = vl_json_object_get(node, name);

    ck_assert_msg(value != NULL, "no member %s", name);
    ck_assert_int_eq(vl_json_kind(value), VL_JSON_INT);
    return vl_json_get_int(value);
}

static void
define_raw(const char *name, gboolean start)
{
    g_autofree char *xml = g_strdup_printf("<domain type='test'><name>%s</name>"
                                           "<memory>65536</memory><os><type>hvm</type></os>"
                                           "</domain>",
                                           name);
    virDomainPtr domain = start ? virDomainCreateXML(conn, xml, 0) : virDomainDefineXML(conn, xml);

    ck_assert_ptr_nonnull(domain);
    virDomainFree(domain);
}

/* The test driver's own records ------------------------------------------------------------- */

START_TEST(test_stats_one)
{
    g_autoptr(VlJson) result = stats("test", 1);
    const VlJson *vm = vm_at(result, 0);

    ck_assert_str_eq(member(vm, "name"), "test");
    ck_assert_str_eq(member(vm, "uuid"), TEST_UUID);
    ck_assert_str_eq(member(vm, "state"), "running");
    /* The test driver gives the state group alone: nothing else is made up. */
    ck_assert_uint_eq(vl_json_object_size(vm), 3);
}
END_TEST

START_TEST(test_stats_one_by_uuid_and_stopped)
{
    g_autoptr(VlJson) result = stats(TEST_UUID, 1);
    g_autoptr(VlJson) stopped = NULL;

    ck_assert_str_eq(member(vm_at(result, 0), "name"), "test");
    /* A stopped VM asked for by name has a record too, with its state. */
    define_raw("b-stopped", FALSE);
    stopped = stats("b-stopped", 1);
    ck_assert_str_eq(member(vm_at(stopped, 0), "name"), "b-stopped");
    ck_assert_str_eq(member(vm_at(stopped, 0), "state"), "shutoff");
}
END_TEST

START_TEST(test_stats_all)
{
    g_autoptr(VlJson) result = NULL;
    g_autoptr(VlJson) none = NULL;
    virDomainPtr domain;

    /* Every running VM, sorted by name; stopped ones are not asked about. */
    define_raw("b-stopped", FALSE);
    define_raw("z-transient", TRUE);
    define_raw("a-transient", TRUE);
    result = stats(NULL, 3);
    ck_assert_str_eq(member(vm_at(result, 0), "name"), "a-transient");
    ck_assert_str_eq(member(vm_at(result, 1), "name"), "test");
    ck_assert_str_eq(member(vm_at(result, 2), "name"), "z-transient");
    for (guint i = 0; i < 3; i++) {
        ck_assert_str_eq(member(vm_at(result, i), "state"), "running");
    }

    /* A paused VM is still active. */
    domain = virDomainLookupByName(conn, "test");
    ck_assert_int_eq(virDomainSuspend(domain), 0);
    g_clear_pointer(&result, vl_json_unref);
    result = stats(NULL, 3);
    ck_assert_str_eq(member(vm_at(result, 1), "state"), "paused");

    /* None running: an empty list. */
    ck_assert_int_eq(virDomainDestroy(domain), 0);
    virDomainFree(domain);
    for (const char *const *name = (const char *const[]){"a-transient", "z-transient", NULL}; *name;
         name++) {
        domain = virDomainLookupByName(conn, *name);
        ck_assert_int_eq(virDomainDestroy(domain), 0);
        virDomainFree(domain);
    }
    none = stats(NULL, 0);
}
END_TEST

START_TEST(test_stats_not_found)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_vm_stats(conn, "web1", &error);

    ck_assert_ptr_null(result);
    ck_assert(g_error_matches(error, VL_CALL_ERROR, VL_RPC_NOT_FOUND));
    ck_assert_str_eq(error->message, "no VM named web1 (vmlinkctl vm list shows the VMs)");
    ck_assert_ptr_null(virGetLastError());
}
END_TEST

/* Records as QEMU's driver gives them ------------------------------------------------------- */

START_TEST(test_stats_qemu_record)
{
    g_autoptr(VlJson) result = NULL;
    const VlJson *vm, *block, *net, *disk;

    /* Parameters of a QEMU guest with a disk, an empty cdrom and a NIC (virsh domstats). */
    add_ull("cpu.time", 9183475000ULL);
    add_ull("cpu.user", 4100000000ULL);
    add_uint("vcpu.current", 2);
    add_uint("vcpu.maximum", 4);
    add_extra(VIR_TYPED_PARAM_INT, "vcpu.0.state", 0, 1, NULL);
    add_ull("balloon.current", 1048576);
    add_ull("balloon.maximum", 2097152);
    add_ull("balloon.rss", 412000);
    add_uint("block.count", 2);
    add_str("block.0.name", "vda");
    add_str("block.0.path", "/var/lib/vmlink/web1.qcow2");
    add_ull("block.0.rd.reqs", 1200);
    add_ull("block.0.rd.bytes", 40960000);
    add_ull("block.0.wr.reqs", 300);
    add_ull("block.0.wr.bytes", 1228800);
    add_ull("block.0.capacity", 10737418240ULL);
    add_ull("block.0.allocation", 1610612736ULL);
    add_ull("block.0.physical", 1610612736ULL);
    add_str("block.1.name", "sda"); /* an empty cdrom: a name and nothing else */
    add_uint("net.count", 1);
    add_str("net.0.name", "vnet3");
    add_ull("net.0.rx.bytes", 123456);
    add_ull("net.0.rx.pkts", 900);
    add_ull("net.0.rx.errs", 0);
    add_ull("net.0.rx.drop", 4);
    add_ull("net.0.tx.bytes", 65432);
    add_ull("net.0.tx.pkts", 450);
    add_ull("net.0.tx.errs", 0);
    add_ull("net.0.tx.drop", 0);

    result = stats("test", 1);
    vm = vm_at(result, 0);
    ck_assert_str_eq(member(vm, "state"), "running");
    ck_assert_int_eq(int_member(vm, "cpu_time_ns"), 9183475000LL);
    ck_assert_int_eq(int_member(vm, "vcpus"), 2);
    ck_assert_int_eq(int_member(vm, "balloon_current_kib"), 1048576);
    ck_assert_int_eq(int_member(vm, "balloon_maximum_kib"), 2097152);
    ck_assert_int_eq(int_member(vm, "balloon_rss_kib"), 412000);

    block = vl_json_object_get(vm, "block");
    ck_assert_uint_eq(vl_json_array_length(block), 2);
    disk = vl_json_array_get(block, 0);
    ck_assert_str_eq(member(disk, "name"), "vda");
    ck_assert_str_eq(member(disk, "path"), "/var/lib/vmlink/web1.qcow2");
    ck_assert_int_eq(int_member(disk, "rd_reqs"), 1200);
    ck_assert_int_eq(int_member(disk, "rd_bytes"), 40960000);
    ck_assert_int_eq(int_member(disk, "wr_reqs"), 300);
    ck_assert_int_eq(int_member(disk, "wr_bytes"), 1228800);
    ck_assert_int_eq(int_member(disk, "capacity_bytes"), 10737418240LL);
    ck_assert_int_eq(int_member(disk, "allocation_bytes"), 1610612736LL);
    ck_assert_uint_eq(vl_json_object_size(disk), 8);
    disk = vl_json_array_get(block, 1);
    ck_assert_str_eq(member(disk, "name"), "sda");
    ck_assert_uint_eq(vl_json_object_size(disk), 1);

    net = vl_json_array_get(vl_json_object_get(vm, "net"), 0);
    ck_assert_uint_eq(vl_json_array_length(vl_json_object_get(vm, "net")), 1);
    ck_assert_str_eq(member(net, "name"), "vnet3");
    ck_assert_int_eq(int_member(net, "rx_bytes"), 123456);
    ck_assert_int_eq(int_member(net, "rx_pkts"), 900);
    ck_assert_int_eq(int_member(net, "rx_drop"), 4);
    ck_assert_int_eq(int_member(net, "tx_bytes"), 65432);
    ck_assert_int_eq(int_member(net, "tx_pkts"), 450);
    ck_assert_int_eq(int_member(net, "tx_drop"), 0);
    ck_assert_uint_eq(vl_json_object_size(net), 7);
}
END_TEST

START_TEST(test_stats_all_qemu_records)
{
    g_autoptr(VlJson) result = NULL;

    /* The bulk call maps every record the same way. */
    define_raw("a-transient", TRUE);
    add_ull("cpu.time", 5);
    add_uint("net.count", 0);
    result = stats(NULL, 2);
    for (guint i = 0; i < 2; i++) {
        ck_assert_int_eq(int_member(vm_at(result, i), "cpu_time_ns"), 5);
        ck_assert_uint_eq(vl_json_array_length(vl_json_object_get(vm_at(result, i), "net")), 0);
        ck_assert_ptr_null(vl_json_object_get(vm_at(result, i), "block"));
    }
}
END_TEST

/* Records no driver should give ------------------------------------------------------------- */

START_TEST(test_stats_bad_figures)
{
    g_autoptr(VlJson) result = NULL;
    const VlJson *vm;

    /* Out of range or of a type that is not an integer: left out, not wrapped or guessed. */
    add_ull("cpu.time", (unsigned long long)G_MAXINT64 + 1);
    add_uint("vcpu.current", 65537);
    add_str("balloon.current", "1024");
    add_extra(VIR_TYPED_PARAM_LLONG, "balloon.maximum", 0, -1, NULL);
    add_extra(VIR_TYPED_PARAM_INT, "balloon.rss", 0, 5, NULL); /* another integer type: kept */
    result = stats("test", 1);
    vm = vm_at(result, 0);
    ck_assert_ptr_null(vl_json_object_get(vm, "cpu_time_ns"));
    ck_assert_ptr_null(vl_json_object_get(vm, "vcpus"));
    ck_assert_ptr_null(vl_json_object_get(vm, "balloon_current_kib"));
    ck_assert_ptr_null(vl_json_object_get(vm, "balloon_maximum_kib"));
    ck_assert_int_eq(int_member(vm, "balloon_rss_kib"), 5);
}
END_TEST

START_TEST(test_stats_bad_devices)
{
    g_autoptr(VlJson) result = NULL;
    g_autofree char *long_path = g_strnfill(5000, 'p');
    const VlJson *block, *disk;

    /* A count far beyond the devices there are: it bounds a loop over names, never an index. */
    add_uint("block.count", 1000000);
    add_str("block.0.name", "vda");
    /* block.1: no name at all */
    add_str("block.2.name", "a-name-longer-than-thirty-two-bytes-is-refused");
    add_str("block.3.name", "vd\xff");
    add_str("block.4.name", "vdb");
    add_str("block.4.path", long_path);
    add_str("block.4.rd.bytes", "12");
    add_extra(VIR_TYPED_PARAM_INT, "block.4.wr.bytes", 0, -5, NULL);
    add_extra(VIR_TYPED_PARAM_LLONG, "block.4.rd.reqs", 0, 7, NULL);
    add_ull("block.4.capacity", (unsigned long long)G_MAXINT64 + 1);
    add_str("block.300.name", "vdz"); /* beyond the catalogue's 256 */
    add_str("block.5000000.name", "vdy");
    add_uint("block.0.count", 3); /* not a member of anything */
    /* No net.count: a net.0 alone does not make a "net" member. */
    add_str("net.0.name", "vnet0");

    result = stats("test", 1);
    block = vl_json_object_get(vm_at(result, 0), "block");
    ck_assert_uint_eq(vl_json_array_length(block), 2);
    ck_assert_str_eq(member(vl_json_array_get(block, 0), "name"), "vda");
    ck_assert_uint_eq(vl_json_object_size(vl_json_array_get(block, 0)), 1);
    disk = vl_json_array_get(block, 1);
    ck_assert_str_eq(member(disk, "name"), "vdb");
    ck_assert_int_eq(int_member(disk, "rd_reqs"), 7);
    ck_assert_uint_eq(vl_json_object_size(disk), 2);
    ck_assert_ptr_null(vl_json_object_get(vm_at(result, 0), "net"));
}
END_TEST

START_TEST(test_stats_device_bound)
{
    g_autoptr(VlJson) result = NULL;
    const VlJson *net;

    /* 300 NICs, each named: the catalogue's 256 go out, in libvirt's order. */
    add_ull("net.count", 300);
    for (int i = 0; i < 300; i++) {
        g_autofree char *name = g_strdup_printf("net.%d.name", i);
        g_autofree char *value = g_strdup_printf("vnet%d", i);
        g_autofree char *rx = g_strdup_printf("net.%d.rx.bytes", i);

        add_str(name, value);
        add_ull(rx, i);
    }
    result = stats("test", 1);
    net = vl_json_object_get(vm_at(result, 0), "net");
    ck_assert_uint_eq(vl_json_array_length(net), 256);
    ck_assert_str_eq(member(vl_json_array_get(net, 0), "name"), "vnet0");
    ck_assert_str_eq(member(vl_json_array_get(net, 255), "name"), "vnet255");
    ck_assert_int_eq(int_member(vl_json_array_get(net, 255), "rx_bytes"), 255);
}
END_TEST

static Suite *
vm_stats_suite(void)
{
    Suite *s = suite_create("vm-stats");
    TCase *tc;

    tc = tcase_create("test-driver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stats_one);
    tcase_add_test(tc, test_stats_one_by_uuid_and_stopped);
    tcase_add_test(tc, test_stats_all);
    tcase_add_test(tc, test_stats_not_found);
    suite_add_tcase(s, tc);

    tc = tcase_create("qemu-records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stats_qemu_record);
    tcase_add_test(tc, test_stats_all_qemu_records);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stats_bad_figures);
    tcase_add_test(tc, test_stats_bad_devices);
    tcase_add_test(tc, test_stats_device_bound);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(vm_stats_suite());
    int failed;

    virSetErrorFunc(NULL, quiet_libvirt);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
