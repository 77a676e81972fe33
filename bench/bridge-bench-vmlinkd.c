/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting vmlinkd on a libvirt test driver node file, talking to its control socket, and the
 * figures of a process that bench-common.c does not read (CPU time, descriptors).
 */
#include <errno.h>

#include <glib/gstdio.h>

#include <string.h>

#include "bridge-bench.h"

/* Rate limits off: the benchmark measures what vmlinkd can take, not what it allows. */
static const char config_text[] = "[channels]\nrate-messages = 0\nrate-bytes = 0\n";

char *
bench_vm_name(guint i)
{
    return g_strdup_printf("vm%05u", i);
}

char *
bench_vm_uuid(guint i)
{
    return g_strdup_printf("00000000-0000-4000-8000-%012u", i);
}

gboolean
bench_write_node(const char *path, guint count, const char *const *channels, GError **error)
{
    g_autoptr(GString) xml = g_string_new("<node>\n");

    for (guint i = 0; i < count; i++) {
        g_autofree char *name = bench_vm_name(i);
        g_autofree char *uuid = bench_vm_uuid(i);

        /* The test driver starts every domain of its node file. */
        g_string_append_printf(xml,
                               "  <domain type='test'><name>%s</name><uuid>%s</uuid>"
                               "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>",
                               name, uuid);
        if (channels) {
            g_string_append_printf(xml,
                                   "<devices><channel type='unix'><source mode='bind' path='%s'/>"
                                   "<target type='virtio' name='org.vmlink.agent.0'/></channel>"
                                   "</devices>",
                                   channels[i]);
        }
        g_string_append(xml, "</domain>\n");
    }
    g_string_append(xml, "</node>\n");
    return g_file_set_contents(path, xml->str, (gssize)xml->len, error);
}

BenchVmlinkd *
bench_vmlinkd_start(BridgeBench *ctx, BenchNodeFunc write_node, gpointer user_data, guint nofile,
                    GError **error)
{
    g_autoptr(BenchVmlinkd) v = g_new0(BenchVmlinkd, 1);
    g_autofree char *config = NULL;
    g_autofree char *state = NULL;
    g_autofree char *log = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *text = NULL;
    g_autofree char *limit = g_strdup_printf("--nofile=%u", nofile);
    const char *argv[16];
    guint n = 0;

    v->folder = g_strdup_printf("%s/%u-vmlinkd", ctx->tmpdir, ++ctx->serial);
    v->node = g_build_filename(v->folder, "node.xml", NULL);
    v->control = g_build_filename(v->folder, "control.sock", NULL);
    config = g_build_filename(v->folder, "bridge.conf", NULL);
    state = g_build_filename(v->folder, "state", NULL);
    log = g_build_filename(v->folder, "vmlinkd.log", NULL);
    uri = write_node ? g_strconcat("test://", v->node, NULL) : g_strdup("qemu:///system");
    if (g_mkdir(v->folder, 0700) < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot create %s: %s", v->folder,
                    g_strerror(errno));
        return NULL;
    }
    text = g_strdup_printf("%s\n[control]\naudit-log = %s/audit.log\n",
                           ctx->vmlinkd_config ? ctx->vmlinkd_config : config_text, v->folder);
    if (!g_file_set_contents(config, text, -1, error) ||
        (write_node && !write_node(v->node, user_data, error))) {
        return NULL;
    }
    /* prlimit sets the limit and execs vmlinkd: the peer's pid is vmlinkd's. */
    argv[n++] = "prlimit";
    argv[n++] = limit;
    argv[n++] = "--";
    argv[n++] = ctx->bridge;
    argv[n++] = "--foreground";
    argv[n++] = "--config";
    argv[n++] = config;
    argv[n++] = "--libvirt-uri";
    argv[n++] = uri;
    argv[n++] = "--state-dir";
    argv[n++] = state;
    argv[n++] = "--local-socket";
    argv[n++] = v->control;
    argv[n++] = "--listen";
    argv[n++] = "none";
    argv[n++] = NULL;
    v->started = g_get_monotonic_time();
    v->peer = bench_peer_spawn("vmlinkd", argv, log, error);
    if (v->peer == NULL) {
        return NULL;
    }
    return g_steal_pointer(&v);
}

void
bench_vmlinkd_free(BenchVmlinkd *v)
{
    if (v == NULL) {
        return;
    }
    bench_peer_free(v->peer);
    g_free(v->folder);
    g_free(v->node);
    g_free(v->control);
    g_free(v);
}

VlJson *
bench_call(VlClient *client, const char *method, const VlJson *params, GError **error)
{
    VlJson *result = vl_client_call(client, method, params, BENCH_CALL_TIMEOUT_MS, error);

    if (result == NULL) {
        g_prefix_error(error, "%s: ", method);
    }
    return result;
}

VlClient *
bench_vmlinkd_client(BenchVmlinkd *v, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)BENCH_CALL_TIMEOUT_MS * 1000;

    for (;;) {
        g_autoptr(GError) local_error = NULL;
        g_autoptr(VlClient) client = NULL;
        g_autoptr(VlJson) info = NULL;

        if (!bench_peer_check(v->peer, error) || bench_interrupted(error)) {
            return NULL;
        }
        /* The socket listens before vmlinkd reads libvirt's domains, but it answers only once
         * its loop runs, after that first reading. */
        client = vl_client_connect(v->control, &local_error);
        if (client) {
            info = vl_client_call(client, "host.info", NULL, BENCH_CALL_TIMEOUT_MS, &local_error);
            if (info) {
                return g_steal_pointer(&client);
            }
        }
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_TIMEOUT,
                        "vmlinkd does not answer on %s: %s", v->control, local_error->message);
            return NULL;
        }
        g_usleep(10000);
    }
}

VlJson *
bench_params_vm(const char *vm, const char *section)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vm);
    if (section) {
        vl_json_builder_member(b, "sections");
        vl_json_builder_begin_array(b);
        vl_json_builder_add_string(b, section);
        vl_json_builder_end_array(b);
    }
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

/* /proc ---------------------------------------------------------------------------------------- */

gboolean
bench_proc_cpu_us(GPid pid, guint64 *ret_us, GError **error)
{
    g_autofree char *folder = g_strdup_printf("/proc/%d/task", pid);
    g_autoptr(GDir) dir = g_dir_open(folder, 0, error);
    const char *task;
    guint64 ns = 0;

    if (dir == NULL) {
        return FALSE;
    }
    /* The first field of schedstat is the time on a CPU in nanoseconds: utime + stime without
     * /proc/PID/stat's 10 ms ticks. Threads that ended no longer count; the benchmarks read
     * it around work that no thread ends during. */
    while ((task = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(folder, task, "schedstat", NULL);
        g_autofree char *text = NULL;

        if (g_file_get_contents(path, &text, NULL, NULL)) {
            ns += g_ascii_strtoull(text, NULL, 10);
        }
    }
    if (ns == 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "no CPU time in %s/*/schedstat",
                    folder);
        return FALSE;
    }
    *ret_us = ns / 1000;
    return TRUE;
}

gboolean
bench_proc_cpu_split_us(GPid pid, guint64 *ret_user_us, guint64 *ret_kernel_us, GError **error)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    const char *after;
    long hz = sysconf(_SC_CLK_TCK);

    if (!g_file_get_contents(path, &text, NULL, error)) {
        return FALSE;
    }
    /* After the command's closing parenthesis: state is field 3, utime 14, stime 15. */
    after = strrchr(text, ')');
    fields = g_strsplit(after ? after + 2 : "", " ", 0);
    if (g_strv_length(fields) < 13 || hz <= 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot read %s", path);
        return FALSE;
    }
    *ret_user_us = g_ascii_strtoull(fields[11], NULL, 10) * G_USEC_PER_SEC / (guint64)hz;
    *ret_kernel_us = g_ascii_strtoull(fields[12], NULL, 10) * G_USEC_PER_SEC / (guint64)hz;
    return TRUE;
}

static guint
count_entries(const char *folder, GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(folder, 0, error);
    guint n = 0;

    while (dir && g_dir_read_name(dir)) {
        n++;
    }
    return n;
}

gboolean
bench_proc_counts(GPid pid, guint *ret_fds, guint *ret_threads, GError **error)
{
    g_autofree char *fds = g_strdup_printf("/proc/%d/fd", pid);
    g_autofree char *tasks = g_strdup_printf("/proc/%d/task", pid);
    GError *local_error = NULL;

    *ret_fds = count_entries(fds, &local_error);
    if (local_error == NULL) {
        *ret_threads = count_entries(tasks, &local_error);
    }
    if (local_error) {
        g_propagate_error(error, local_error);
        return FALSE;
    }
    return TRUE;
}
