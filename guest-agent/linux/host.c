/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host: the guest's name, clock and boot.
 *
 * fqdn never asks DNS. getaddrinfo(AI_CANONNAME) can block the agent's only thread for the
 * resolver's whole timeout (5 s times 2 attempts by default) when the guest's network or DNS is
 * down, and its answer could change with nothing on the guest changing, which push-on-change
 * cannot see. The files that `hostname -f` reads first on nearly every guest ("files dns" in
 * nsswitch.conf) are read instead, in this order: a hostname that is already a domain name;
 * the canonical name /etc/hosts gives the hostname; hostname.domainname when the kernel's
 * domainname is set; else the hostname itself, as `hostname -f` prints it.
 *
 * timezone is the name the /etc/localtime symlink points to below zoneinfo/, else the first line
 * of /etc/timezone (Debian). utc_offset_s is that zone's offset now, from GLib and the running
 * system's tzdata (zone names mean the same everywhere, so fixture trees need no tzdata). A zone
 * without a name (a copied /etc/localtime, as on some Alpine guests) gets its offset from the C
 * library on "/", which reads that file itself, and none below another root.
 */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vl-collector.h"
#include "vl-collectors-linux.h"

#define LINE_FILE_MAX_SIZE 4096
#define HOSTS_MAX_SIZE (1024 * 1024) /* larger (ad-blocking lists) is skipped, not refused */

/* Catalogue bounds of the host section (protocol/vl-guest-catalogue.c). */
#define ZONE_MAX 64
#define BOOT_ID_MAX 64
#define UTC_OFFSET_MAX 50400

#define TZIF_HEADER_SIZE 44 /* struct tzhead, which GLib asserts a zone file holds */

void
vl_host_info_clear(VlHostInfo *info)
{
    g_clear_pointer(&info->hostname, g_free);
    g_clear_pointer(&info->fqdn, g_free);
    g_clear_pointer(&info->timezone, g_free);
    g_clear_pointer(&info->boot_id, g_free);
    info->has_utc_offset = FALSE;
    info->utc_offset_s = 0;
    info->uptime_s = -1;
}

/* Parsers ----------------------------------------------------------------------------------- */

gboolean
vl_host_line_parse(const char *text, gsize len, gsize max_len, char **ret_line, GError **error)
{
    gsize n = len;

    if (n > 0 && text[n - 1] == '\n') {
        n--;
    }
    if (n > max_len) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "longer than %" G_GSIZE_FORMAT " bytes", max_len);
        return FALSE;
    }
    for (gsize i = 0; i < n; i++) {
        if ((guchar)text[i] < 0x20 || text[i] == 0x7f) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                        "control character at offset %" G_GSIZE_FORMAT, i);
            return FALSE;
        }
    }
    if (!g_utf8_validate(text, (gssize)n, NULL)) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "not UTF-8");
        return FALSE;
    }
    *ret_line = g_strndup(text, n);
    return TRUE;
}

gboolean
vl_host_uptime_parse(const char *text, gsize len, gint64 *ret_seconds, GError **error)
{
    const char *p = text;
    const char *end = text + len;
    gint64 seconds = 0;

    while (p < end && g_ascii_isdigit(*p)) {
        int d = *p - '0';
        if (seconds > (G_MAXINT64 - d) / 10) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "uptime too large");
            return FALSE;
        }
        seconds = seconds * 10 + d;
        p++;
    }
    if (p == text) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "expected seconds since boot at offset 0");
        return FALSE;
    }
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && g_ascii_isdigit(*p)) {
            p++;
        }
        if (p == frac) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                        "expected decimals at offset %zu", (size_t)(p - text));
            return FALSE;
        }
    }
    /* The idle time follows; it is not reported. */
    if (p < end && *p != ' ' && *p != '\n') {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "unexpected character at offset %zu", (size_t)(p - text));
        return FALSE;
    }
    *ret_seconds = seconds;
    return TRUE;
}

gboolean
vl_host_boot_id_parse(const char *text, gsize len, char **ret_id, GError **error)
{
    char id[33];
    gsize n = len;
    gsize j = 0;

    if (n > 0 && text[n - 1] == '\n') {
        n--;
    }
    /* 8-4-4-4-12 hex digits, as the kernel writes a random UUID. */
    for (gsize i = 0; n == 36 && i < n; i++) {
        gboolean dash_here = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash_here ? text[i] != '-' : !g_ascii_isxdigit(text[i])) {
            break;
        }
        if (!dash_here) {
            id[j++] = g_ascii_tolower(text[i]);
        }
    }
    if (j != 32) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "not a UUID");
        return FALSE;
    }
    id[32] = '\0';
    *ret_id = g_strdup(id);
    return TRUE;
}

/* Whether name is ASCII DNS labels joined by dots; with at least one dot when need_dot. */
static gboolean
dns_name_valid(const char *name, gboolean need_dot)
{
    gsize len = strlen(name);
    gsize label = 0;
    gboolean dot = FALSE;

    if (len == 0 || len > VL_HOST_NAME_MAX || name[0] == '.' || name[len - 1] == '.') {
        return FALSE;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '.') {
            if (label == 0) {
                return FALSE; /* ".." */
            }
            dot = TRUE;
            label = 0;
        } else if (g_ascii_isalnum(*p) || *p == '-' || *p == '_') {
            if (++label > 63) {
                return FALSE;
            }
        } else {
            return FALSE;
        }
    }
    return dot || !need_dot;
}

gboolean
vl_host_fqdn_valid(const char *name)
{
    return dns_name_valid(name, TRUE);
}

char *
vl_host_hosts_lookup(const char *text, gsize len, const char *hostname)
{
    const char *p = text;
    const char *end = text + len;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        g_autofree char *line = g_strndup(p, (gsize)((eol ? eol : end) - p));
        g_auto(GStrv) fields = NULL;
        char *comment = strchr(line, '#');
        const char *canonical = NULL;
        gboolean listed = FALSE;
        guint n = 0;

        p = eol ? eol + 1 : end;
        if (comment) {
            *comment = '\0';
        }
        fields = g_strsplit_set(line, " \t\r", -1);
        /* fields[0] is the address, then the canonical name, then aliases; empty ones are runs
         * of blanks. */
        for (char **f = fields; *f; f++) {
            if (**f == '\0') {
                continue;
            }
            if (n == 0 && !g_hostname_is_ip_address(*f)) {
                break;
            }
            if (n == 1) {
                canonical = *f;
            }
            if (n >= 1 && g_ascii_strcasecmp(*f, hostname) == 0) {
                listed = TRUE;
            }
            n++;
        }
        if (listed && vl_host_fqdn_valid(canonical)) {
            return g_strdup(canonical);
        }
    }
    return NULL;
}

gboolean
vl_host_zone_valid(const char *name)
{
    gsize len = strlen(name);
    const char *component = name;

    if (len == 0 || len > ZONE_MAX || !g_ascii_isalpha(name[0])) {
        return FALSE;
    }
    for (const char *p = name;; p++) {
        if (*p == '/' || *p == '\0') {
            gsize n = (gsize)(p - component);
            if (n == 0 || (n == 1 && component[0] == '.') ||
                (n == 2 && component[0] == '.' && component[1] == '.')) {
                return FALSE;
            }
            if (*p == '\0') {
                return TRUE;
            }
            component = p + 1;
        } else if (!(g_ascii_isalnum(*p) || strchr("_+-.", *p))) {
            return FALSE;
        }
    }
}

char *
vl_host_zone_from_link(const char *target)
{
    const char *name = NULL;

    /* The zoneinfo folder may sit anywhere (/usr/share/zoneinfo, ../usr/share/zoneinfo,
     * /usr/share/lib/zoneinfo): take what follows its first occurrence as a whole component. */
    if (g_str_has_prefix(target, "zoneinfo/")) {
        name = target + strlen("zoneinfo/");
    } else {
        const char *found = strstr(target, "/zoneinfo/");
        name = found ? found + strlen("/zoneinfo/") : NULL;
    }
    return name && vl_host_zone_valid(name) ? g_strdup(name) : NULL;
}

char *
vl_host_zone_from_file(const char *text, gsize len)
{
    const char *eol = memchr(text, '\n', len);
    g_autofree char *line = g_strndup(text, (gsize)((eol ? eol : text + len) - text));

    g_strstrip(line);
    return vl_host_zone_valid(line) ? g_steal_pointer(&line) : NULL;
}

/* Writing ----------------------------------------------------------------------------------- */

static gboolean
fits(const char *value, gsize max)
{
    return value && value[0] && strlen(value) <= max && g_utf8_validate(value, -1, NULL);
}

void
vl_host_write(const VlHostInfo *info, VlJsonBuilder *b)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "hostname");
    vl_json_builder_add_string(b,
                               fits(info->hostname, VL_HOST_NAME_MAX) ? info->hostname : "(none)");
    /* A single label too: the hostname stands in when no domain is known. */
    if (info->fqdn && dns_name_valid(info->fqdn, FALSE)) {
        vl_json_builder_member(b, "fqdn");
        vl_json_builder_add_string(b, info->fqdn);
    }
    if (info->timezone && vl_host_zone_valid(info->timezone)) {
        vl_json_builder_member(b, "timezone");
        vl_json_builder_add_string(b, info->timezone);
    }
    if (info->has_utc_offset && info->utc_offset_s >= -UTC_OFFSET_MAX &&
        info->utc_offset_s <= UTC_OFFSET_MAX) {
        vl_json_builder_member(b, "utc_offset_s");
        vl_json_builder_add_int(b, info->utc_offset_s);
    }
    if (info->uptime_s >= 0) {
        vl_json_builder_member(b, "uptime_s");
        vl_json_builder_add_int(b, info->uptime_s);
    }
    if (fits(info->boot_id, BOOT_ID_MAX)) {
        vl_json_builder_member(b, "boot_id");
        vl_json_builder_add_string(b, info->boot_id);
    }
    vl_json_builder_end_object(b);
}

/* Collecting -------------------------------------------------------------------------------- */

typedef gboolean (*ParseFunc)(const char *text, gsize len, gpointer ret, GError **error);

/*
 * Reads and parses a file below ctx->root. A file that does not exist is an error when required;
 * otherwise *ret stays untouched. Only regular files are opened: a FIFO would block the agent.
 */
static gboolean
read_parsed(const VlCollectContext *ctx, const char *file, gboolean required, ParseFunc parse,
            gpointer ret, GError **error)
{
    g_autofree char *path = vl_collect_path(ctx, file);
    g_autofree char *text = NULL;
    gsize len = 0;

    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (required) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ, "cannot open %s: %s",
                        path, g_strerror(ENOENT));
            return FALSE;
        }
        return TRUE;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ, "%s is not a regular file",
                    path);
        return FALSE;
    }
    if (!vl_collect_read(ctx, file, LINE_FILE_MAX_SIZE, &text, &len, error)) {
        return FALSE;
    }
    if (!parse(text, len, ret, error)) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_name_line(const char *text, gsize len, gpointer ret, GError **error)
{
    return vl_host_line_parse(text, len, VL_HOST_NAME_MAX, ret, error);
}

static gboolean
parse_uptime(const char *text, gsize len, gpointer ret, GError **error)
{
    return vl_host_uptime_parse(text, len, ret, error);
}

static gboolean
parse_boot_id(const char *text, gsize len, gpointer ret, GError **error)
{
    return vl_host_boot_id_parse(text, len, ret, error);
}

static gboolean
parse_zone_file(const char *text, gsize len, gpointer ret, GError **error)
{
    *(char **)ret = vl_host_zone_from_file(text, len);
    return TRUE;
}

static gboolean
read_fqdn(const VlCollectContext *ctx, const char *hostname, char **ret_fqdn, GError **error)
{
    g_autofree char *hosts_path = vl_collect_path(ctx, "/etc/hosts");
    g_autofree char *hosts = NULL;
    g_autofree char *domain = NULL;
    gsize len = 0;

    if (vl_host_fqdn_valid(hostname)) {
        *ret_fqdn = g_strdup(hostname);
        return TRUE;
    }
    /* /etc/hosts is not the kernel's: unreadable or huge, it is merely not consulted. */
    if (g_file_test(hosts_path, G_FILE_TEST_IS_REGULAR) &&
        vl_collect_read(ctx, "/etc/hosts", HOSTS_MAX_SIZE, &hosts, &len, NULL)) {
        *ret_fqdn = vl_host_hosts_lookup(hosts, len, hostname);
        if (*ret_fqdn) {
            return TRUE;
        }
    }
    if (!read_parsed(ctx, "/proc/sys/kernel/domainname", FALSE, parse_name_line, &domain, error)) {
        return FALSE;
    }
    if (domain && domain[0] && !g_str_equal(domain, "(none)")) {
        g_autofree char *joined = g_strconcat(hostname, ".", domain, NULL);
        if (vl_host_fqdn_valid(joined)) {
            *ret_fqdn = g_steal_pointer(&joined);
            return TRUE;
        }
    }
    *ret_fqdn = g_strdup(hostname);
    return TRUE;
}

static gboolean
read_zone_name(const VlCollectContext *ctx, char **ret_zone, GError **error)
{
    g_autofree char *localtime = vl_collect_path(ctx, "/etc/localtime");
    g_autofree char *target = g_file_read_link(localtime, NULL);

    if (target) {
        *ret_zone = vl_host_zone_from_link(target);
        if (*ret_zone) {
            return TRUE;
        }
    }
    return read_parsed(ctx, "/etc/timezone", FALSE, parse_zone_file, ret_zone, error);
}

/* Whether path is a zone file: GLib asserts (a critical) on anything else, zone.tab say. */
static gboolean
is_zone_file(const char *path)
{
    char header[TZIF_HEADER_SIZE];
    gssize n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        return FALSE;
    }
    n = read(fd, header, sizeof(header));
    close(fd);
    return n == (gssize)sizeof(header) && memcmp(header, "TZif", 4) == 0;
}

/* The offset of the named zone now, from the running system's tzdata. */
static gboolean
zone_offset(const char *zone, gint64 *ret_offset)
{
    const char *tzdir = g_getenv("TZDIR");
    g_autofree char *path = NULL;
    g_autoptr(GTimeZone) tz = NULL;
    g_autoptr(GDateTime) now = NULL;

    path = g_build_filename(tzdir && *tzdir ? tzdir : "/usr/share/zoneinfo", zone, NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) || !is_zone_file(path)) {
        return FALSE;
    }
    /* An absolute path makes GLib read that file rather than search TZDIR again. */
    tz = g_time_zone_new_identifier(path);
    now = tz ? g_date_time_new_now(tz) : NULL;
    if (now == NULL) {
        return FALSE;
    }
    *ret_offset = g_date_time_get_utc_offset(now) / G_TIME_SPAN_SECOND;
    return TRUE;
}

/* The offset of this system's local time now, as every program of the guest sees it. */
static gboolean
local_offset(gint64 *ret_offset)
{
    time_t now = time(NULL);
    struct tm tm;

    /* localtime_r alone may use what an earlier tzset() read; tzset() reads a changed zone. */
    tzset();
    if (localtime_r(&now, &tm) == NULL) {
        return FALSE;
    }
    *ret_offset = tm.tm_gmtoff;
    return TRUE;
}

static gboolean
host_collect(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_auto(VlHostInfo) info = {.uptime_s = -1};

    if (!read_parsed(ctx, "/proc/sys/kernel/hostname", TRUE, parse_name_line, &info.hostname,
                     error)) {
        return FALSE;
    }
    if (info.hostname[0] && !read_fqdn(ctx, info.hostname, &info.fqdn, error)) {
        return FALSE;
    }
    if (!read_zone_name(ctx, &info.timezone, error)) {
        return FALSE;
    }
    if (info.timezone) {
        info.has_utc_offset = zone_offset(info.timezone, &info.utc_offset_s);
    }
    if (!info.has_utc_offset && g_str_equal(ctx->root, "/")) {
        info.has_utc_offset = local_offset(&info.utc_offset_s);
    }
    if (!read_parsed(ctx, "/proc/uptime", FALSE, parse_uptime, &info.uptime_s, error) ||
        !read_parsed(ctx, "/proc/sys/kernel/random/boot_id", FALSE, parse_boot_id, &info.boot_id,
                     error)) {
        return FALSE;
    }
    vl_host_write(&info, b);
    return TRUE;
}

const VlCollector vl_collector_host = {.name = "host", .collect = host_collect};
