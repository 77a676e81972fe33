/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may be logged in by single sign-on, and on which consoles (issue 7): the [sso] group of
 * agent.conf. By default any user whose UID is in the system's normal-user range (UID_MIN to
 * UID_MAX of /etc/login.defs, else 1000 to 60000), never root, on the consoles "graphical"
 * (a greeter), tty1, ttyS0 and hvc0, tried in that order when the host names none.
 *
 * The decision is a pure function of the policy and an account as the system's user database
 * describes it (vl_sso_account_lookup: NSS, so LDAP or SSSD users count like local ones), so
 * that tests can state each rule. A user who does not exist is refused like a user the policy
 * forbids: the host never learns which it was.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_SSO_CONSOLE_GRAPHICAL "graphical"
#define VL_SSO_DEFAULT_PAM_SERVICE "vmlink-sso"
#define VL_SSO_DEFAULT_UID_MIN 1000
#define VL_SSO_DEFAULT_UID_MAX 60000
#define VL_SSO_CONSOLE_NAME_MAX 32

typedef struct {
    gboolean normal_users;   /* allow-normal-users: any user with a UID in the range */
    guint32 uid_min;         /* uid-min; 0: UID_MIN of login.defs */
    guint32 uid_max;         /* uid-max; 0: UID_MAX of login.defs */
    char **users;            /* users: allowed by name, whatever their UID (but 0) */
    char **groups;           /* groups: their members are allowed (but UID 0) */
    gboolean allow_root;     /* allow-root: UID 0 may be logged in; nothing else allows it */
    char **consoles;         /* consoles: allowed, in the order they are tried */
    guint token_ttl_s;       /* token-lifetime: how long credentials wait to be used */
    guint session_timeout_s; /* session-timeout: how long a console's session may take to start */
    char *pam_service;       /* pam-service: the PAM service that authenticates */
    char *socket_path;       /* credential-socket: where pam_vmlink.so fetches credentials */
} VlSsoPolicy;

void vl_sso_policy_init(VlSsoPolicy *policy);
void vl_sso_policy_clear(VlSsoPolicy *policy);

/* An account as the user database has it. */
typedef struct {
    char *name; /* the database's spelling of the name */
    guint32 uid;
    guint32 gid;
    char **groups; /* names of every group the user is in, the primary one included */
} VlSsoAccount;

void vl_sso_account_free(VlSsoAccount *account);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlSsoAccount, vl_sso_account_free)

/*
 * Whether NAME is one a user name can be: 1 to 256 bytes of letters, digits, '.', '_', '-',
 * '@' and '\\' (domain users), a trailing '$' allowed, and not starting with '-' (it is passed
 * to login programs as an argument). Checked before the user database is asked.
 */
gboolean vl_sso_user_name_valid(const char *name);
/* Whether NAME can be a console: "graphical", or 1 to 32 letters and digits starting with a
 * letter (tty1, ttyS0, hvc0). */
gboolean vl_sso_console_name_valid(const char *name);

/* The account of NAME from the system's user database, or NULL (no such user, or the name is
 * not valid). */
VlSsoAccount *vl_sso_account_lookup(const char *name);

/*
 * UID_MIN and UID_MAX from the text of a login.defs; each stays as it was when the file does
 * not set it or sets it to something that is not a UID. ret_min ends up at most ret_max, or
 * both are left alone.
 */
void vl_sso_parse_login_defs(const char *text, gsize len, guint32 *ret_min, guint32 *ret_max);
/* The normal-user range: the policy's, else ROOT/etc/login.defs', else 1000 to 60000. */
void vl_sso_policy_uid_range(const VlSsoPolicy *policy, const char *root, guint32 *ret_min,
                             guint32 *ret_max);

/* Whether the policy lets ACCOUNT be logged in, with UID_MIN..UID_MAX as the normal range. */
gboolean vl_sso_policy_allows_account(const VlSsoPolicy *policy, const VlSsoAccount *account,
                                      guint32 uid_min, guint32 uid_max);
/* Whether CONSOLE is one of the policy's consoles. */
gboolean vl_sso_policy_allows_console(const VlSsoPolicy *policy, const char *console);

G_END_DECLS
