/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-sso-login.h"

#include <string.h>

#include "vl-secmem.h"
#include "vl-sso-auth.h"
#include "vl-sso-console.h"
#include "vl-sso-greeter.h"
#include "vl-sso-socket.h"
#include "vl-sso-tokens.h"
#include "vl-sso.h"

/* clang-format off */
G_DEFINE_QUARK(vl-sso-login-error-quark, vl_sso_login_error)
/* clang-format on */

typedef struct _Attempt Attempt;

struct _VlSsoLogin {
    const VlSsoPolicy *policy;
    char *root;
    GDBusConnection *bus;
    VlSsoTokens *tokens;
    VlSsoSocket *socket;  /* open only while a login is in progress */
    VlSsoSocket *closing; /* the last login's, until the loop is out of its callbacks */
    guint closing_id;
    VlSsoGreeter *greeter;
    Attempt *current; /* the login in progress, or NULL */
};

/*
 * One login. Held by the login while in progress and by each pending callback (the PAM thread,
 * the console's start); whoever drops the last reference frees it. Once finished (its result
 * given, or the login freed), late callbacks only drop their reference.
 */
struct _Attempt {
    guint refs;
    VlSsoLogin *login; /* NULL once finished */
    char *user;
    char *console;
    gboolean graphical;
    VlSecret *token;
    guint timer_id;            /* when the attempt ends with timer_outcome, unless done first: */
    const char *timer_outcome; /* timed_out (the token's lifetime), not_allowed (the delay) */
    VlSsoLoginFunc func;
    gpointer user_data;
};

static Attempt *
attempt_ref(Attempt *a)
{
    a->refs++;
    return a;
}

static void
attempt_unref(Attempt *a)
{
    if (--a->refs == 0) {
        g_free(a->user);
        g_free(a->console);
        vl_secret_free(a->token);
        g_free(a);
    }
}

/* Takes the token back if nobody used it, so its credentials are wiped now, not at expiry. */
static void
revoke_token(Attempt *a)
{
    /* Out of the attempt first: taking it back is no greeter's use of it (on_token_taken). */
    g_autoptr(VlSecret) token = g_steal_pointer(&a->token);
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;

    if (a->login && token &&
        vl_sso_tokens_take(a->login->tokens, vl_secret_data(token), g_get_monotonic_time(), &user,
                           &password)) {
        g_debug("single sign-on: the token for %s was not used; withdrawn", a->user);
    }
}

static void
close_socket_now(VlSsoLogin *login)
{
    if (login->closing_id) {
        g_source_remove(login->closing_id);
        login->closing_id = 0;
    }
    g_clear_pointer(&login->closing, vl_sso_socket_free);
}

static gboolean
on_close_socket(gpointer user_data)
{
    VlSsoLogin *login = user_data;

    login->closing_id = 0;
    close_socket_now(login);
    return G_SOURCE_REMOVE;
}

/* The credential socket serves only a login in progress. A login may end inside one of the
 * socket's own callbacks (the greeter's fetch), so it is closed from the loop. */
static void
close_socket_soon(VlSsoLogin *login)
{
    if (login->socket == NULL) {
        return;
    }
    close_socket_now(login);
    login->closing = g_steal_pointer(&login->socket);
    login->closing_id = g_idle_add_full(G_PRIORITY_HIGH, on_close_socket, login, NULL);
}

/* Gives the host its answer (an outcome, or ERROR) and ends the attempt. */
static void
finish(Attempt *a, const char *outcome, const char *session, const GError *error)
{
    VlSsoLogin *login = a->login;
    const VlSsoLoginResult result = {outcome, a->console, session};
    g_autofree char *console = a->console ? g_strescape(a->console, NULL) : NULL;

    if (login == NULL) {
        return;
    }
    if (a->timer_id) {
        g_source_remove(a->timer_id);
        a->timer_id = 0;
    }
    revoke_token(a);
    a->login = NULL;
    login->current = NULL;
    close_socket_soon(login);
    if (error) {
        g_message("audit: single sign-on of %s on %s failed: %s", a->user,
                  console ? console : "(no console)", error->message);
    } else {
        g_message("audit: single sign-on of %s on %s: %s%s%s", a->user,
                  console ? console : "(no console)", outcome, session ? ", session " : "",
                  session ? session : "");
    }
    a->func(error ? NULL : &result, error, a->user_data);
    attempt_unref(a); /* the login's reference */
}

static void
finish_error(Attempt *a, VlSsoLoginError code, const char *message)
{
    g_autoptr(GError) error = g_error_new_literal(VL_SSO_LOGIN_ERROR, code, message);

    finish(a, NULL, NULL, error);
}

static gboolean
on_timer(gpointer user_data)
{
    Attempt *a = user_data;

    a->timer_id = 0;
    finish(a, a->timer_outcome, NULL, NULL);
    return G_SOURCE_REMOVE;
}

/* Ends the attempt with OUTCOME after DELAY_MS, unless something else ends it first. */
static void
finish_later(Attempt *a, const char *outcome, guint delay_ms)
{
    a->timer_outcome = outcome;
    a->timer_id = g_timeout_add(delay_ms, on_timer, a);
}
static void
on_token_taken(const char *token, gpointer user_data)
{
    VlSsoLogin *login = user_data;
    Attempt *a = login->current;

    /* A greeter's PAM stack fetched the credentials: the greeter has them now. On a text
     * console it is the agent's own PAM check, whose verdict is still to come. */
    if (a && a->graphical && a->token && g_str_equal(token, vl_secret_data(a->token))) {
        g_clear_pointer(&a->token, vl_secret_free);
        finish(a, "handed_to_greeter", NULL, NULL);
    }
}

static void
on_console_login(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Attempt *a = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *session = vl_sso_console_login_finish(result, &error);

    if (session) {
        finish(a, "logged_in", session, NULL);
    } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
        g_message("single sign-on: %s", error->message);
        finish(a, "timed_out", NULL, NULL);
    } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
        finish(a, "already_logged_in", NULL, NULL);
    } else {
        finish_error(a, VL_SSO_LOGIN_ERROR_FAILED, error->message);
    }
    attempt_unref(a);
}

static void
on_auth(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Attempt *a = user_data;
    g_autoptr(GError) error = NULL;
    VlSsoAuthResult verdict = VL_SSO_AUTH_REFUSED;
    gboolean ok = vl_sso_auth_finish(result, &verdict, &error);
    VlSsoLogin *login = a->login;

    if (login == NULL) {
        attempt_unref(a); /* timed out, or the agent is stopping */
        return;
    }
    revoke_token(a);
    if (!ok) {
        finish_error(a, VL_SSO_LOGIN_ERROR_FAILED, error->message);
    } else if (verdict == VL_SSO_AUTH_REFUSED) {
        finish(a, "wrong_credentials", NULL, NULL);
    } else if (verdict == VL_SSO_AUTH_ACCOUNT) {
        finish(a, "not_allowed", NULL, NULL);
    } else {
        if (a->timer_id) {
            g_source_remove(a->timer_id);
            a->timer_id = 0;
        }
        vl_sso_console_login_async(login->bus, a->console, a->user,
                                   login->policy->session_timeout_s, on_console_login,
                                   attempt_ref(a));
    }
    attempt_unref(a);
}

/* Whether CONSOLE can be used now: a greeter that listens, or a terminal that exists. */
static gboolean
console_present(VlSsoLogin *login, const char *console)
{
    if (g_str_equal(console, VL_SSO_CONSOLE_GRAPHICAL)) {
        return vl_sso_greeter_available(login->greeter) && vl_sso_console_graphical(login->bus);
    }
    return vl_sso_console_exists(login->root, console);
}

/* The console asked for, or the policy's first that is present; NULL with *ret_outcome set. */
static const char *
choose_console(VlSsoLogin *login, const char *asked, const char **ret_outcome)
{
    if (asked) {
        if (!vl_sso_console_name_valid(asked) ||
            !vl_sso_policy_allows_console(login->policy, asked)) {
            *ret_outcome = "not_allowed";
            return NULL;
        }
        if (!console_present(login, asked)) {
            *ret_outcome = "no_console";
            return NULL;
        }
        return asked;
    }
    for (char **c = login->policy->consoles; *c; c++) {
        if (console_present(login, *c)) {
            return *c;
        }
    }
    *ret_outcome = "no_console";
    return NULL;
}

/* Puts the credentials behind a new token, kept by the attempt in locked memory. */
static gboolean
hold_credentials(Attempt *a, const char *password, gsize password_len, GError **error)
{
    g_autofree char *token = vl_sso_tokens_add(a->login->tokens, a->user, password, password_len,
                                               g_get_monotonic_time(), error);

    if (token == NULL) {
        return FALSE;
    }
    a->token = vl_secret_new_from_data(token, strlen(token), error);
    explicit_bzero(token, strlen(token));
    if (a->token == NULL) {
        return FALSE;
    }
    finish_later(a, "timed_out", a->login->policy->token_ttl_s * 1000);
    return TRUE;
}

/* After the checks: the credentials to the greeter, or through PAM to a text console. */
static void
proceed(Attempt *a, const char *password, gsize password_len)
{
    VlSsoLogin *login = a->login;
    g_autoptr(GError) error = NULL;

    /* A socket left from the last login goes first: the path is the same. */
    close_socket_now(login);
    login->socket = vl_sso_socket_new(login->tokens, login->policy->socket_path, &error);
    if (login->socket == NULL) {
        g_autofree char *text =
            g_strdup_printf("the credential socket cannot be made: %s", error->message);

        finish_error(a, VL_SSO_LOGIN_ERROR_UNAVAILABLE, text);
        return;
    }
    if (!hold_credentials(a, password, password_len, &error)) {
        finish_error(a, VL_SSO_LOGIN_ERROR_FAILED, error->message);
        return;
    }
    if (a->graphical) {
        if (!vl_sso_greeter_announce(login->greeter, vl_secret_data(a->token), &error)) {
            finish_error(a, VL_SSO_LOGIN_ERROR_FAILED, error->message);
        }
        return;
    }
    vl_sso_auth_async(login->policy->pam_service, a->user, vl_secret_data(a->token), a->console,
                      on_auth, attempt_ref(a));
}

/* Whether a nologin file stops logins of people now, as pam_nologin would (its refusal would
 * otherwise come back as wrong credentials). */
static gboolean
logins_disabled(VlSsoLogin *login)
{
    static const char *const files[] = {"run/nologin", "etc/nologin"};

    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(login->root, files[i], NULL);

        if (g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_message("single sign-on: logins are disabled by /%s", files[i]);
            return TRUE;
        }
    }
    return FALSE;
}

/*
 * The checks, in an order that tells the host nothing about users: the console first (its
 * name, the policy, whether it is there, whether someone uses it), which does not depend on
 * the user, then the user, whose refusal comes after the same delay whether the user does not
 * exist or the policy forbids them, about as long as PAM takes to refuse a wrong password.
 */
void
vl_sso_login_start(VlSsoLogin *login, const char *user, const char *password, gsize password_len,
                   const char *console, VlSsoLoginFunc func, gpointer user_data)
{
    g_autoptr(VlSsoAccount) account = NULL;
    g_autoptr(GError) error = NULL;
    const char *outcome = NULL;
    const char *chosen;
    gboolean in_use = FALSE;
    guint32 uid_min;
    guint32 uid_max;
    Attempt *a;

    if (login->current) {
        error = g_error_new(VL_SSO_LOGIN_ERROR, VL_SSO_LOGIN_ERROR_BUSY,
                            "a single sign-on login of %s is in progress; try again once it is "
                            "done",
                            login->current->user);
        func(NULL, error, user_data);
        return;
    }
    a = g_new0(Attempt, 1);
    a->refs = 1;
    a->login = login;
    /* What the host sent, escaped for the log until the user database names the user. */
    a->user = g_strescape(user, NULL);
    a->func = func;
    a->user_data = user_data;
    login->current = a;
    {
        g_autofree char *shown = console ? g_strescape(console, NULL) : NULL;

        g_message("audit: single sign-on of %s on %s requested by the host", a->user,
                  shown ? shown : "(any console)");
    }

    chosen = choose_console(login, console, &outcome);
    a->console = g_strdup(chosen ? chosen : console);
    if (chosen == NULL) {
        finish(a, outcome, NULL, NULL);
        return;
    }
    a->graphical = g_str_equal(chosen, VL_SSO_CONSOLE_GRAPHICAL);
    if (!a->graphical) {
        if (!vl_sso_console_in_use(login->bus, chosen, &in_use, &error)) {
            finish_error(a, VL_SSO_LOGIN_ERROR_FAILED, error->message);
            return;
        }
        if (in_use) {
            finish(a, "already_logged_in", NULL, NULL);
            return;
        }
    }
    if (logins_disabled(login)) {
        finish(a, "not_allowed", NULL, NULL);
        return;
    }

    account = vl_sso_account_lookup(user);
    vl_sso_policy_uid_range(login->policy, login->root, &uid_min, &uid_max);
    if (account == NULL ||
        !vl_sso_policy_allows_account(login->policy, account, uid_min, uid_max)) {
        finish_later(a, "not_allowed", VL_SSO_REFUSAL_DELAY_MS);
        return;
    }
    /* From here on the user database's spelling of the name. */
    g_free(a->user);
    a->user = g_strdup(account->name);
    proceed(a, password, password_len);
}

VlSsoLogin *
vl_sso_login_new(const VlSsoPolicy *policy, const char *root, GDBusConnection *bus)
{
    VlSsoLogin *login = g_new0(VlSsoLogin, 1);

    login->policy = policy;
    login->root = g_strdup(root);
    login->bus = bus ? g_object_ref(bus) : NULL;
    login->tokens = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, policy->token_ttl_s);
    vl_sso_tokens_set_taken_func(login->tokens, on_token_taken, login);
    login->greeter = vl_sso_greeter_new(bus);
    return login;
}

void
vl_sso_login_free(VlSsoLogin *login)
{
    if (login == NULL) {
        return;
    }
    if (login->current) {
        finish_error(login->current, VL_SSO_LOGIN_ERROR_UNAVAILABLE,
                     "the agent stopped before the login was done");
    }
    close_socket_now(login);
    vl_sso_greeter_free(login->greeter);
    vl_sso_tokens_free(login->tokens);
    g_clear_object(&login->bus);
    g_free(login->root);
    g_free(login);
}
