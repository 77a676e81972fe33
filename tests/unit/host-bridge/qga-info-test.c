/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What libvirt's guest info API and qemu-ga's answers become in guest.info's sections: a
 * Debian guest's whole answer, a Windows domain user, and a guest that lies (huge counts, long
 * or broken strings, odd addresses, numbers out of range): what does not fit is left out,
 * entry by entry, and the rest always passes the catalogue.
 */
#include <string.h>

#include "vl-catalogue.h"
#include "vl-check.h"
#include "vl-qga-info.h"

typedef struct {
    virTypedParameterPtr params;
    int n;
    int max;
} Params;

static void
add_string(Params *p, const char *key, const char *value)
{
    ck_assert_int_eq(virTypedParamsAddString(&p->params, &p->n, &p->max, key, value), 0);
}

static void
add_uint(Params *p, const char *key, unsigned int value)
{
    ck_assert_int_eq(virTypedParamsAddUInt(&p->params, &p->n, &p->max, key, value), 0);
}

static void
add_ullong(Params *p, const char *key, unsigned long long value)
{
    ck_assert_int_eq(virTypedParamsAddULLong(&p->params, &p->n, &p->max, key, value), 0);
}

static void
add_int(Params *p, const char *key, int value)
{
    ck_assert_int_eq(virTypedParamsAddInt(&p->params, &p->n, &p->max, key, value), 0);
}

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "%s: %s", text, error ? error->message : "");
    return node;
}

/* The sections as compact JSON text; each one checked against the catalogue. */
static char *
convert(Params *p, const char *vcpus, const char *load, guint *ret_dropped)
{
    g_autoptr(VlJson) vcpus_node = vcpus ? parse(vcpus) : NULL;
    g_autoptr(VlJson) load_node = load ? parse(load) : NULL;
    VlQgaInfo info = {
        .params = p->params, .n_params = p->n, .vcpus = vcpus_node, .load = load_node};
    g_autoptr(VlJson) sections = vl_qga_info_sections(&info, ret_dropped);

    for (guint i = 0; vl_report_sections[i]; i++) {
        const VlJson *value = vl_json_object_get(sections, vl_report_sections[i]);
        g_autoptr(GError) error = NULL;

        ck_assert_msg(value == NULL ||
                          vl_report_validate_section(vl_report_sections[i], value, &error),
                      "%s", error ? error->message : "");
    }
    virTypedParamsFree(p->params, p->n);
    *p = (Params){0};
    return vl_json_to_string(sections, NULL);
}

/* What libvirt 9.0 returns for the Debian test guest with qemu-ga 7.2. */
START_TEST(test_debian_guest)
{
    Params p = {0};
    guint dropped = 99;
    g_autofree char *out = NULL;

    add_uint(&p, "user.count", 1);
    add_string(&p, "user.0.name", "vltest");
    add_ullong(&p, "user.0.login-time", 1765140000123ULL);
    add_string(&p, "os.id", "debian");
    add_string(&p, "os.name", "Debian GNU/Linux");
    add_string(&p, "os.pretty-name", "Debian GNU/Linux 12 (bookworm)");
    add_string(&p, "os.version", "12 (bookworm)");
    add_string(&p, "os.version-id", "12");
    add_string(&p, "os.kernel-release", "6.1.0-27-amd64");
    add_string(&p, "os.kernel-version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1");
    add_string(&p, "os.machine", "x86_64");
    add_string(&p, "timezone.name", "UTC");
    add_int(&p, "timezone.offset", 0);
    add_string(&p, "hostname", "debian-guest");
    add_uint(&p, "fs.count", 1);
    add_string(&p, "fs.0.name", "vda1");
    add_string(&p, "fs.0.mountpoint", "/");
    add_string(&p, "fs.0.fstype", "ext4");
    add_ullong(&p, "fs.0.total-bytes", 10737418240ULL);
    add_ullong(&p, "fs.0.used-bytes", 2147483648ULL);
    add_uint(&p, "fs.0.disk.count", 1);
    add_string(&p, "fs.0.disk.0.device", "/dev/vda1");
    add_uint(&p, "disk.count", 1);
    add_string(&p, "disk.0.name", "/dev/vda");
    add_uint(&p, "if.count", 2);
    add_string(&p, "if.0.name", "lo");
    add_string(&p, "if.0.hwaddr", "00:00:00:00:00:00");
    add_uint(&p, "if.0.addr.count", 2);
    add_string(&p, "if.0.addr.0.type", "ipv4");
    add_string(&p, "if.0.addr.0.addr", "127.0.0.1");
    add_uint(&p, "if.0.addr.0.prefix", 8);
    add_string(&p, "if.0.addr.1.type", "ipv6");
    add_string(&p, "if.0.addr.1.addr", "::1");
    add_uint(&p, "if.0.addr.1.prefix", 128);
    add_string(&p, "if.1.name", "eth0");
    add_string(&p, "if.1.hwaddr", "52:54:00:12:34:56");
    add_uint(&p, "if.1.addr.count", 1);
    add_string(&p, "if.1.addr.0.type", "ipv4");
    add_string(&p, "if.1.addr.0.addr", "198.51.100.2");
    add_uint(&p, "if.1.addr.0.prefix", 24);

    out = convert(&p,
                  "[{\"online\":true,\"can-offline\":false,\"logical-id\":0},"
                  "{\"online\":false,\"can-offline\":true,\"logical-id\":1},"
                  "{\"online\":true,\"can-offline\":true,\"logical-id\":2}]",
                  NULL, &dropped);
    ck_assert_str_eq(
        out, "{\"os\":{\"id\":\"debian\",\"name\":\"Debian GNU/Linux\","
             "\"pretty_name\":\"Debian GNU/Linux 12 (bookworm)\",\"version\":\"12 (bookworm)\","
             "\"version_id\":\"12\",\"kernel_release\":\"6.1.0-27-amd64\","
             "\"kernel_version\":\"#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1\",\"arch\":\"x86_64\"},"
             "\"host\":{\"hostname\":\"debian-guest\",\"utc_offset_s\":0},"
             "\"network\":{\"interfaces\":["
             "{\"name\":\"lo\",\"mac\":\"00:00:00:00:00:00\",\"addresses\":["
             "{\"family\":\"ipv4\",\"address\":\"127.0.0.1\",\"prefix\":8},"
             "{\"family\":\"ipv6\",\"address\":\"::1\",\"prefix\":128}]},"
             "{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\",\"addresses\":["
             "{\"family\":\"ipv4\",\"address\":\"198.51.100.2\",\"prefix\":24}]}]},"
             "\"filesystems\":[{\"mountpoint\":\"/\",\"type\":\"ext4\",\"device\":\"/dev/vda1\","
             "\"total_bytes\":10737418240,\"used_bytes\":2147483648}],"
             "\"users\":[{\"name\":\"vltest\",\"since\":1765140000}],"
             "\"cpu\":{\"count\":2}}");
    ck_assert_uint_eq(dropped, 0);
}
END_TEST

/* A Windows guest: its users have a domain, the load comes from a newer qemu-ga. */
START_TEST(test_windows_user_and_load)
{
    Params p = {0};
    g_autofree char *out = NULL;

    add_uint(&p, "user.count", 2);
    add_string(&p, "user.0.name", "alice");
    add_string(&p, "user.0.domain", "CORP");
    add_ullong(&p, "user.0.login-time", 1000);
    add_string(&p, "user.1.name", "Administrator");
    add_string(&p, "user.1.domain", "");
    out = convert(&p, "[{\"online\":true,\"logical-id\":0}]",
                  "{\"load1\":0.5,\"load5\":1,\"load15\":0.25}", NULL);
    ck_assert_str_eq(out, "{\"users\":[{\"name\":\"CORP\\\\alice\",\"since\":1},"
                          "{\"name\":\"Administrator\"}],"
                          "\"cpu\":{\"count\":1,\"load1\":0.5,\"load5\":1.0,\"load15\":0.25}}");
}
END_TEST

/* Nothing known, nothing made; no online vCPU, no cpu section. */
START_TEST(test_nothing)
{
    Params p = {0};
    g_autofree char *out = convert(&p, "[{\"online\":false}]", "\"nonsense\"", NULL);

    ck_assert_str_eq(out, "{}");
}
END_TEST

/* A guest that lies: counts far beyond the catalogue, entries without their required members,
 * strings too long or not UTF-8, an address family that does not exist, a prefix of 300, a
 * size beyond 2^63, a name with a slash. */
START_TEST(test_hostile_guest)
{
    Params p = {0};
    g_autofree char *long_name = g_strnfill(300, 'x');
    guint dropped = 0;
    g_autofree char *out = NULL;

    add_string(&p, "os.id", "debian");
    add_string(&p, "os.name", long_name); /* 256 at most: the whole os section goes */
    add_string(&p, "os.machine", "x86_64");
    add_string(&p, "hostname", "h\xff");   /* not UTF-8: as if absent, so no host section */
    add_uint(&p, "if.count", 4000000000U); /* 1024 at most are looked at */
    add_string(&p, "if.0.name", "eth0");
    add_uint(&p, "if.0.addr.count", 3);
    add_string(&p, "if.0.addr.0.type", "ipx");
    add_string(&p, "if.0.addr.0.addr", "1.2.3.4");
    add_uint(&p, "if.0.addr.0.prefix", 8);
    add_string(&p, "if.0.addr.1.type", "ipv4");
    add_string(&p, "if.0.addr.1.addr", "10.0.0.1");
    add_uint(&p, "if.0.addr.1.prefix", 300);
    add_string(&p, "if.0.addr.2.type", "ipv6");
    add_string(&p, "if.0.addr.2.addr", "fe80::1");
    add_uint(&p, "if.0.addr.2.prefix", 64);
    add_int(&p, "fs.count", -5); /* none */
    add_uint(&p, "user.count", 2);
    add_string(&p, "user.0.name", "bob");
    add_ullong(&p, "user.0.login-time", G_MAXUINT64); /* beyond gint64: left out */
    add_string(&p, "user.1.domain", "NOBODY");        /* no name: the entry goes */
    out = convert(&p, NULL, NULL, &dropped);
    ck_assert_str_eq(out, "{\"network\":{\"interfaces\":[{\"name\":\"eth0\",\"addresses\":["
                          "{\"family\":\"ipv6\",\"address\":\"fe80::1\",\"prefix\":64}]}]},"
                          "\"filesystems\":[],\"users\":[{\"name\":\"bob\"}]}");
    /* os, 1023 nameless interfaces, two addresses, one user */
    ck_assert_uint_eq(dropped, 1 + 1023 + 2 + 1);
}
END_TEST

/* A file system name that is not a kernel name gets no device. */
START_TEST(test_filesystem_names)
{
    Params p = {0};
    g_autofree char *out = NULL;

    add_uint(&p, "fs.count", 2);
    add_string(&p, "fs.0.name", "../../etc");
    add_string(&p, "fs.0.mountpoint", "/a");
    add_string(&p, "fs.1.mountpoint", "/b");
    add_string(&p, "fs.1.fstype", "xfs");
    out = convert(&p, NULL, NULL, NULL);
    ck_assert_str_eq(out, "{\"filesystems\":[{\"mountpoint\":\"/a\"},"
                          "{\"mountpoint\":\"/b\",\"type\":\"xfs\"}]}");
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_debian_guest,  test_windows_user_and_load, test_nothing,
                                  test_hostile_guest, test_filesystem_names,      NULL};

    if (virInitialize() < 0) { /* its thread-local errors, used by virTypedParams* */
        return 1;
    }
    return vl_check_run(vl_check_suite("qga-info", tests));
}
