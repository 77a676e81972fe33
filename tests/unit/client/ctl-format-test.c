/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl's output for people: tables and human units (vl-ctl-format.c), and the result
 * formatters (vl-ctl-show.c, vl-ctl-guest.c) on results that follow the catalogue. Times are
 * shown in local time: the tests run with TZ=UTC.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test-util.h"
#include "vl-ctl-format.h"
#include "vl-ctl-show.h"
#include "vl-protocol.h"

#define UUID "0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f"

/* A result must follow the catalogue before a formatter sees it, as vl_client_call ensures. */
static VlJson *
result_of(const char *method, const char *text)
{
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, method, VL_SENDER_CLIENT);
    g_autoptr(GError) error = NULL;
    VlJson *result = test_util_parse(text);

    ck_assert_ptr_nonnull(entry);
    ck_assert_msg(vl_fields_validate(entry->result, result, "result", &error), "%s: %s", method,
                  error ? error->message : "?");
    return result;
}

typedef void (*ShowFunc)(const VlJson *params, const VlJson *result, GString *out);

static char *
show(ShowFunc func, const char *method, const char *params_text, const char *result_text)
{
    g_autoptr(VlJson) params = test_util_parse(params_text);
    g_autoptr(VlJson) result = result_of(method, result_text);
    GString *out = g_string_new(NULL);

    func(params, result, out);
    return g_string_free(out, FALSE);
}

static void
assert_lacks(const char *text, const char *part)
{
    ck_assert_msg(strstr(text, part) == NULL, "\"%s\" unexpectedly in:\n%s", part, text);
}

/* Values ------------------------------------------------------------------------------------- */

static void
expect_size(double bytes, const char *expected)
{
    g_autofree char *got = vl_ctl_format_size(bytes);

    ck_assert_msg(strcmp(got, expected) == 0, "size %.0f: \"%s\", expected \"%s\"", bytes, got,
                  expected);
}

START_TEST(test_sizes)
{
    expect_size(0, "0 B");
    expect_size(1023, "1023 B");
    expect_size(1024, "1 KiB");
    expect_size(1536, "1.5 KiB");
    expect_size(1048576, "1 MiB");
    expect_size(512.0 * 1048576, "512 MiB");
    expect_size(1073741824, "1 GiB");
    expect_size(15.5 * 1073741824, "15.5 GiB");
    expect_size(9.96 * 1099511627776, "10 TiB"); /* rounds to one decimal, then drops ".0" */
    expect_size(1152921504606846976.0 * 3, "3 EiB");
    expect_size(1152921504606846976.0 * 4096, "4096 EiB"); /* no unit past EiB */
    expect_size(-1, "-");
}
END_TEST

static void
expect_duration(gint64 seconds, const char *expected)
{
    g_autofree char *got = vl_ctl_format_duration(seconds);

    ck_assert_msg(strcmp(got, expected) == 0,
                  "duration %" G_GINT64_FORMAT ": \"%s\", expected "
                  "\"%s\"",
                  seconds, got, expected);
}

START_TEST(test_durations)
{
    expect_duration(0, "0s");
    expect_duration(42, "42s");
    expect_duration(60, "1m");
    expect_duration(312, "5m 12s");
    expect_duration(3600, "1h");
    expect_duration(7500, "2h 5m");
    expect_duration(7505, "2h 5m"); /* two units only */
    expect_duration(86400, "1d");
    expect_duration(273600, "3d 4h");
    expect_duration(-5, "-");
}
END_TEST

START_TEST(test_times_and_percentages)
{
    g_autofree char *with_ms = vl_ctl_format_time(1763769700123, TRUE);
    g_autofree char *without = vl_ctl_format_time(1763769700123, FALSE);
    g_autofree char *p21 = vl_ctl_format_percent(21, 100);
    g_autofree char *p_third = vl_ctl_format_percent(1, 3);
    g_autofree char *p_none = vl_ctl_format_percent(5, 0);

    ck_assert_str_eq(with_ms, "2025-11-22 00:01:40.123");
    ck_assert_str_eq(without, "2025-11-22 00:01:40");
    ck_assert_str_eq(p21, "21%");
    ck_assert_str_eq(p_third, "33%");
    ck_assert_str_eq(p_none, "-");
}
END_TEST

START_TEST(test_clean_and_width)
{
    g_autofree char *escape = vl_ctl_format_clean("\x1b[2Jgone\tfor\ngood\x7f");
    g_autofree char *c1 = vl_ctl_format_clean("a\xc2\x9b"
                                              "31mb");
    g_autofree char *bidi = vl_ctl_format_clean("file\xe2\x80\xaetxt.exe");
    g_autofree char *plain = vl_ctl_format_clean("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
    g_autofree char *invalid = vl_ctl_format_clean("bad\xff");

    ck_assert_str_eq(escape, "\\x1b[2Jgone\\x09for\\x0agood\\x7f");
    ck_assert_str_eq(c1, "a\\u009b31mb");
    ck_assert_str_eq(bidi, "file\\u202etxt.exe");
    ck_assert_str_eq(plain, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
    ck_assert(g_utf8_validate(invalid, -1, NULL));
    ck_assert(g_str_has_prefix(invalid, "bad"));

    ck_assert_uint_eq(vl_ctl_format_width("web1"), 4);
    ck_assert_uint_eq(vl_ctl_format_width("caf\xc3\xa9"), 4);
    ck_assert_uint_eq(vl_ctl_format_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* two wide ones */
    ck_assert_uint_eq(vl_ctl_format_width("e\xcc\x81"), 1);                /* e + combining */
}
END_TEST

/* Tables ------------------------------------------------------------------------------------- */

static char *
render(const VlCtlTable *t)
{
    GString *out = g_string_new(NULL);

    vl_ctl_table_render(t, out);
    return g_string_free(out, FALSE);
}

START_TEST(test_table_alignment)
{
    g_autoptr(VlCtlTable) t = vl_ctl_table_new("NAME", "SIZE", "NOTE", NULL);
    g_autofree char *text = NULL;

    vl_ctl_table_align_right(t, 1);
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "a");
    vl_ctl_table_cell(t, "1 GiB");
    vl_ctl_table_cell(t, "first");
    vl_ctl_table_row(t);
    vl_ctl_table_cellf(t, "%s-%d", "longer", 2);
    vl_ctl_table_cell_take(t, g_strdup("12 B"));
    vl_ctl_table_cell(t, NULL);
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "short row");
    ck_assert_uint_eq(vl_ctl_table_n_rows(t), 3);

    text = render(t);
    ck_assert_str_eq(text, "NAME        SIZE  NOTE\n"
                           "a          1 GiB  first\n"
                           "longer-2    12 B  -\n"
                           "short row\n");
}
END_TEST

START_TEST(test_table_wide_and_hostile_cells)
{
    g_autoptr(VlCtlTable) t = vl_ctl_table_new_plain();
    g_autofree char *text = NULL;

    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "\xe6\x97\xa5\xe6\x9c\xac");
    vl_ctl_table_cell(t, "x");
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "\x1b]0;owned\x07");
    vl_ctl_table_cell(t, "y");

    text = render(t);
    /* The wide name takes 4 columns; the escape sequence is shown, not sent. */
    ck_assert_str_eq(text, "\xe6\x97\xa5\xe6\x9c\xac              x\n"
                           "\\x1b]0;owned\\x07  y\n");
}
END_TEST

/* Results ------------------------------------------------------------------------------------ */

START_TEST(test_show_vm_list)
{
    g_autofree char *text =
        show(vl_ctl_show_vm_list, "vm.list", "{}",
             "{\"vms\":[{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"running\","
             "\"agent\":\"responsive\",\"memory_kib\":1048576,\"vcpus\":2},"
             "{\"name\":\"db-server\",\"uuid\":\"" UUID "\",\"state\":\"shutoff\","
             "\"agent\":\"absent\"},"
             "{\"name\":\"legacy\",\"uuid\":\"" UUID "\",\"state\":\"running\","
             "\"agent\":\"responsive\",\"agent_kind\":\"qemu-ga\",\"vcpus\":1}]}");
    g_autofree char *empty = show(vl_ctl_show_vm_list, "vm.list", "{}", "{\"vms\":[]}");

    ck_assert_str_eq(text, "NAME       STATE    AGENT                 MEMORY  VCPUS\n"
                           "web1       running  responsive             1 GiB      2\n"
                           "db-server  shutoff  absent                     -      -\n"
                           "legacy     running  responsive (qemu-ga)       -      1\n");
    ck_assert_str_eq(empty, "No VMs (vmlinkctl vm define FILE defines one).\n");
}
END_TEST

START_TEST(test_show_vm_stats)
{
    const char *result =
        "{\"vms\":[{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"running\","
        "\"cpu_time_ns\":125000000000,\"vcpus\":2,\"balloon_current_kib\":1048576,"
        "\"balloon_maximum_kib\":2097152,\"balloon_rss_kib\":524288,"
        "\"block\":[{\"name\":\"vda\",\"path\":\"/srv/web1.qcow2\",\"rd_bytes\":1048576,"
        "\"wr_bytes\":2048},{\"name\":\"vdb\",\"rd_bytes\":1048576}],"
        "\"net\":[{\"name\":\"vnet0\",\"rx_bytes\":3072,\"tx_bytes\":1024,\"rx_pkts\":10}]}]}";
    g_autofree char *all = show(vl_ctl_show_vm_stats, "vm.stats", "{}", result);
    g_autofree char *one = show(vl_ctl_show_vm_stats, "vm.stats", "{\"vm\":\"web1\"}", result);

    ck_assert_str_eq(all, "NAME  STATE    CPU TIME  VCPUS  MEMORY  MAX MEMORY      RSS  DISK "
                          "READ  DISK WRITTEN  NET RX  NET TX\n"
                          "web1  running     2m 5s      2   1 GiB       2 GiB  512 MiB      2 "
                          "MiB         2 KiB   3 KiB   1 KiB\n");
    /* One VM asked for: its devices one by one too. */
    ck_assert(g_str_has_prefix(one, all));
    ck_assert_str_eq(one + strlen(all),
                     "\nDISK   READ  WRITTEN  SIZE  ALLOCATED  SOURCE\n"
                     "vda   1 MiB    2 KiB     -          -  /srv/web1.qcow2\n"
                     "vdb   1 MiB        -     -          -  -\n"
                     "\nNIC    RECEIVED   SENT  RX PACKETS  TX PACKETS  RX DROPS  TX DROPS\n"
                     "vnet0     3 KiB  1 KiB          10           -         -         -\n");
}
END_TEST

START_TEST(test_show_lifecycle_and_devices)
{
    g_autofree char *state =
        show(vl_ctl_show_vm_state, "vm.start", "{\"vm\":\"web1\"}",
             "{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"running\"}");
    g_autofree char *shutdown =
        show(vl_ctl_show_vm_shutdown, "vm.shutdown", "{\"vm\":\"web1\"}",
             "{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"running\",\"via\":\"acpi\"}");
    g_autofree char *disk = show(vl_ctl_show_attached, "vm.attach_device", "{}",
                                 "{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"device\":"
                                 "{\"kind\":\"disk\",\"path\":\"/srv/d.img\",\"target\":\"vdb\"}}");
    g_autofree char *nic = show(vl_ctl_show_detached, "vm.detach_device", "{}",
                                "{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"device\":"
                                "{\"kind\":\"nic\",\"mac\":\"52:54:00:12:34:56\"}}");
    g_autofree char *reply =
        show(vl_ctl_show_guest_reply, "guest.lock", "{\"vm\":\"web1\"}", "{\"reply\":{}}");
    g_autofree char *reply_data = show(vl_ctl_show_guest_reply, "guest.lock", "{\"vm\":\"web1\"}",
                                       "{\"reply\":{\"locked\":2}}");
    g_autofree char *qmp =
        show(vl_ctl_show_qmp, "vm.qmp", "{}", "{\"return\":{\"status\":\"running\"}}");

    ck_assert_str_eq(state, "web1: running\n");
    ck_assert_str_eq(shutdown, "web1: shutdown asked through acpi (state now: running)\n");
    ck_assert_str_eq(disk, "web1: disk vdb attached\n");
    ck_assert_str_eq(nic, "web1: nic 52:54:00:12:34:56 detached\n");
    ck_assert_str_eq(reply, "web1: done\n");
    ck_assert_str_eq(reply_data, "web1: done: {\"locked\":2}\n");
    ck_assert_str_eq(qmp, "{\n  \"status\" : \"running\"\n}\n");
}
END_TEST

#define FINGERPRINT                                                                                \
    "FD:DA:20:A1:CB:34:09:B0:8F:86:12:2D:DC:CD:58:B1:DD:54:99:D6:0C:85:20:CD:C1:F9:66:C9:06:C5:"   \
    "0A:C5"

START_TEST(test_show_host_info)
{
    g_autofree char *text =
        show(vl_ctl_show_host_info, "host.info", "{}",
             "{\"name\":\"vmlinkd\",\"version\":\"0.1.0\",\"protocol_versions\":[1,2],"
             "\"hostname\":\"kvm1\",\"libvirt_uri\":\"qemu:///system\","
             "\"libvirt_connected\":true,\"vms\":3,\"agents\":2,"
             "\"fingerprint\":\"" FINGERPRINT "\",\"password_set\":false}");

    ck_assert_str_eq(text, "Bridge:             vmlinkd 0.1.0\n"
                           "Protocol versions:  1, 2\n"
                           "Host name:          kvm1\n"
                           "libvirt:            qemu:///system (connected)\n"
                           "VMs:                3\n"
                           "Agents connected:   2\n"
                           "TLS fingerprint:    " FINGERPRINT "\n"
                           "Agent password:     not set (vmlinkd --set-password)\n");
}
END_TEST

#define GUEST_INFO                                                                                 \
    "{\"name\":\"web1\",\"uuid\":\"" UUID "\","                                                    \
    "\"agent\":{\"state\":\"responsive\",\"name\":\"vmlink-agent\",\"version\":\"0.1.0\","         \
    "\"protocol\":1,\"connected_since\":1763769600},"                                              \
    "\"sections\":{"                                                                               \
    "\"os\":{\"id\":\"debian\",\"name\":\"Debian GNU/Linux\",\"pretty_name\":\"Debian GNU/Linux "  \
    "12 (bookworm)\",\"kernel_release\":\"6.1.0-18-amd64\",\"arch\":\"x86_64\"},"                  \
    "\"host\":{\"hostname\":\"web1\",\"fqdn\":\"web1.example.com\",\"uptime_s\":273600},"          \
    "\"network\":{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\","               \
    "\"addresses\":[{\"family\":\"ipv4\",\"address\":\"192.168.122.10\",\"prefix\":24},"           \
    "{\"family\":\"ipv6\",\"address\":\"fe80::1\",\"prefix\":64}]},{\"name\":\"eth1\"}]},"         \
    "\"memory\":{\"total_kib\":2097152,\"available_kib\":1572864},"                                \
    "\"applications\":[{\"name\":\"bash\",\"version\":\"5.2.15-2\"},{\"name\":\"\\u001b[31m"       \
    "evil\"}],"                                                                                    \
    "\"filesystems\":[{\"mountpoint\":\"/\",\"type\":\"ext4\",\"device\":\"/dev/vda1\","           \
    "\"total_bytes\":10737418240,\"used_bytes\":2147483648}],"                                     \
    "\"users\":[{\"name\":\"alice\",\"session\":\"3\",\"tty\":\"tty1\",\"since\":1763769600}],"    \
    "\"cpu\":{\"count\":2,\"load1\":0.5,\"load5\":0.25,\"load15\":0}},"                            \
    "\"updated\":{\"os\":1763769600},"                                                             \
    "\"counters\":{\"frames\":12,\"invalid\":0,\"rate_limited\":0,\"dropped_bytes\":0,"            \
    "\"connects\":1}}"

START_TEST(test_show_guest_info)
{
    g_autofree char *text =
        show(vl_ctl_show_guest_info, "guest.info", "{\"vm\":\"web1\"}", GUEST_INFO);
    g_autofree char *apps = show(vl_ctl_show_guest_info, "guest.info",
                                 "{\"vm\":\"web1\",\"sections\":[\"applications\"]}", GUEST_INFO);

    ck_assert_str_eq(text,
                     "VM:            web1 (" UUID ")\n"
                     "Agent:         responsive, vmlink-agent 0.1.0, protocol 1, connected since "
                     "2025-11-22 00:00:00\n"
                     "OS:            Debian GNU/Linux 12 (bookworm), x86_64\n"
                     "Kernel:        6.1.0-18-amd64\n"
                     "Host name:     web1 (web1.example.com)\n"
                     "Uptime:        3d 4h\n"
                     "Memory:        2 GiB total, 1.5 GiB available\n"
                     "CPUs:          2, load 0.50 0.25 0.00\n"
                     "Applications:  2 installed (--section applications lists them)\n"
                     "Channel:       12 messages, 0 refused, 1 connections\n"
                     "\n"
                     "INTERFACE  MAC                ADDRESSES\n"
                     "eth0       52:54:00:12:34:56  192.168.122.10/24, fe80::1/64\n"
                     "eth1       -                  -\n"
                     "\n"
                     "MOUNT POINT  TYPE  DEVICE       SIZE   USED  USE%\n"
                     "/            ext4  /dev/vda1  10 GiB  2 GiB   20%\n"
                     "\n"
                     "USER   SESSION  SEAT  TTY   FROM  SINCE                LOCKED\n"
                     "alice  3        -     tty1  -     2025-11-22 00:00:00  -\n");
    /* Asked for by name, applications are listed, and what a guest wrote is made harmless. */
    assert_lacks(apps, "Applications:");
    test_util_assert_contains(apps, "APPLICATION   VERSION\n"
                                    "bash          5.2.15-2\n"
                                    "\\x1b[31mevil  -\n");
    assert_lacks(apps, "\x1b");
}
END_TEST

START_TEST(test_show_guest_info_without_report)
{
    g_autofree char *text =
        show(vl_ctl_show_guest_info, "guest.info", "{\"vm\":\"web1\"}",
             "{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"agent\":{\"state\":\"absent\"},"
             "\"sections\":{},\"updated\":{},\"counters\":{\"frames\":0,\"invalid\":0,"
             "\"rate_limited\":0,\"dropped_bytes\":0,\"connects\":0}}");

    test_util_assert_contains(text, "Agent:    absent\n");
    test_util_assert_contains(text, "No report from the guest yet");
}
END_TEST

/* Events ------------------------------------------------------------------------------------- */

static char *
event_line(const char *params_text)
{
    g_autoptr(VlJson) params = test_util_parse(params_text);
    g_autoptr(GError) error = NULL;
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, "event", VL_SENDER_SERVER);

    ck_assert_msg(vl_fields_validate(entry->fields, params, "params", &error), "%s",
                  error ? error->message : "?");
    return vl_ctl_show_event(params);
}

#define EVENT_HEAD "{\"seq\":42,\"time\":1763769700123,\"vm\":\"web1\","

START_TEST(test_event_lines)
{
    g_autofree char *lifecycle = event_line(
        EVENT_HEAD "\"event\":\"vm.lifecycle\",\"data\":{\"state\":\"running\",\"reason\":"
                   "\"booted\"}}");
    g_autofree char *agent =
        event_line(EVENT_HEAD "\"event\":\"agent.state\",\"data\":{\"state\":\"responsive\"}}");
    g_autofree char *report = event_line(
        EVENT_HEAD "\"event\":\"guest.report\",\"data\":{\"sections\":[\"network\",\"users\"],"
                   "\"full\":false}}");
    g_autofree char *guest = event_line(
        EVENT_HEAD "\"event\":\"guest.event\",\"data\":{\"event\":\"session_logon\",\"time\":1,"
                   "\"data\":{\"user\":\"alice\",\"session\":\"3\"}}}");
    g_autofree char *hostile = event_line(
        "{\"seq\":43,\"time\":1763769700123,\"event\":\"guest.event\",\"data\":{\"event\":"
        "\"x\\u001b[2J\",\"data\":{}}}");

    ck_assert_str_eq(lifecycle, "2025-11-22 00:01:40.123  #42     vm.lifecycle  web1              "
                                "running (booted)");
    ck_assert_str_eq(agent, "2025-11-22 00:01:40.123  #42     agent.state   web1              "
                            "responsive");
    ck_assert_str_eq(report, "2025-11-22 00:01:40.123  #42     guest.report  web1              "
                             "changed: network, users");
    ck_assert_str_eq(guest, "2025-11-22 00:01:40.123  #42     guest.event   web1              "
                            "session_logon user=alice session=3");
    ck_assert_str_eq(hostile, "2025-11-22 00:01:40.123  #43     guest.event   -                 "
                              "x\\x1b[2J");
}
END_TEST

static Suite *
format_suite(void)
{
    Suite *s = suite_create("ctl-format");
    TCase *values = tcase_create("values");
    TCase *tables = tcase_create("tables");
    TCase *results = tcase_create("results");

    tcase_add_test(values, test_sizes);
    tcase_add_test(values, test_durations);
    tcase_add_test(values, test_times_and_percentages);
    tcase_add_test(values, test_clean_and_width);
    suite_add_tcase(s, values);

    tcase_add_test(tables, test_table_alignment);
    tcase_add_test(tables, test_table_wide_and_hostile_cells);
    suite_add_tcase(s, tables);

    tcase_add_test(results, test_show_vm_list);
    tcase_add_test(results, test_show_vm_stats);
    tcase_add_test(results, test_show_lifecycle_and_devices);
    tcase_add_test(results, test_show_host_info);
    tcase_add_test(results, test_show_guest_info);
    tcase_add_test(results, test_show_guest_info_without_report);
    tcase_add_test(results, test_event_lines);
    suite_add_tcase(s, results);
    return s;
}

int
main(void)
{
    /* Local time is shown: make it the same everywhere. */
    g_setenv("TZ", "UTC", TRUE);
    tzset();
    return vl_check_run(format_suite());
}
