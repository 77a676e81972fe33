/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-protocol.h"

gboolean
vl_protocol_negotiate(const VlJson *peer_versions, const guint *ours, gsize n_ours,
                      guint *ret_version, GError **error)
{
    guint n_peer = vl_json_array_length(peer_versions);
    gboolean found = FALSE;
    guint best = 0;
    g_autoptr(GString) peer_list = g_string_new(NULL);
    g_autoptr(GString) our_list = g_string_new(NULL);

    for (guint i = 0; i < n_peer; i++) {
        gint64 v = vl_json_get_int(vl_json_array_get(peer_versions, i));

        for (gsize j = 0; j < n_ours; j++) {
            if (v == (gint64)ours[j] && (!found || ours[j] > best)) {
                best = ours[j];
                found = TRUE;
            }
        }
    }
    if (found) {
        if (ret_version) {
            *ret_version = best;
        }
        return TRUE;
    }

    for (guint i = 0; i < n_peer && i < 16; i++) {
        g_string_append_printf(peer_list, "%s%" G_GINT64_FORMAT, i ? ", " : "",
                               vl_json_get_int(vl_json_array_get(peer_versions, i)));
    }
    for (gsize j = 0; j < n_ours; j++) {
        g_string_append_printf(our_list, "%s%u", j ? ", " : "", ours[j]);
    }
    g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                "no protocol version in common: peer speaks [%s], we speak [%s]", peer_list->str,
                our_list->str);
    return FALSE;
}

char *
vl_protocol_new_nonce(void)
{
    GString *nonce = g_string_new("vl");

    for (int i = 0; i < 4; i++) {
        g_string_append_printf(nonce, "%08x", g_random_int());
    }
    return g_string_free(nonce, FALSE);
}
