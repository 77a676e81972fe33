/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Commands down a guest channel: each waits, under an id of the link's, for the agent's reply or
 * error, its timeout, or the end of the connection, and is answered exactly once.
 */
#include "vl-guest-link-private.h"
#include "vl-protocol.h"

void
vl_guest_link_pending_free(Pending *p)
{
    vl_epoll_timer_free(p->timeout);
    g_free(p->id);
    g_free(p->name);
    g_free(p);
}

/* Answers and forgets a pending command. */
static void
pending_finish(VlGuestLink *link, const char *id, const VlJson *result, const GError *error)
{
    Pending *p = NULL;
    char *key = NULL;

    if (!g_hash_table_steal_extended(link->pending, id, (gpointer *)&key, (gpointer *)&p)) {
        return;
    }
    g_free(key);
    p->func(result, error, p->user_data);
    vl_guest_link_pending_free(p);
}

void
vl_guest_link_fail_pending(VlGuestLink *link, const char *why)
{
    g_autoptr(GError) error = g_error_new(VL_CALL_ERROR, VL_RPC_AGENT_UNAVAILABLE,
                                          "the agent of %s %s", link->label, why);
    GHashTableIter iter;
    gpointer key, value;
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

    g_hash_table_iter_init(&iter, link->pending);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        g_ptr_array_add(ids, g_strdup(key));
    }
    for (guint i = 0; i < ids->len; i++) {
        pending_finish(link, ids->pdata[i], NULL, error);
    }
}

static void
pending_timeout(gpointer user_data)
{
    Pending *p = user_data;
    VlGuestLink *link = p->link;
    g_autoptr(GError) error =
        g_error_new(VL_CALL_ERROR, VL_RPC_TIMEOUT, "the agent of %s did not answer %s in time",
                    link->label, p->name);
    g_autofree char *id = g_strdup(p->id);

    pending_finish(link, id, NULL, error);
}

void
vl_guest_link_command(VlGuestLink *link, const char *name, const VlJson *args, guint timeout_s,
                      VlGuestReplyFunc func, gpointer user_data)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) command = NULL;
    Pending *p;

    if (link->phase != LINK_READY) {
        g_autoptr(GError) error =
            g_error_new(VL_CALL_ERROR, VL_RPC_AGENT_UNAVAILABLE,
                        "the vmlink agent of %s is not connected (is vmlink-agent running in the "
                        "guest?)",
                        link->label);

        func(NULL, error, user_data);
        return;
    }
    p = g_new0(Pending, 1);
    p->link = link;
    p->id = g_strdup_printf("b%" G_GUINT64_FORMAT, ++link->next_command);
    p->name = g_strdup(name);
    p->func = func;
    p->user_data = user_data;
    p->timeout = vl_epoll_timer_new(link->epoll, pending_timeout, p);
    vl_epoll_timer_start(p->timeout, MAX(timeout_s, 1) * 1000);
    g_hash_table_insert(link->pending, g_strdup(p->id), p);

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "command");
    vl_json_builder_member(b, "id");
    vl_json_builder_add_string(b, p->id);
    vl_json_builder_member(b, "name");
    vl_json_builder_add_string(b, name);
    vl_json_builder_member(b, "args");
    if (args) {
        vl_json_builder_add_node(b, args);
    } else {
        vl_json_builder_begin_object(b);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_object(b);
    command = vl_json_builder_finish(b);
    vl_guest_link_send(link, command); /* on failure the disconnect answered it */
}

void
vl_guest_link_handle_reply(VlGuestLink *link, const char *type, const VlJson *frame)
{
    const char *id = vl_json_get_string(vl_json_object_get(frame, "id"));
    Pending *p = id ? g_hash_table_lookup(link->pending, id) : NULL;
    g_autoptr(GError) error = NULL;

    if (p == NULL) {
        if (g_str_equal(type, "error")) {
            vl_guest_link_complain(link, "agent error: %s: %s",
                                   vl_json_get_string(vl_json_object_get(frame, "code")),
                                   vl_json_get_string(vl_json_object_get(frame, "message")));
        } else {
            link->counters.invalid++;
            vl_guest_link_complain(link, "a reply to no command (id %.64s)", id);
        }
        return;
    }
    if (g_str_equal(type, "reply")) {
        const VlEntry *command =
            vl_catalogue_lookup(&vl_guest_command_catalogue, p->name, VL_SENDER_HOST);
        const VlJson *result = vl_json_object_get(frame, "result");

        if (command && command->result &&
            !vl_fields_validate(command->result, result, "result", &error)) {
            link->counters.invalid++;
            vl_guest_link_complain(link, "invalid reply to %s: %s", p->name, error->message);
            g_prefix_error(&error, "the agent of %s answered %s wrongly: ", link->label, p->name);
            error->domain = VL_CALL_ERROR;
            error->code = VL_RPC_FAILED;
            pending_finish(link, id, NULL, error);
            return;
        }
        pending_finish(link, id, result, NULL);
        return;
    } else {
        const char *code = vl_json_get_string(vl_json_object_get(frame, "code"));
        VlProtocolError perr = VL_PROTOCOL_ERROR_FAILED;
        VlRpcCode rpc = VL_RPC_FAILED;

        vl_protocol_error_from_name(code, &perr);
        rpc = perr == VL_PROTOCOL_ERROR_DISABLED  ? VL_RPC_DISABLED
              : perr == VL_PROTOCOL_ERROR_TIMEOUT ? VL_RPC_TIMEOUT
                                                  : VL_RPC_FAILED;
        error = g_error_new(VL_CALL_ERROR, rpc, "the agent of %s: %s", link->label,
                            vl_json_get_string(vl_json_object_get(frame, "message")));
        pending_finish(link, id, NULL, error);
    }
}
