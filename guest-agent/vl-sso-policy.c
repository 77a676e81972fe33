/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-sso-policy.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "vl-sso.h"

#define LOGIN_DEFS_MAX (256 * 1024) /* a login.defs is a few KiB; read no more than this */

static const char *const default_consoles[] = {VL_SSO_CONSOLE_GRAPHICAL, "tty1", "ttyS0", "hvc0",
                                               NULL};

void
vl_sso_policy_init(VlSsoPolicy *p)
{
    *p = (VlSsoPolicy){
        .normal_users = TRUE,
        .users = g_new0(char *, 1),
        .groups = g_new0(char *, 1),
        .consoles = g_strdupv((char **)default_consoles),
        .token_ttl_s = VL_SSO_TOKEN_TTL_S,
        .session_timeout_s = 20,
        .pam_service = g_strdup(VL_SSO_DEFAULT_PAM_SERVICE),
        .socket_path = g_strdup(VL_SSO_SOCKET_PATH),
    };
}

void
vl_sso_policy_clear(VlSsoPolicy *p)
{
    g_strfreev(p->users);
    g_strfreev(p->groups);
    g_strfreev(p->consoles);
    g_free(p->pam_service);
    g_free(p->socket_path);
    memset(p, 0, sizeof(*p));
}

void
vl_sso_account_free(VlSsoAccount *account)
{
    if (account) {
        g_free(account->name);
        g_strfreev(account->groups);
        g_free(account);
    }
}

gboolean
vl_sso_user_name_valid(const char *name)
{
    gsize len = name ? strlen(name) : 0;

    if (len == 0 || len > VL_SSO_USER_MAX || name[0] == '-') {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        char c = name[i];

        if (g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@' || c == '\\') {
            continue;
        }
        if (c == '$' && i == len - 1 && len > 1) {
            continue;
        }
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_sso_console_name_valid(const char *name)
{
    gsize len = name ? strlen(name) : 0;

    if (g_strcmp0(name, VL_SSO_CONSOLE_GRAPHICAL) == 0) {
        return TRUE;
    }
    if (len == 0 || len > VL_SSO_CONSOLE_NAME_MAX || !g_ascii_isalpha(name[0])) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isalnum(name[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

/* The names of the groups with these ids; a group the database cannot name is left out. */
static char **
group_names(const gid_t *gids, int n)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    long size = sysconf(_SC_GETGR_R_SIZE_MAX);
    g_autofree char *buf = NULL;
    gsize buf_len = size > 0 ? (gsize)size : 16384;

    buf = g_malloc(buf_len);
    for (int i = 0; i < n; i++) {
        struct group grp;
        struct group *found = NULL;
        int r;

        while ((r = getgrgid_r(gids[i], &grp, buf, buf_len, &found)) == ERANGE &&
               buf_len < 1024 * 1024) {
            buf_len *= 2;
            buf = g_realloc(buf, buf_len);
        }
        if (r == 0 && found &&
            !g_ptr_array_find_with_equal_func(names, grp.gr_name, g_str_equal, NULL)) {
            g_ptr_array_add(names, g_strdup(grp.gr_name));
        }
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

VlSsoAccount *
vl_sso_account_lookup(const char *name)
{
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    gsize buf_len = size > 0 ? (gsize)size : 16384;
    g_autofree char *buf = NULL;
    g_autofree gid_t *gids = NULL;
    struct passwd pw;
    struct passwd *found = NULL;
    VlSsoAccount *account;
    int n = 32;
    int r;

    if (!vl_sso_user_name_valid(name)) {
        return NULL;
    }
    buf = g_malloc(buf_len);
    while ((r = getpwnam_r(name, &pw, buf, buf_len, &found)) == ERANGE && buf_len < 1024 * 1024) {
        buf_len *= 2;
        buf = g_realloc(buf, buf_len);
    }
    /* The database's spelling goes to login programs as an argument: it must pass too. */
    if (r != 0 || found == NULL || !vl_sso_user_name_valid(pw.pw_name)) {
        return NULL;
    }
    gids = g_new(gid_t, n);
    if (getgrouplist(pw.pw_name, pw.pw_gid, gids, &n) < 0) {
        /* n now says how many there are. */
        gids = g_renew(gid_t, gids, n);
        if (getgrouplist(pw.pw_name, pw.pw_gid, gids, &n) < 0) {
            n = 0;
        }
    }
    account = g_new0(VlSsoAccount, 1);
    account->name = g_strdup(pw.pw_name);
    account->uid = pw.pw_uid;
    account->gid = pw.pw_gid;
    account->groups = group_names(gids, n);
    return account;
}

/* A UID as login.defs writes it: decimal digits, at most 2^32 - 2 (-1 means none). */
static gboolean
parse_uid(const char *text, guint32 *ret)
{
    guint64 value;

    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT32 - 1, &value, NULL)) {
        return FALSE;
    }
    *ret = (guint32)value;
    return TRUE;
}

void
vl_sso_parse_login_defs(const char *text, gsize len, guint32 *ret_min, guint32 *ret_max)
{
    guint32 min = *ret_min;
    guint32 max = *ret_max;
    const char *end = text + len;

    while (text < end) {
        const char *nl = memchr(text, '\n', (gsize)(end - text));
        g_autofree char *line = g_strndup(text, (nl ? nl : end) - text);
        g_auto(GStrv) words = NULL;

        text = nl ? nl + 1 : end;
        g_strstrip(line);
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        words = g_strsplit_set(line, " \t", -1);
        if (g_strv_length(words) < 2) {
            continue;
        }
        /* "UID_MIN   1000": the value is the last word, the spaces between are empty ones. */
        if (g_str_equal(words[0], "UID_MIN")) {
            parse_uid(words[g_strv_length(words) - 1], &min);
        } else if (g_str_equal(words[0], "UID_MAX")) {
            parse_uid(words[g_strv_length(words) - 1], &max);
        }
    }
    if (min <= max) {
        *ret_min = min;
        *ret_max = max;
    }
}

void
vl_sso_policy_uid_range(const VlSsoPolicy *p, const char *root, guint32 *ret_min, guint32 *ret_max)
{
    g_autofree char *path = g_build_filename(root ? root : "/", "etc", "login.defs", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    guint32 min = VL_SSO_DEFAULT_UID_MIN;
    guint32 max = VL_SSO_DEFAULT_UID_MAX;

    if (g_file_get_contents(path, &text, &len, NULL) && len <= LOGIN_DEFS_MAX) {
        vl_sso_parse_login_defs(text, len, &min, &max);
    }
    *ret_min = p->uid_min ? p->uid_min : min;
    *ret_max = p->uid_max ? p->uid_max : max;
}

gboolean
vl_sso_policy_allows_account(const VlSsoPolicy *p, const VlSsoAccount *account, guint32 uid_min,
                             guint32 uid_max)
{
    if (account->uid == 0) {
        return p->allow_root;
    }
    if (p->normal_users && account->uid >= uid_min && account->uid <= uid_max) {
        return TRUE;
    }
    if (g_strv_contains((const char *const *)p->users, account->name)) {
        return TRUE;
    }
    for (char **g = account->groups; g && *g; g++) {
        if (g_strv_contains((const char *const *)p->groups, *g)) {
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
vl_sso_policy_allows_console(const VlSsoPolicy *p, const char *console)
{
    return console && g_strv_contains((const char *const *)p->consoles, console);
}
