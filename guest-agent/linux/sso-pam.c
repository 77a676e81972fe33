/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vl-sso-auth.h on Linux: PAM, on a worker thread. */
#include "vl-sso-auth.h"

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

#include "vl-secmem.h"
#include "vl-sso.h"

typedef struct {
    char *service;
    char *user;
    char *console;
    VlSecret *token;
    gboolean answered; /* the token went out once: a second prompt gets nothing */
    char *odd_prompt;  /* a prompt that was not pam_vmlink's, for the error */
} AuthJob;

static void
auth_job_free(gpointer data)
{
    AuthJob *job = data;

    g_free(job->service);
    g_free(job->user);
    g_free(job->console);
    vl_secret_free(job->token);
    g_free(job->odd_prompt);
    g_free(job);
}

/* PAM frees the answers (libpam wipes them first). Only pam_vmlink's prompt is answered, and
 * once: a stack that asks for anything else ("Password:" when pam_vmlink is missing from it)
 * fails the conversation instead of being handed the token as a password. */
static int
conversation(int n, const struct pam_message **messages, struct pam_response **ret_responses,
             void *data)
{
    AuthJob *job = data;
    struct pam_response *responses;

    if (n <= 0 || n > PAM_MAX_NUM_MSG) {
        return PAM_CONV_ERR;
    }
    responses = calloc((size_t)n, sizeof(*responses));
    if (responses == NULL) {
        return PAM_BUF_ERR;
    }
    for (int i = 0; i < n; i++) {
        const struct pam_message *m = messages[i];

        switch (m->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
            if (job->answered || g_strcmp0(m->msg, VL_SSO_TOKEN_PROMPT) != 0) {
                if (job->odd_prompt == NULL) {
                    job->odd_prompt = g_strdup(m->msg ? m->msg : "");
                }
                goto fail;
            }
            responses[i].resp = strdup(vl_secret_data(job->token));
            if (responses[i].resp == NULL) {
                goto fail;
            }
            job->answered = TRUE;
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            /* What a module tells the user ("Your password will expire in 3 days"). */
            g_message("single sign-on of %s: PAM says: %s", job->user, m->msg ? m->msg : "");
            break;
        default:
            goto fail;
        }
    }
    *ret_responses = responses;
    return PAM_SUCCESS;

fail:
    for (int i = 0; i < n; i++) {
        if (responses[i].resp) {
            explicit_bzero(responses[i].resp, strlen(responses[i].resp));
            free(responses[i].resp);
        }
    }
    free(responses);
    return PAM_CONV_ERR;
}

static void
set_pam_error(GError **error, pam_handle_t *pamh, const AuthJob *job, const char *step, int rc)
{
    if (job->odd_prompt) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "the PAM service %s asked \"%s\" instead of pam_vmlink's token: is "
                    "pam_vmlink.so the first auth module of /etc/pam.d/%s?",
                    job->service, job->odd_prompt, job->service);
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "PAM service %s: %s failed: %s",
                    job->service, step, pam_strerror(pamh, rc));
    }
}

static gboolean
run_pam(AuthJob *job, VlSsoAuthResult *ret_result, GError **error)
{
    const struct pam_conv conv = {conversation, job};
    pam_handle_t *pamh = NULL;
    int rc;

    rc = pam_start(job->service, job->user, &conv, &pamh);
    if (rc != PAM_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "PAM service %s cannot start: %s",
                    job->service, pam_strerror(pamh, rc));
        return FALSE;
    }
    if (job->console) {
        pam_set_item(pamh, PAM_TTY, job->console);
    }
    rc = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
    switch (rc) {
    case PAM_SUCCESS:
        break;
    case PAM_PERM_DENIED:
        /* Not a verdict on the password: a module (pam_access, say) keeps the user out. */
        g_message("single sign-on of %s: not permitted here: %s", job->user,
                  pam_strerror(pamh, rc));
        *ret_result = VL_SSO_AUTH_ACCOUNT;
        pam_end(pamh, rc);
        return TRUE;
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    case PAM_MAXTRIES:
    case PAM_CRED_INSUFFICIENT:
        if (job->odd_prompt) {
            set_pam_error(error, pamh, job, "authentication", rc);
            pam_end(pamh, rc);
            return FALSE;
        }
        *ret_result = VL_SSO_AUTH_REFUSED;
        pam_end(pamh, rc);
        return TRUE;
    default:
        set_pam_error(error, pamh, job, "authentication", rc);
        pam_end(pamh, rc);
        return FALSE;
    }
    rc = pam_acct_mgmt(pamh, PAM_DISALLOW_NULL_AUTHTOK);
    switch (rc) {
    case PAM_SUCCESS:
        *ret_result = VL_SSO_AUTH_OK;
        break;
    case PAM_NEW_AUTHTOK_REQD:
    case PAM_ACCT_EXPIRED:
    case PAM_PERM_DENIED:
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
        g_message("single sign-on of %s: the account may not log in now: %s", job->user,
                  pam_strerror(pamh, rc));
        *ret_result = VL_SSO_AUTH_ACCOUNT;
        break;
    default:
        set_pam_error(error, pamh, job, "the account check", rc);
        pam_end(pamh, rc);
        return FALSE;
    }
    /* pam_end wipes PAM_AUTHTOK, which pam_vmlink set to the password. */
    pam_end(pamh, rc);
    return TRUE;
}

static void
auth_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    AuthJob *job = data;
    VlSsoAuthResult result = VL_SSO_AUTH_REFUSED;
    GError *error = NULL;

    if (run_pam(job, &result, &error)) {
        g_task_return_int(task, result);
    } else {
        g_task_return_error(task, error);
    }
}

void
vl_sso_auth_async(const char *service, const char *user, const char *token, const char *console,
                  GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, NULL, callback, user_data);
    g_autoptr(GError) error = NULL;
    AuthJob *job = g_new0(AuthJob, 1);

    job->service = g_strdup(service);
    job->user = g_strdup(user);
    job->console = g_strdup(console);
    g_task_set_task_data(task, job, auth_job_free);
    job->token = vl_secret_new_from_data(token, strlen(token), &error);
    if (job->token == NULL) {
        g_task_return_error(task, g_steal_pointer(&error));
        return;
    }
    g_task_set_source_tag(task, vl_sso_auth_async);
    g_task_run_in_thread(task, auth_thread);
}

gboolean
vl_sso_auth_finish(GAsyncResult *result, VlSsoAuthResult *ret_result, GError **error)
{
    GError *local_error = NULL;
    gssize value = g_task_propagate_int(G_TASK(result), &local_error);

    if (local_error) {
        g_propagate_error(error, local_error);
        return FALSE;
    }
    *ret_result = (VlSsoAuthResult)value;
    return TRUE;
}
