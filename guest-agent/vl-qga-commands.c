/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-qga-commands.h"

#include "vl-actions.h"
#include "vl-qga-platform.h"
#include "vl-report.h"

#define MEMBER(node, name) vl_json_object_get((node), (name))
#define STRING(node, name) vl_json_get_string(MEMBER((node), (name)))

typedef gboolean (*Handler)(const VlQgaContext *q, const VlQgaRequest *request, VlJsonBuilder *b,
                            GError **error);

/* One section of the report, as the native protocol would send it. */
static VlJson *
section(const VlQgaContext *q, const char *name, GError **error)
{
    const char *const names[] = {name, NULL};
    g_autoptr(VlJson) collected = vl_report_collect(q->ctx, names);
    const VlJson *value = MEMBER(collected, name);

    if (value == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the %s section could not be collected",
                    name);
        return NULL;
    }
    return vl_json_ref((VlJson *)value);
}

static gboolean
run_sync(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    vl_json_builder_add_int(b, vl_json_get_int(MEMBER(r->arguments, "id")));
    return TRUE;
}

static gboolean
run_ping(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_end_object(b);
    return TRUE;
}

static gboolean
run_info(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "version", VL_VERSION);
    vl_json_builder_member(b, "supported_commands");
    vl_json_builder_begin_array(b);
    for (const VlQgaCommand *c = vl_qga_commands; c->name; c++) {
        vl_json_builder_begin_object(b);
        vl_json_builder_add_member_bool(b, "enabled", vl_qga_command_enabled(q->config, c));
        vl_json_builder_add_member_string(b, "name", c->name);
        vl_json_builder_add_member_bool(b, "success-response", c->success_response);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    return TRUE;
}

static gboolean
run_time(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    vl_json_builder_add_int(b, g_get_real_time() * 1000); /* nanoseconds */
    return TRUE;
}

/* The os section's values, read directly, not through the whole report and its checks. */
static gboolean
run_osinfo(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_osinfo(q->ctx, q->cache, b, error);
}

/* As qemu-ga: the kernel's host name (gethostname), without the rest of the host section. */
static gboolean
run_host_name(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "host-name", g_get_host_name());
    vl_json_builder_end_object(b);
    return TRUE;
}

/* As qemu-ga: the abbreviation and offset of local time now, by GLib. */
static gboolean
run_timezone(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();

    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "zone", g_date_time_get_timezone_abbreviation(now));
    vl_json_builder_add_member_int(b, "offset", g_date_time_get_utc_offset(now) / G_USEC_PER_SEC);
    vl_json_builder_end_object(b);
    return TRUE;
}

static gboolean
run_users(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_users(q->ctx, b, error);
}

static gboolean
run_vcpus(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_vcpus(q->ctx, b, error);
}

static gboolean
run_interfaces(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_interfaces(q->ctx, b, error);
}

static gboolean
run_memory_blocks(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_memory_block_info(q->ctx, b, error);
}

static gboolean
run_fsinfo(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_fsinfo(q->ctx, q->cache, b, error);
}

static gboolean
run_disks(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_disks(q->ctx, b, error);
}

/* qemu-ga 9.1's guest-get-load. */
static gboolean
run_load(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlJson) cpu = section(q, "cpu", error);

    if (cpu == NULL) {
        return FALSE;
    }
    if (MEMBER(cpu, "load1") == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the load is not known");
        return FALSE;
    }
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "load1");
    vl_json_builder_add_double(b, vl_json_get_double(MEMBER(cpu, "load1")));
    vl_json_builder_member(b, "load5");
    vl_json_builder_add_double(b, vl_json_get_double(MEMBER(cpu, "load5")));
    vl_json_builder_member(b, "load15");
    vl_json_builder_add_double(b, vl_json_get_double(MEMBER(cpu, "load15")));
    vl_json_builder_end_object(b);
    return TRUE;
}

static gboolean
run_shutdown(const VlQgaContext *q, const VlQgaRequest *r, VlJsonBuilder *b, GError **error)
{
    const char *mode = STRING(r->arguments, "mode");
    g_autoptr(GDBusConnection) bus = NULL;

    if (mode == NULL) {
        mode = "powerdown";
    }
    if (!g_str_equal(mode, "powerdown") && !g_str_equal(mode, "halt") &&
        !g_str_equal(mode, "reboot")) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "Parameter 'mode' expects 'halt', 'powerdown', or 'reboot'");
        return FALSE;
    }
    g_message("audit: guest-shutdown requested by the host: mode=%s", mode);
    /* Run as qemu-ga, the agent connects to the bus only now (vl-agent.c); without one,
     * vl_action_shutdown falls back. */
    if (q->bus) {
        bus = g_object_ref(q->bus);
    } else {
        bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
    }
    /* The machine stops either way: halt powers off as powerdown does. */
    return vl_action_shutdown(bus, g_str_equal(mode, "reboot") ? "reboot" : "poweroff", 0, NULL,
                              error);
}

static const struct {
    const char *name;
    Handler run;
} handlers[] = {
    {"guest-sync-delimited", run_sync},
    {"guest-sync", run_sync},
    {"guest-ping", run_ping},
    {"guest-info", run_info},
    {"guest-get-time", run_time},
    {"guest-get-osinfo", run_osinfo},
    {"guest-get-host-name", run_host_name},
    {"guest-get-timezone", run_timezone},
    {"guest-get-users", run_users},
    {"guest-get-vcpus", run_vcpus},
    {"guest-get-memory-block-info", run_memory_blocks},
    {"guest-network-get-interfaces", run_interfaces},
    {"guest-get-fsinfo", run_fsinfo},
    {"guest-get-disks", run_disks},
    {"guest-get-load", run_load},
    {"guest-shutdown", run_shutdown},
};

gboolean
vl_qga_command_enabled(const VlAgentConfig *config, const VlQgaCommand *command)
{
    if (!vl_agent_config_command_allowed(config, command->name)) {
        return FALSE;
    }
    return !g_str_equal(command->name, "guest-shutdown") ||
           vl_agent_config_command_allowed(config, "shutdown");
}

gboolean
vl_qga_run(const VlQgaContext *q, const VlQgaRequest *request, VlJsonBuilder *b, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++) {
        if (g_str_equal(handlers[i].name, request->command->name)) {
            return handlers[i].run(q, request, b, error);
        }
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "The command %s has not been found",
                request->command->name);
    return FALSE;
}
