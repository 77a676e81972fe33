/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-bridge-state.h"

#include <errno.h>

#include "vl-password.h"
#include "vl-state-file.h"

#define STATE_FILE "state.json"
#define PASSWORD_MEMBER "password_hash"

static char *
state_path(const char *state_dir)
{
    return g_build_filename(state_dir, STATE_FILE, NULL);
}

VlTlsIdentity *
vl_bridge_identity_open(const char *state_dir, GError **error)
{
    g_autofree char *dir = g_build_filename(state_dir, "tls", NULL);
    g_autoptr(VlTlsIdentity) id =
        vl_tls_identity_load_or_create(dir, g_get_host_name(), VL_BRIDGE_CERT_VALIDITY_DAYS, error);
    gboolean renewed = FALSE;

    if (id == NULL ||
        !vl_tls_identity_renew_if_needed(id, VL_BRIDGE_CERT_RENEW_DAYS,
                                         VL_BRIDGE_CERT_VALIDITY_DAYS, &renewed, error)) {
        return NULL;
    }
    if (vl_tls_identity_created(id)) {
        g_message("TLS identity created in %s: fingerprint %s", dir,
                  vl_tls_identity_fingerprint(id));
    } else if (renewed) {
        g_message("TLS certificate renewed in %s: fingerprint %s", dir,
                  vl_tls_identity_fingerprint(id));
    }
    return g_steal_pointer(&id);
}

/* The state as stored, or an empty object for a fresh host. */
static VlJson *
read_state(const char *path, GError **error)
{
    g_autoptr(GError) local = NULL;
    VlJson *state = vl_state_file_read(path, &local);

    if (state == NULL && g_error_matches(local, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_MISSING)) {
        return vl_json_parse("{}", 2, error);
    }
    if (state == NULL) {
        g_propagate_error(error, g_steal_pointer(&local));
    }
    return state;
}

gboolean
vl_bridge_set_password(const char *state_dir, int fd, GError **error)
{
    g_autofree char *path = state_path(state_dir);
    g_autoptr(VlJson) state = NULL;
    g_autoptr(VlJson) updated = NULL;
    g_autofree char *hash = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    char *password;

    if (g_mkdir_with_parents(state_dir, 0700) < 0) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE,
                    "cannot create the state folder %s: %s", state_dir, g_strerror(errno));
        return FALSE;
    }
    state = read_state(path, error);
    if (state == NULL) {
        return FALSE;
    }
    password = vl_password_read(fd, &len, error);
    if (password == NULL) {
        return FALSE;
    }
    hash = vl_password_hash(password, len, error);
    vl_password_free(password, len);
    if (hash == NULL) {
        return FALSE;
    }
    updated = vl_json_object_with_string(state, PASSWORD_MEMBER, hash);
    if (!vl_state_file_write(path, updated, &local)) {
        /* In place, only not yet flushed to the disk: the password is set. */
        if (g_error_matches(local, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_UNFLUSHED)) {
            g_warning("%s", local->message);
            return TRUE;
        }
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return TRUE;
}
