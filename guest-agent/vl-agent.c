/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-agent.h"

#include <glib-unix.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>

#include "vl-agent-private.h"
#include "vl-protocol.h"
#include "vl-report.h"

/*
 * How long a change waits before the section is collected again, so a burst of notifications
 * (an address and its route, dpkg rewriting its status file several times) makes one report.
 */
static guint
settle_ms(const char *section)
{
    if (g_str_equal(section, "network") || g_str_equal(section, "users")) {
        return 2;
    }
    if (g_str_equal(section, "applications")) {
        return 300;
    }
    return 50;
}

static const guint supported_versions[] = {VL_GUEST_PROTOCOL_VERSION};

static void
send_message(VlAgent *a, VlJson *message)
{
    g_autoptr(GString) frame = vl_frame_encode(message);

    if (!vl_channel_send(a->channel, frame->str, frame->len)) {
        g_debug("message dropped: no host, or the host is not reading");
    }
}

void
vl_agent_send_error(VlAgent *a, const char *id, VlProtocolError code, const char *message)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) m = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "error");
    if (id) {
        vl_json_builder_member(b, "id");
        vl_json_builder_add_string(b, id);
    }
    vl_json_builder_member(b, "code");
    vl_json_builder_add_string(b, vl_protocol_error_name(code));
    vl_json_builder_member(b, "message");
    vl_json_builder_add_string(b, message);
    vl_json_builder_end_object(b);
    m = vl_json_builder_finish(b);
    send_message(a, m);
}

static void
send_hello(VlAgent *a, const char *nonce, guint version)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) m = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "hello");
    vl_json_builder_member(b, "versions");
    vl_json_builder_begin_array(b);
    for (gsize i = 0; i < G_N_ELEMENTS(supported_versions); i++) {
        vl_json_builder_add_int(b, supported_versions[i]);
    }
    vl_json_builder_end_array(b);
    if (nonce) {
        vl_json_builder_member(b, "version");
        vl_json_builder_add_int(b, version);
        vl_json_builder_member(b, "nonce");
        vl_json_builder_add_string(b, nonce);
    }
    vl_json_builder_member(b, "agent");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "name");
    vl_json_builder_add_string(b, "vmlink-agent");
    vl_json_builder_member(b, "version");
    vl_json_builder_add_string(b, VL_VERSION);
    vl_json_builder_end_object(b);
    vl_json_builder_member(b, "capabilities");
    vl_json_builder_begin_array(b);
    for (const VlEntry *e = vl_guest_command_catalogue.entries; e->name; e++) {
        if (vl_agent_config_command_allowed(a->config, e->name)) {
            vl_json_builder_add_string(b, e->name);
        }
    }
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    m = vl_json_builder_finish(b);
    send_message(a, m);
}

static void
remember_section(const char *name, VlJson *value, gpointer user_data)
{
    VlAgent *a = user_data;

    g_hash_table_replace(a->last_sent, g_strdup(name), vl_json_to_string(value, NULL));
}

/* Sends the named sections (NULL: all) and remembers what was sent. */
void
vl_agent_send_report(VlAgent *a, const char *const *sections)
{
    g_autoptr(VlJson) collected = vl_report_collect(&a->ctx, sections);
    g_autoptr(VlJson) report = vl_report_message(++a->seq, sections == NULL, collected);
    g_autoptr(GString) frame = vl_frame_encode(report);

    if (vl_channel_send(a->channel, frame->str, frame->len)) {
        vl_json_object_foreach(collected, remember_section, a);
    }
    if (sections == NULL) {
        /* A full report peaks at about a megabyte (the applications section); hand it back. */
        g_string_free(g_steal_pointer(&frame), TRUE);
        g_clear_pointer(&report, vl_json_unref);
        g_clear_pointer(&collected, vl_json_unref);
        malloc_trim(0);
    }
}

/* Collects one section again and sends it only if it differs from what the host last got. */
static gboolean
on_settled(gpointer user_data)
{
    VlAgent *a = ((gpointer *)user_data)[0];
    const char *section = ((gpointer *)user_data)[1];
    const char *const sections[] = {section, NULL};
    g_autoptr(VlJson) collected = NULL;
    g_autofree char *text = NULL;
    const VlJson *value;

    g_hash_table_remove(a->pending, section);
    if (!a->greeted) {
        return G_SOURCE_REMOVE;
    }
    collected = vl_report_collect(&a->ctx, sections);
    value = vl_json_object_get(collected, section);
    if (value == NULL) {
        return G_SOURCE_REMOVE;
    }
    text = vl_json_to_string(value, NULL);
    if (g_strcmp0(text, g_hash_table_lookup(a->last_sent, section)) != 0) {
        g_autoptr(VlJson) report = vl_report_message(++a->seq, FALSE, collected);
        g_autoptr(GString) frame = vl_frame_encode(report);

        if (vl_channel_send(a->channel, frame->str, frame->len)) {
            g_hash_table_replace(a->last_sent, g_strdup(section), g_steal_pointer(&text));
        }
    }
    return G_SOURCE_REMOVE;
}

static void
on_section_changed(const char *section, gpointer user_data)
{
    VlAgent *a = user_data;
    gpointer *args;

    if (!a->greeted || g_hash_table_contains(a->pending, section)) {
        return;
    }
    args = g_new(gpointer, 2);
    args[0] = a;
    args[1] = (gpointer)g_intern_string(section);
    g_hash_table_insert(a->pending, (gpointer)g_intern_string(section),
                        GUINT_TO_POINTER(g_timeout_add_full(G_PRIORITY_DEFAULT, settle_ms(section),
                                                            on_settled, args, g_free)));
}

static void
send_event(VlAgent *a, const char *name, const char *session, const char *user, const char *mode)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) m = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "event");
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, ++a->seq);
    vl_json_builder_member(b, "time");
    vl_json_builder_add_int(b, g_get_real_time() / G_USEC_PER_SEC);
    vl_json_builder_member(b, "event");
    vl_json_builder_add_string(b, name);
    vl_json_builder_member(b, "data");
    vl_json_builder_begin_object(b);
    if (user) {
        vl_json_builder_member(b, "user");
        vl_json_builder_add_string(b, user);
    }
    if (session) {
        vl_json_builder_member(b, "session");
        vl_json_builder_add_string(b, session);
    }
    if (mode) {
        vl_json_builder_member(b, "mode");
        vl_json_builder_add_string(b, mode);
    }
    if (g_str_equal(name, "agent_started")) {
        vl_json_builder_member(b, "version");
        vl_json_builder_add_string(b, VL_VERSION);
    }
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    m = vl_json_builder_finish(b);
    send_message(a, m);
}

static void
on_watch_event(VlWatchEvent event, const char *session, const char *user, gpointer user_data)
{
    VlAgent *a = user_data;
    static const char *const names[] = {
        [VL_WATCH_SESSION_NEW] = "session_logon",    [VL_WATCH_SESSION_REMOVED] = "session_logoff",
        [VL_WATCH_SESSION_LOCKED] = "session_lock",  [VL_WATCH_SESSION_UNLOCKED] = "session_unlock",
        [VL_WATCH_SHUTTING_DOWN] = "guest_shutdown",
    };

    if (!a->greeted) {
        return;
    }
    /* A logon the host cannot name (the session ended at once) shows in the users section. */
    if (event == VL_WATCH_SESSION_NEW && user == NULL) {
        return;
    }
    send_event(a, names[event], session, user, NULL);
}

void
vl_agent_send_reply(VlAgent *a, const char *id, VlJson *result)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) m = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "reply");
    vl_json_builder_member(b, "id");
    vl_json_builder_add_string(b, id);
    vl_json_builder_member(b, "result");
    if (result) {
        vl_json_builder_add_node(b, result);
    } else {
        vl_json_builder_begin_object(b);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_object(b);
    m = vl_json_builder_finish(b);
    send_message(a, m);
}

static gboolean
on_heartbeat(gpointer user_data)
{
    VlAgent *a = user_data;
    const VlCollector *memory = vl_collector_lookup("memory");
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(VlJson) m = NULL;
    g_autoptr(GError) error = NULL;

    if (!a->greeted || memory == NULL) {
        return G_SOURCE_CONTINUE;
    }
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "heartbeat");
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, ++a->seq);
    vl_json_builder_member(b, "memory");
    if (!memory->collect(&a->ctx, b, &error)) {
        g_warning("heartbeat skipped: %s", error->message);
        return G_SOURCE_CONTINUE;
    }
    vl_json_builder_end_object(b);
    m = vl_json_builder_finish(b);
    send_message(a, m);
    return G_SOURCE_CONTINUE;
}

/* Frames from the host ---------------------------------------------------------------------- */

static void
handle_frame(VlAgent *a, const VlJson *frame)
{
    g_autoptr(GError) error = NULL;
    const VlEntry *entry = NULL;
    const char *id;

    if (!vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_HOST, frame, &entry, &error)) {
        id = vl_json_get_string(vl_json_object_get(frame, "id"));
        g_warning("invalid message from the host: %s", error->message);
        vl_agent_send_error(a, id && strlen(id) <= 64 ? id : NULL, (VlProtocolError)error->code,
                            error->message);
        return;
    }
    if (g_str_equal(entry->name, "hello")) {
        guint version = 0;

        if (!vl_protocol_negotiate(vl_json_object_get(frame, "versions"), supported_versions,
                                   G_N_ELEMENTS(supported_versions), &version, &error)) {
            vl_agent_send_error(a, NULL, VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION, error->message);
            return;
        }
        send_hello(a, vl_json_get_string(vl_json_object_get(frame, "nonce")), version);
        a->greeted = TRUE;
        g_hash_table_remove_all(a->last_sent);
        vl_agent_send_report(a, NULL);
        if (!a->announced) {
            send_event(a, "agent_started", NULL, NULL, NULL);
            a->announced = TRUE;
        }
    } else if (g_str_equal(entry->name, "command")) {
        vl_agent_handle_command(a, frame);
    } else if (g_str_equal(entry->name, "error")) {
        g_warning("the host reports an error: %s: %s",
                  vl_json_get_string(vl_json_object_get(frame, "code")),
                  vl_json_get_string(vl_json_object_get(frame, "message")));
    }
}

static void
on_received(const char *data, gsize len, gpointer user_data)
{
    VlAgent *a = user_data;

    while (len > 0) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;

        if (!vl_frame_reader_push(a->reader, data, len, &used, &frame, &error)) {
            g_warning("bad frame from the host: %s", error->message);
            vl_agent_send_error(a, NULL, (VlProtocolError)error->code, error->message);
        } else if (frame) {
            handle_frame(a, frame);
        }
        data += used;
        len -= used;
    }
}

static void
on_connected(gpointer user_data)
{
    VlAgent *a = user_data;

    g_message("host connected");
    vl_frame_reader_reset(a->reader);
    a->greeted = FALSE;
    g_hash_table_remove_all(a->last_sent);
    /* Greet first: the host's own hello may have been dropped while the port was closed. */
    send_hello(a, NULL, 0);
}

static void
on_disconnected(gpointer user_data)
{
    VlAgent *a = user_data;

    g_message("host disconnected");
    a->greeted = FALSE;
    g_hash_table_remove_all(a->last_sent);
    vl_frame_reader_reset(a->reader);
}

static gboolean
on_quit_signal(gpointer user_data)
{
    VlAgent *a = user_data;

    g_message("stopping");
    if (a->greeted) {
        send_event(a, "agent_stopping", NULL, NULL, NULL);
    }
    g_main_loop_quit(a->loop);
    return G_SOURCE_CONTINUE;
}

static void
remove_source(gpointer key, gpointer value, gpointer user_data)
{
    g_source_remove(GPOINTER_TO_UINT(value));
}

/*
 * The native channel and the QEMU guest agent protocol's, each unless "none". One that cannot
 * be opened is logged and left out (a VM may offer only one of the ports); with neither, the
 * agent has nothing to do and fails.
 */
static gboolean
open_channels(VlAgent *a, const VlChannelCallbacks *callbacks)
{
    const VlAgentConfig *config = a->config;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) qga_error = NULL;
    gboolean native = !g_str_equal(config->channel, VL_AGENT_CHANNEL_NONE);
    gboolean qga = !g_str_equal(config->qga_channel, VL_AGENT_CHANNEL_NONE);

    if (native) {
        a->channel = vl_channel_open(config->channel, callbacks, a, &error);
    }
    if (qga) {
        a->qga_server = vl_qga_server_new(&a->qga, config->qga_channel, &qga_error);
    }
    if (a->channel == NULL && a->qga_server == NULL) {
        g_printerr("vmlink-agent: %s%s%s\n", error ? error->message : "",
                   error && qga_error ? "; " : "",
                   qga_error ? qga_error->message : (error ? "" : "both channels are \"none\""));
        return FALSE;
    }
    if (error) {
        g_warning("the vmlink channel is not served: %s", error->message);
    }
    if (qga_error) {
        g_message("the QEMU guest agent protocol is not served: %s", qga_error->message);
    }
    return TRUE;
}

int
vl_agent_run(const VlAgentConfig *config, const char *root)
{
    static const VlChannelCallbacks callbacks = {on_connected, on_received, on_disconnected};
    static const VlWatchCallbacks watch_callbacks = {on_section_changed, on_watch_event};
    VlAgent a = {.config = config};
    g_autoptr(GError) error = NULL;
    guint term_id, int_id;
    gboolean native;

    /*
     * Run as qemu-ga (no vmlink channel), nothing is watched and no login comes, and the QGA
     * commands need the bus only for guest-shutdown, which connects then: not connecting at the
     * start keeps GDBus (its types, its worker thread) out of the process, a megabyte of RSS.
     */
    native = !g_str_equal(config->channel, VL_AGENT_CHANNEL_NONE);
    if (native) {
        a.bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
    }
    if (native && a.bus == NULL) {
        g_message("no system bus (%s): sessions come from utmp, actions use fallbacks",
                  error->message);
        g_clear_error(&error);
    }
    a.ctx = (VlCollectContext){
        .root = root,
        .net_exclude = (const char *const *)config->net_exclude,
        .fs_exclude = (const char *const *)config->fs_exclude,
        .system_bus = a.bus,
    };
    a.reader = vl_frame_reader_new(config->max_frame, VL_FRAME_DEFAULT_MAX_DEPTH);
    a.last_sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    a.pending = g_hash_table_new(g_str_hash, g_str_equal);
    a.loop = g_main_loop_new(NULL, FALSE);
    a.qga = (VlQgaContext){config, &a.ctx, a.bus, vl_qga_cache_new()};
    if (!open_channels(&a, &callbacks)) {
        vl_qga_cache_free(a.qga.cache);
        g_clear_object(&a.bus);
        vl_frame_reader_free(a.reader);
        g_main_loop_unref(a.loop);
        return 1;
    }
    /* Changes are pushed on the vmlink channel only: without it, nothing to watch. */
    if (a.channel) {
        a.watch = vl_watch_new(&a.ctx, &watch_callbacks, &a);
    }
    /* A login is asked for on the vmlink channel only. */
    if (a.channel) {
        a.sso = vl_sso_login_new(&config->sso, root, a.bus);
    }
    if (config->heartbeat_s > 0 && a.channel) {
        a.heartbeat_id = g_timeout_add_seconds(config->heartbeat_s, on_heartbeat, &a);
    }
    term_id = g_unix_signal_add(SIGTERM, on_quit_signal, &a);
    int_id = g_unix_signal_add(SIGINT, on_quit_signal, &a);
    g_message("vmlink-agent %s on %s, QEMU guest agent protocol on %s", VL_VERSION,
              a.channel ? config->channel : "none", a.qga_server ? config->qga_channel : "none");

    g_main_loop_run(a.loop);

    g_source_remove(term_id);
    g_source_remove(int_id);
    if (a.heartbeat_id) {
        g_source_remove(a.heartbeat_id);
    }
    g_hash_table_foreach(a.pending, remove_source, NULL);
    g_hash_table_unref(a.pending);
    g_hash_table_unref(a.last_sent);
    vl_sso_login_free(a.sso);
    vl_watch_free(a.watch);
    vl_qga_server_free(a.qga_server);
    vl_qga_cache_free(a.qga.cache);
    vl_channel_free(a.channel);
    vl_frame_reader_free(a.reader);
    g_main_loop_unref(a.loop);
    g_clear_object(&a.bus);
    return 0;
}
