/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ownership from the manager's side: host info with what this manager knows of the bridge,
 * take-ownership (check the bridge's fingerprint, prove the password, pin the answer),
 * release-ownership, change-password and rotate-certificate. Each is more than one call's worth
 * of work, so each is a run function of the command table.
 */
#include <string.h>
#include <unistd.h>

#include "vl-ctl-format.h"
#include "vl-ctl-show.h"
#include "vl-ctl.h"
#include "vl-tls-context.h"

/* A forced renewal of the manager's certificate: more days than its certificate has left
 * (VL_MANAGER_CERT_DAYS at most). */
#define FORCE_RENEW_DAYS 400

static gboolean G_GNUC_PRINTF(3, 4)
    set_error(GError **error, VlCtlError code, const char *format, ...)
{
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error_literal(error, VL_CTL_ERROR, code, message);
    return FALSE;
}

static char *
host_port(const VlCtlSession *session)
{
    return strchr(session->host, ':') ? g_strdup_printf("[%s]:%u", session->host, session->port)
                                      : g_strdup_printf("%s:%u", session->host, session->port);
}

/* Commands that carry a manager's certificate need one: a TLS connection. */
static gboolean
need_tls(const VlCtlSession *session, const VlCtlArgs *args, GError **error)
{
    g_autofree char *words = NULL;

    if (session->manager) {
        return TRUE;
    }
    words = vl_ctl_command_words(args->command);
    return set_error(error, VL_CTL_ERROR_USAGE,
                     "%s: works over TLS, where this manager has a certificate: "
                     "vmlinkctl --connect tls://HOST[:PORT] %s",
                     words, words);
}

static gboolean
print_result(const VlCtlSession *session, const VlJson *result, GError **error)
{
    g_autofree char *json = vl_json_to_pretty_string(result);
    g_autofree char *text = g_strconcat(json, "\n", NULL);

    return vl_ctl_write(session->out, text, error);
}

/* Fingerprints compare without their colons and case: people copy them in many shapes. */
static gboolean
fingerprint_equal(const char *a, const char *b)
{
    g_autoptr(GString) x = g_string_new(NULL);
    g_autoptr(GString) y = g_string_new(NULL);

    for (const char *p = a; *p; p++) {
        if (*p != ':' && !g_ascii_isspace(*p)) {
            g_string_append_c(x, g_ascii_toupper(*p));
        }
    }
    for (const char *p = b; *p; p++) {
        if (*p != ':' && !g_ascii_isspace(*p)) {
            g_string_append_c(y, g_ascii_toupper(*p));
        }
    }
    return x->len > 0 && strcmp(x->str, y->str) == 0;
}

/*
 * Pins the bridge certificate an ownership call answered with, after checking that it is the
 * one expected (the handshake's, or for a new bridge key, at least the one it says it is).
 */
static gboolean
pin_answer(VlCtlSession *session, const VlJson *result, const char *expected_fp, GError **error)
{
    const char *pem = vl_json_get_string(vl_json_object_get(result, "certificate"));
    const char *said = vl_json_get_string(vl_json_object_get(result, "fingerprint"));
    g_autoptr(GError) local_error = NULL;
    g_autofree char *fp = vl_tls_fingerprint_of_pem(pem, &local_error);
    g_autofree char *where = host_port(session);

    if (fp == NULL) {
        return set_error(error, VL_CTL_ERROR_REFUSED,
                         "%s answered with a certificate that cannot be read (%s): not pinned",
                         where, local_error->message);
    }
    if (!fingerprint_equal(fp, said) || (expected_fp && !fingerprint_equal(fp, expected_fp))) {
        return set_error(error, VL_CTL_ERROR_REFUSED,
                         "%s answered with certificate %s, but the connection showed %s: not "
                         "pinned (run the command again; if it repeats, the bridge is not "
                         "behaving)",
                         where, fp, expected_fp ? expected_fp : said);
    }
    if (!vl_manager_pin(session->manager, session->host, session->port, pem, &local_error)) {
        return set_error(error, VL_CTL_ERROR_MANAGER, "%s", local_error->message);
    }
    return TRUE;
}

/* host info ---------------------------------------------------------------------------------- */

gboolean
vl_ctl_owner_host_info(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                       GError **error)
{
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GString) text = g_string_new(NULL);

    result =
        vl_client_call(session->client, "host.info", params, vl_ctl_args_timeout_ms(args), error);
    if (result == NULL) {
        return FALSE;
    }
    if (args->json) {
        return print_result(session, result, error);
    }
    vl_ctl_show_host_info(params, result, text);
    if (session->manager) {
        g_autoptr(VlCtlTable) t = vl_ctl_table_new_plain();
        g_autofree char *where = host_port(session);

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Connection certificate:");
        vl_ctl_table_cell(t, vl_client_peer_fingerprint(session->client));
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "This manager:");
        if (session->pinned) {
            vl_ctl_table_cellf(t, "%s, bridge pinned", vl_manager_id(session->manager));
        } else {
            vl_ctl_table_cellf(t,
                               "%s, bridge not known (vmlinkctl --connect tls://%s host "
                               "take-ownership)",
                               vl_manager_id(session->manager), where);
        }
        vl_ctl_table_render(t, text);
    }
    return vl_ctl_write(session->out, text->str, error);
}

/* take-ownership ----------------------------------------------------------------------------- */

gboolean
vl_ctl_owner_check_take(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    const char *names[] = {"event-url", "stats-url"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *url = vl_ctl_args_get(args, names[i]);

        if (url && *url && !g_str_has_prefix(url, "https://")) {
            return set_error(error, VL_CTL_ERROR_USAGE,
                             "--%s: \"%s\" is not an https:// URL (the bridge pushes over HTTPS "
                             "only) (see vmlinkctl host take-ownership --help)",
                             names[i], url);
        }
    }
    return TRUE;
}

/* Whether the person or script vouches for the bridge's certificate. */
static gboolean
confirm_bridge(VlCtlSession *session, const VlCtlArgs *args, GError **error)
{
    const char *fp = vl_client_peer_fingerprint(session->client);
    const char *given = vl_ctl_args_get(args, "fingerprint");
    g_autofree char *where = host_port(session);

    if (given) {
        if (!fingerprint_equal(given, fp)) {
            return set_error(error, VL_CTL_ERROR_REFUSED,
                             "%s presents certificate %s, not %s: refused (check the fingerprint "
                             "on the host with vmlinkd --fingerprint; a different one means "
                             "another machine answers at this address)",
                             where, fp, given);
        }
        return TRUE;
    }
    if (session->pinned) {
        return TRUE; /* taking it again (recovery): the pin already vouched for it */
    }
    if (!isatty(STDIN_FILENO)) {
        return set_error(error, VL_CTL_ERROR_USAGE,
                         "host take-ownership: %s presents certificate %s; the standard input is "
                         "not a terminal to confirm it on: check it on the host with vmlinkd "
                         "--fingerprint and give it with --fingerprint %s",
                         where, fp, fp);
    }
    fprintf(stderr,
            "The bridge at %s presents this certificate:\n  SHA-256 %s\n"
            "Compare it with what vmlinkd --fingerprint prints on the host.\n",
            where, fp);
    if (!vl_ctl_confirm("Is it the same, and take ownership?")) {
        return set_error(error, VL_CTL_ERROR_REFUSED,
                         "host take-ownership: not confirmed, nothing was sent");
    }
    return TRUE;
}

static VlJson *
take_params(VlCtlSession *session, const VlCtlArgs *args, const char *password)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    VlTlsIdentity *id = vl_manager_identity(session->manager);

    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "password", password);
    vl_json_builder_add_member_string(b, "manager_id", vl_manager_id(session->manager));
    vl_json_builder_add_member_string(b, "manager_certificate", vl_tls_identity_cert_pem(id));
    vl_json_builder_add_member_string(b, "event_url", vl_ctl_args_get(args, "event-url"));
    vl_json_builder_add_member_string(b, "stats_url", vl_ctl_args_get(args, "stats-url"));
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

static void
show_ownership(VlCtlSession *session, const char *what, const VlJson *result, GString *out)
{
    g_autofree char *where = host_port(session);
    g_autofree char *path = vl_manager_pin_path(session->manager, session->host, session->port);
    g_autofree char *until =
        vl_ctl_format_time(vl_json_get_int(vl_json_object_get(result, "not_after")) * 1000, FALSE);
    g_autofree char *owner =
        vl_ctl_format_clean(vl_json_get_string(vl_json_object_get(result, "owner")));

    g_string_append_printf(out, "%s %s: owner %s\n", what, where, owner);
    g_string_append_printf(out, "Bridge certificate: %s (until %s), pinned in %s\n",
                           vl_json_get_string(vl_json_object_get(result, "fingerprint")), until,
                           path);
}

gboolean
vl_ctl_owner_take(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                  GError **error)
{
    g_autoptr(VlCtlSecret) password = NULL;
    g_autoptr(VlJson) request = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GString) text = g_string_new(NULL);

    if (!need_tls(session, args, error) || !confirm_bridge(session, args, error)) {
        return FALSE;
    }
    password = vl_ctl_read_secret("agent password", vl_ctl_args_get(args, "password-stdin") != NULL,
                                  error);
    if (password == NULL) {
        return FALSE;
    }
    request = take_params(session, args, password);
    result = vl_client_call(session->client, "host.take_ownership", request,
                            vl_ctl_args_timeout_ms(args), error);
    vl_json_wipe_member(request, "password"); /* the params' copy; password wipes itself */
    if (result == NULL ||
        !pin_answer(session, result, vl_client_peer_fingerprint(session->client), error)) {
        return FALSE;
    }
    if (args->json) {
        return print_result(session, result, error);
    }
    show_ownership(session, "Took ownership of", result, text);
    return vl_ctl_write(session->out, text->str, error);
}

/* release-ownership, change-password --------------------------------------------------------- */

gboolean
vl_ctl_owner_release(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                     GError **error)
{
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GError) local_error = NULL;
    g_autofree char *by = NULL;
    g_autofree char *text = NULL;

    result = vl_client_call(session->client, "host.release_ownership", params,
                            vl_ctl_args_timeout_ms(args), error);
    if (result == NULL) {
        return FALSE;
    }
    /* Released: this manager may no longer use the bridge, so its pin goes too. */
    if (session->manager &&
        !vl_manager_pin(session->manager, session->host, session->port, NULL, &local_error)) {
        return set_error(error, VL_CTL_ERROR_MANAGER, "released, but %s", local_error->message);
    }
    if (args->json) {
        return print_result(session, result, error);
    }
    by = vl_ctl_format_clean(vl_json_get_string(vl_json_object_get(result, "released_by")));
    if (session->manager) {
        g_autofree char *where = host_port(session);
        text =
            g_strdup_printf("Released %s (owned by %s); this manager forgot its pin.\n", where, by);
    } else {
        text = g_strdup_printf("Released the bridge (owned by %s).\n", by);
    }
    return vl_ctl_write(session->out, text, error);
}

gboolean
vl_ctl_owner_change_password(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                             GError **error)
{
    gboolean from_stdin = vl_ctl_args_get(args, "password-stdin") != NULL;
    gboolean terminal = !from_stdin && isatty(STDIN_FILENO);
    g_autoptr(VlCtlSecret) current = NULL;
    g_autoptr(VlCtlSecret) fresh = NULL;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) request = NULL;
    g_autoptr(VlJson) result = NULL;

    current = vl_ctl_read_secret("current agent password", from_stdin, error);
    if (current == NULL) {
        return FALSE;
    }
    fresh = vl_ctl_read_secret("new agent password", from_stdin, error);
    if (fresh == NULL) {
        return FALSE;
    }
    if (terminal) {
        g_autoptr(VlCtlSecret) again = vl_ctl_read_secret("new agent password again", FALSE, error);

        if (again == NULL) {
            return FALSE;
        }
        if (strcmp(again, fresh) != 0) {
            return set_error(error, VL_CTL_ERROR_INPUT,
                             "host change-password: the new passwords differ, nothing was sent");
        }
    }
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "password", current);
    vl_json_builder_add_member_string(b, "new_password", fresh);
    vl_json_builder_end_object(b);
    request = vl_json_builder_finish(b);
    result = vl_client_call(session->client, "host.change_password", request,
                            vl_ctl_args_timeout_ms(args), error);
    vl_json_wipe_member(request, "password");
    vl_json_wipe_member(request, "new_password");
    if (result == NULL) {
        return FALSE;
    }
    if (args->json) {
        return print_result(session, result, error);
    }
    return vl_ctl_write(session->out, "Agent password changed.\n", error);
}

/* rotate-certificate ------------------------------------------------------------------------- */

gboolean
vl_ctl_owner_check_rotate(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    if (!vl_ctl_args_get(args, "bridge") && !vl_ctl_args_get(args, "manager")) {
        return set_error(error, VL_CTL_ERROR_USAGE,
                         "give --bridge (the bridge's key and certificate), --manager (this "
                         "manager's certificate) or both (see vmlinkctl host rotate-certificate "
                         "--help)");
    }
    return TRUE;
}

gboolean
vl_ctl_owner_rotate(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                    GError **error)
{
    gboolean bridge = vl_ctl_args_get(args, "bridge") != NULL;
    gboolean manager = vl_ctl_args_get(args, "manager") != NULL;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) request = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GString) text = g_string_new(NULL);
    VlTlsIdentity *id;

    if (!need_tls(session, args, error)) {
        return FALSE;
    }
    id = vl_manager_identity(session->manager);
    if (manager) {
        /*
         * A new certificate for the same key, now: bridges that pinned the old one still
         * accept it by key, so nothing breaks if the call below fails; the call makes this
         * bridge pin it explicitly.
         */
        if (!vl_tls_identity_renew_if_needed(id, FORCE_RENEW_DAYS, VL_MANAGER_CERT_DAYS, NULL,
                                             &local_error)) {
            return set_error(error, VL_CTL_ERROR_MANAGER,
                             "cannot renew this manager's certificate: %s", local_error->message);
        }
    }
    vl_json_builder_begin_object(b);
    if (manager) {
        vl_json_builder_add_member_string(b, "manager_certificate", vl_tls_identity_cert_pem(id));
    }
    if (bridge) {
        vl_json_builder_member(b, "bridge");
        vl_json_builder_add_bool(b, TRUE);
    }
    vl_json_builder_end_object(b);
    request = vl_json_builder_finish(b);
    result = vl_client_call(session->client, "host.rotate_certificate", request,
                            vl_ctl_args_timeout_ms(args), error);
    if (result == NULL) {
        return FALSE;
    }
    /*
     * A new bridge certificate came on the old, authenticated connection: that is what vouches
     * for it. Without --bridge the answer must be the certificate the handshake showed.
     */
    if (!pin_answer(session, result, bridge ? NULL : vl_client_peer_fingerprint(session->client),
                    error)) {
        return FALSE;
    }
    if (args->json) {
        return print_result(session, result, error);
    }
    if (manager) {
        g_string_append_printf(text, "This manager's certificate: %s (pinned by the bridge)\n",
                               vl_tls_identity_fingerprint(id));
    }
    show_ownership(session, bridge ? "Rotated the bridge certificate of" : "Checked", result, text);
    return vl_ctl_write(session->out, text->str, error);
}
