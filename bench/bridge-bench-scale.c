/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Channels at scale: vmlinkd attached to N scripted guests at once. For each N: how long the
 * handshakes take, vmlinkd's memory once they are done (against the same N domains without
 * channels), then a stream of heartbeats spread over every channel, and vmlinkd's CPU time per
 * heartbeat, checked against vmlinkd's own count of what it handled.
 */
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "bridge-bench.h"

/* Rest after the handshakes before reading memory, so their work is over. */
#define SETTLE_MS 1000
/* Issue 5: CPU per message at the most channels over the fewest, at most. */
#define CPU_GOAL_RATIO 1.3
/* Issue 6: resident memory per idle channel, at most (KiB). */
#define RSS_GOAL_KIB 16.0
/* The agents' pace: vmlink-agent's default heartbeat interval, and how long it is kept. */
#define PACE_INTERVAL_MS 5000
#define PACE_DURATION_MS 10000
/* guest.info calls timed, by UUID and by name. */
#define SAMPLE_CALLS 500
/* Descriptors vmlinkd may open beyond one per channel: libvirt, the control plane, logs. */
#define SPARE_FDS 256

typedef struct {
    guint channels;
    BenchRss no_channels; /* the same domains, none with a channel */
    BenchRss idle;        /* every channel handshaken, then at rest */
    BenchRss after;       /* after the heartbeats */
    gint64 first_us;      /* from the spawn: first connection to a channel */
    gint64 all_us;        /* from the spawn: every hello answered */
    gint64 responsive_us; /* from the spawn: vm.list shows every agent responsive */
    gint64 list_us;       /* the last vm.list, round trip */
    BenchStats by_uuid;   /* guest.info round trips, the VM named by its UUID */
    BenchStats by_name;   /* the same, by its name */
    guint fds;
    guint threads;
    guint64 startup_cpu_us; /* vmlinkd's CPU time from its start to rest */
    guint64 cpu_us;         /* vmlinkd's CPU time over the heartbeats */
    guint64 user_us;        /* the same, split: in vmlinkd's own code and libraries */
    guint64 kernel_us;      /*   and in the kernel, for it (its system calls) */
    gint64 wall_us;         /* the heartbeats, from the first write to the last read */
    guint64 handled;        /* heartbeats vmlinkd counted (its frames, less the hellos) */
    BenchSendStats send;
    /* At the agents' pace */
    BenchSendStats paced;
    guint64 paced_cpu_us;
    gint64 paced_wall_us;
    guint64 paced_handled;
} Point;

/* Per message and per channel figures ---------------------------------------------------------- */

static double
cpu_per_message_us(const Point *p)
{
    return p->send.sent ? (double)p->cpu_us / (double)p->send.sent : 0;
}

static double
per_channel_kib(guint64 with, guint64 without, guint channels)
{
    return ((double)with - (double)without) / channels;
}

/* VmRSS each channel added between two numbers of channels. */
static double
marginal_kib(const Point *prev, const Point *p)
{
    double added = ((double)p->idle.total - (double)p->no_channels.total) -
                   ((double)prev->idle.total - (double)prev->no_channels.total);

    return added / (p->channels - prev->channels);
}

/* Runs ----------------------------------------------------------------------------------------- */

typedef struct {
    guint count;
    const char *const *channels;
} NodeSpec;

static gboolean
write_node(const char *node_path, gpointer user_data, GError **error)
{
    NodeSpec *spec = user_data;

    return bench_write_node(node_path, spec->count, spec->channels, error);
}

/* vmlinkd on count domains without channels: its memory once it knows them all. */
static gboolean
run_without_channels(BridgeBench *ctx, guint count, BenchRss *ret_rss, GError **error)
{
    NodeSpec spec = {count, NULL};
    g_autoptr(BenchVmlinkd) v = bench_vmlinkd_start(ctx, write_node, &spec, SPARE_FDS, error);
    g_autoptr(VlClient) client = NULL;
    g_autoptr(VlJson) info = NULL;

    if (v == NULL || (client = bench_vmlinkd_client(v, error)) == NULL ||
        (info = bench_call(client, "host.info", NULL, error)) == NULL) {
        return FALSE;
    }
    if (vl_json_get_int(vl_json_object_get(info, "vms")) != count) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED,
                    "vmlinkd knows %" G_GINT64_FORMAT " VMs of %u",
                    vl_json_get_int(vl_json_object_get(info, "vms")), count);
        return FALSE;
    }
    return bench_sleep_ms(SETTLE_MS, error) &&
           bench_proc_rss(bench_peer_pid(v->peer), ret_rss, error) &&
           bench_peer_check(v->peer, error);
}

/* Polls vm.list until every agent is responsive: vmlinkd has handled every hello. */
static gboolean
wait_responsive(BenchVmlinkd *v, VlClient *client, Point *p, GError **error)
{
    for (;;) {
        gint64 start = g_get_monotonic_time();
        g_autoptr(VlJson) list = bench_call(client, "vm.list", NULL, error);
        const VlJson *vms;
        guint responsive = 0;

        if (list == NULL) {
            return FALSE;
        }
        p->list_us = g_get_monotonic_time() - start;
        vms = vl_json_object_get(list, "vms");
        for (guint i = 0; i < vl_json_array_length(vms); i++) {
            responsive += g_strcmp0(vl_json_get_string(
                                        vl_json_object_get(vl_json_array_get(vms, i), "agent")),
                                    "responsive") == 0;
        }
        if (responsive == p->channels) {
            p->responsive_us = g_get_monotonic_time() - v->started;
            return TRUE;
        }
        if (!bench_sleep_ms(50, error)) {
            return FALSE;
        }
    }
}

/* guest.info of every VM: vmlinkd's count of what it handled, and the last value it kept. */
static gboolean
verify(BenchGuests *guests, VlClient *client, Point *p, guint64 *ret_handled, GError **error)
{
    *ret_handled = 0;
    for (guint i = 0; i < p->channels; i++) {
        g_autofree char *uuid = bench_vm_uuid(i);
        g_autoptr(VlJson) params = bench_params_vm(uuid, "memory");
        g_autoptr(VlJson) info = bench_call(client, "guest.info", params, error);
        guint64 sent = bench_guests_sent(guests, i);
        const VlJson *counters;
        gint64 frames, kept;

        if (info == NULL) {
            return FALSE;
        }
        counters = vl_json_object_get(info, "counters");
        frames = vl_json_get_int(vl_json_object_get(counters, "frames"));
        kept = vl_json_get_int(vl_json_object_get(
            vl_json_object_get(vl_json_object_get(info, "sections"), "memory"), "available_kib"));
        if (vl_json_get_int(vl_json_object_get(counters, "invalid")) != 0 ||
            vl_json_get_int(vl_json_object_get(counters, "rate_limited")) != 0 ||
            vl_json_get_int(vl_json_object_get(counters, "connects")) != 1) {
            g_autofree char *text = vl_json_to_string(counters, NULL);

            g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED,
                        "VM %u: invalid or rate-limited messages, or reconnections: %s", i, text);
            return FALSE;
        }
        /* frames counts the hello too. */
        if (frames != (gint64)sent + 1 ||
            (sent > 0 && kept != (gint64)bench_guests_last_value(guests, i))) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED,
                        "VM %u: sent %" G_GUINT64_FORMAT
                        " heartbeats, the last with %" G_GUINT64_FORMAT
                        "; vmlinkd counted %" G_GINT64_FORMAT " frames and kept %" G_GINT64_FORMAT,
                        i, sent, bench_guests_last_value(guests, i), frames, kept);
            return FALSE;
        }
        *ret_handled += (guint64)frames - 1;
    }
    return TRUE;
}

/* Round trips of guest.info on VMs spread over all of them, by UUID or by name. */
static gboolean
time_guest_info(VlClient *client, guint channels, gboolean by_name, BenchStats *ret_stats,
                GError **error)
{
    g_autoptr(GArray) samples = g_array_new(FALSE, FALSE, sizeof(gint64));

    for (guint k = 0; k < SAMPLE_CALLS; k++) {
        guint i = (guint)(((guint64)k * 7919) % channels);
        g_autofree char *vm = by_name ? bench_vm_name(i) : bench_vm_uuid(i);
        g_autoptr(VlJson) params = bench_params_vm(vm, "memory");
        gint64 start = g_get_monotonic_time();
        g_autoptr(VlJson) info = bench_call(client, "guest.info", params, error);
        gint64 rtt = g_get_monotonic_time() - start;

        if (info == NULL) {
            return FALSE;
        }
        g_array_append_val(samples, rtt);
    }
    bench_stats_compute(samples, ret_stats);
    return TRUE;
}

static gboolean
run_with_channels(BridgeBench *ctx, Point *p, GError **error)
{
    g_autofree char *folder = g_strdup_printf("%s/%u-guests", ctx->tmpdir, ++ctx->serial);
    g_autoptr(BenchGuests) guests = NULL;
    g_autoptr(BenchVmlinkd) v = NULL;
    g_autoptr(VlClient) client = NULL;
    g_autoptr(VlJson) info = NULL;
    NodeSpec spec = {p->channels, NULL};
    gint64 first = 0, start;
    guint64 cpu_before, cpu_after, user_before, user_after, kernel_before, kernel_after;
    GPid pid;

    if (g_mkdir(folder, 0700) < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot create %s", folder);
        return FALSE;
    }
    guests = bench_guests_new(folder, p->channels, error);
    if (guests == NULL) {
        return FALSE;
    }
    spec.channels = bench_guests_paths(guests);
    v = bench_vmlinkd_start(ctx, write_node, &spec, p->channels + SPARE_FDS, error);
    if (v == NULL) {
        return FALSE;
    }
    pid = bench_peer_pid(v->peer);
    if (!bench_guests_handshake(guests, v->peer, BENCH_HANDSHAKE_TIMEOUT_MS, &first, error)) {
        g_prefix_error(error, "handshakes: ");
        return FALSE;
    }
    p->first_us = first - v->started;
    p->all_us = g_get_monotonic_time() - v->started;
    client = bench_vmlinkd_client(v, error);
    if (client == NULL || !wait_responsive(v, client, p, error) ||
        !bench_sleep_ms(SETTLE_MS, error) || !bench_proc_rss(pid, &p->idle, error) ||
        !bench_proc_counts(pid, &p->fds, &p->threads, error) ||
        !bench_proc_cpu_us(pid, &p->startup_cpu_us, error)) {
        return FALSE;
    }

    g_print("channels: %u, %u heartbeats\n", p->channels, ctx->messages);
    cpu_before = p->startup_cpu_us;
    if (!bench_proc_cpu_split_us(pid, &user_before, &kernel_before, error)) {
        return FALSE;
    }
    start = g_get_monotonic_time();
    if (!bench_guests_send(guests, v->peer, ctx->messages, &p->send, error)) {
        g_prefix_error(error, "heartbeats: ");
        return FALSE;
    }
    p->wall_us = g_get_monotonic_time() - start;
    /* A call behind the last heartbeat: vmlinkd has handled everything it read. */
    info = bench_call(client, "host.info", NULL, error);
    if (info == NULL || !bench_proc_cpu_us(pid, &cpu_after, error) ||
        !bench_proc_cpu_split_us(pid, &user_after, &kernel_after, error)) {
        return FALSE;
    }
    p->cpu_us = cpu_after - cpu_before;
    p->user_us = user_after - user_before;
    p->kernel_us = kernel_after - kernel_before;
    if (!verify(guests, client, p, &p->handled, error) || !bench_proc_rss(pid, &p->after, error)) {
        return FALSE;
    }

    g_print("channels: %u, one heartbeat per channel every %u ms for %u s\n", p->channels,
            PACE_INTERVAL_MS, PACE_DURATION_MS / 1000);
    start = g_get_monotonic_time();
    if (!bench_proc_cpu_us(pid, &cpu_before, error) ||
        !bench_guests_pace(guests, v->peer, PACE_INTERVAL_MS, PACE_DURATION_MS, &p->paced, error)) {
        g_prefix_error(error, "heartbeats at the agents' pace: ");
        return FALSE;
    }
    g_clear_pointer(&info, vl_json_unref);
    info = bench_call(client, "host.info", NULL, error);
    if (info == NULL || !bench_proc_cpu_us(pid, &cpu_after, error)) {
        return FALSE;
    }
    p->paced_wall_us = g_get_monotonic_time() - start;
    p->paced_cpu_us = cpu_after - cpu_before;
    if (!verify(guests, client, p, &p->paced_handled, error)) {
        return FALSE;
    }
    p->paced_handled -= p->handled;
    /* Every channel has just been heard from, as on a host whose agents send heartbeats. */
    return time_guest_info(client, p->channels, FALSE, &p->by_uuid, error) &&
           time_guest_info(client, p->channels, TRUE, &p->by_name, error) &&
           bench_peer_check(v->peer, error);
}

/* Report --------------------------------------------------------------------------------------- */

static char *
format_kib(double kib)
{
    return g_strdup_printf("%.1f KiB", kib);
}

static char *
format_ms(gint64 us)
{
    return g_strdup_printf("%.0f ms", (double)us / 1000);
}

static void
write_method(BridgeBench *ctx, const BenchRss *empty)
{
    g_string_append_printf(
        ctx->report,
        "### Channels: heartbeats, CPU and memory against the number of VMs\n\n"
        "One benchmark process plays every guest. For N VMs it listens on N UNIX sockets (one "
        "epoll set), writes a libvirt test driver node file of N running domains whose vmlink "
        "channel is one of those sockets, and starts vmlinkd on it (`--libvirt-uri "
        "test:///…/node.xml`; `[channels] rate-messages = 0` and `rate-bytes = 0`, so that no "
        "rate limit throttles it; descriptors raised to N + %u with prlimit). vmlinkd connects "
        "to every channel and sends its hello; the guest answers with the nonce echoed. Once "
        "vm.list shows every agent responsive, and after %u ms of rest, vmlinkd's memory is "
        "read. Then come heartbeats (about 110 bytes each: memory figures, the message every "
        "agent sends most often), in two ways:\n\n"
        "- Flat out: %u heartbeats, one write each, with one heartbeat always waiting in "
        "every channel. A channel gets its next heartbeat as soon as vmlinkd has read the "
        "previous one (the guest's socket then has no unread bytes, SIOCOUTQ; an "
        "edge-triggered EPOLLOUT wakes the benchmark), so the heartbeats go round the "
        "channels in the order vmlinkd serves them, every read by vmlinkd returns one "
        "heartbeat whatever N is, and the benchmark sleeps while vmlinkd works. Messages per "
        "second is heartbeats over the wall time from the first write to the moment vmlinkd "
        "had read the last; the benchmark's writes share the core, so 1 / (CPU per message) "
        "is what vmlinkd alone could take.\n"
        "- At the agents' pace: for %u s, every channel sends one heartbeat every %u s "
        "(vmlink-agent's default heartbeat-interval), the channels evenly spread over the "
        "interval: N / %u heartbeats per second, what a host of N quiet VMs sends. vmlinkd's "
        "CPU time over those seconds, whatever it did in them, is what such a host costs it; "
        "per heartbeat, that time over the heartbeats.\n\n"
        "What vmlinkd handled is its own count, not the benchmark's: after each way, "
        "guest.info of every VM returns the channel's `counters.frames` (valid messages, the "
        "hello included) and the memory section whose `available_kib` the last heartbeat "
        "set. The benchmark checks that each VM's count is its heartbeats plus one, that the "
        "kept value is the one it sent last, and that no message was refused or "
        "rate-limited and no channel reconnected; \"handled\" is the sum of the counts. CPU "
        "is vmlinkd's time on a CPU, all threads (the first field of "
        "/proc/PID/task/*/schedstat: utime + stime in nanoseconds rather than "
        "/proc/PID/stat's 10 ms ticks), from just before the first heartbeat to just after "
        "a host.info call queued behind the last.\n\n"
        "Memory per channel compares vmlinkd with N handshaken, idle channels against "
        "vmlinkd on the same N domains without channels (started alone, same rest): what "
        "the channels themselves cost. The test driver keeps its domains inside vmlinkd's "
        "process, where a libvirtd or virtqemud would hold them in its own, so the \"all "
        "in\" column (against vmlinkd on an empty node file: %" G_GUINT64_FORMAT
        " KiB VmRSS) overstates what a VM costs vmlinkd on a real host.\n\n",
        SPARE_FDS, SETTLE_MS, ctx->messages, PACE_DURATION_MS / 1000, PACE_INTERVAL_MS / 1000,
        PACE_INTERVAL_MS / 1000, empty->total);
}

static void
write_tables(BridgeBench *ctx, const Point *points, guint n, const BenchRss *empty)
{
    GString *out = ctx->report;
    const Point *fewest = &points[0];
    const Point *most = &points[n - 1];
    double base = cpu_per_message_us(fewest);
    double ratio = base > 0 ? cpu_per_message_us(most) / base : 0;
    double rss_most = per_channel_kib(most->idle.total, most->no_channels.total, most->channels);

    g_string_append(out, "| Channels, flat out | heartbeats | handled (vmlinkd's counters) | "
                         "messages/s | vmlinkd CPU | CPU per message | vs "
                         "the fewest | of which user | of which kernel | heartbeats per "
                         "channel, min–max |\n"
                         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (guint i = 0; i < n; i++) {
        const Point *p = &points[i];
        double per = cpu_per_message_us(p);

        g_string_append_printf(
            out,
            "| %u | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
            " | %.0f | %.2f s (%.0f%% of the wall time) | %.2f µs | %.2fx | "
            "%.2f µs | %.2f µs | "
            "%" G_GUINT64_FORMAT "–%" G_GUINT64_FORMAT " |\n",
            p->channels, p->send.sent, p->handled,
            (double)p->send.sent * G_USEC_PER_SEC / (double)p->wall_us,
            (double)p->cpu_us / G_USEC_PER_SEC, 100.0 * (double)p->cpu_us / (double)p->wall_us, per,
            base > 0 ? per / base : 0, (double)p->user_us / (double)MAX(p->handled, 1),
            (double)p->kernel_us / (double)MAX(p->handled, 1), p->send.min_per, p->send.max_per);
    }
    g_string_append_printf(
        out,
        "\nThe user and kernel columns split vmlinkd's CPU per message between its own code "
        "(and its libraries) and the kernel's work for it (epoll, recv, its sockets), from "
        "/proc/PID/stat's clock ticks (10 ms each: good to a few percent over these seconds, "
        "so their sum is near, not equal to, the column before). Of what a message costs more "
        "at %u channels than at %u, %.2f µs is vmlinkd's own code (%.2fx) and %.2f µs the "
        "kernel's (%.2fx): the per-socket state of thousands of sockets no longer fits the "
        "CPU's caches, on both sides of the system calls.\n\n"
        "Goal (issue 5): CPU per message at %u channels at most %.1fx that at %u: %s "
        "(%.2fx).\n\n",
        most->channels, fewest->channels,
        ((double)most->user_us / (double)MAX(most->handled, 1)) -
            ((double)fewest->user_us / (double)MAX(fewest->handled, 1)),
        ((double)most->user_us / (double)MAX(most->handled, 1)) /
            MAX((double)fewest->user_us / (double)MAX(fewest->handled, 1), 1e-9),
        ((double)most->kernel_us / (double)MAX(most->handled, 1)) -
            ((double)fewest->kernel_us / (double)MAX(fewest->handled, 1)),
        ((double)most->kernel_us / (double)MAX(most->handled, 1)) /
            MAX((double)fewest->kernel_us / (double)MAX(fewest->handled, 1), 1e-9),
        most->channels, CPU_GOAL_RATIO, fewest->channels,
        ratio <= CPU_GOAL_RATIO ? "met" : "not met", ratio);

    g_string_append_printf(out,
                           "| Channels, one heartbeat each every %u s | heartbeats in %u s | "
                           "handled (vmlinkd's counters) | vmlinkd CPU | share of one core | "
                           "CPU per heartbeat |\n"
                           "|---:|---:|---:|---:|---:|---:|\n",
                           PACE_INTERVAL_MS / 1000, PACE_DURATION_MS / 1000);
    for (guint i = 0; i < n; i++) {
        const Point *p = &points[i];
        g_autofree char *cpu = bench_format_us((gint64)p->paced_cpu_us);
        g_autofree char *per =
            bench_format_us(p->paced.sent ? (gint64)(p->paced_cpu_us / p->paced.sent) : 0);

        g_string_append_printf(
            out, "| %u | %" G_GUINT64_FORMAT "%s | %" G_GUINT64_FORMAT " | %s | %.2f%% | %s |\n",
            p->channels, p->paced.sent, p->paced.late ? " (some late)" : "", p->paced_handled, cpu,
            100.0 * (double)p->paced_cpu_us / (double)p->paced_wall_us, per);
    }
    g_string_append(out,
                    "\nWith few channels the heartbeats come far apart and each finds vmlinkd, and "
                    "its CPU, idle: the time per heartbeat is then mostly that of waking up, "
                    "which on this virtual machine costs more than the work.\n\n");

    g_string_append(out, "| Channels | VmRSS, domains without channels | VmRSS, channels idle | "
                         "per channel | per channel from the previous row | private (USS) per "
                         "channel | anon per channel | VmRSS after the heartbeats | per VM, "
                         "all in |\n"
                         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (guint i = 0; i < n; i++) {
        const Point *p = &points[i];
        g_autofree char *per =
            format_kib(per_channel_kib(p->idle.total, p->no_channels.total, p->channels));
        g_autofree char *marginal = i > 0 ? format_kib(marginal_kib(&points[i - 1], p)) : NULL;
        g_autofree char *priv =
            format_kib(per_channel_kib(p->idle.private, p->no_channels.private, p->channels));
        g_autofree char *anon =
            format_kib(per_channel_kib(p->idle.anon, p->no_channels.anon, p->channels));
        g_autofree char *all_in =
            format_kib(per_channel_kib(p->idle.total, empty->total, p->channels));

        g_string_append_printf(out,
                               "| %u | %" G_GUINT64_FORMAT " KiB | %" G_GUINT64_FORMAT
                               " KiB | %s | %s | %s | %s | %" G_GUINT64_FORMAT " KiB | %s |\n",
                               p->channels, p->no_channels.total, p->idle.total, per,
                               marginal ? marginal : "—", priv, anon, p->after.total, all_in);
    }
    g_string_append_printf(
        out,
        "\nEach per-channel figure is the difference between the two runs over N. \"From the "
        "previous row\" is the slope instead: what each channel added between two numbers of "
        "channels, without the costs that come once whatever N is (first reads and parses, "
        "buffers on the stack), which weigh on the per-channel figures at few channels. "
        "Private memory also moves with the library pages that other processes on the "
        "machine happen to map at the moment of each reading; anon (RssAnon: heap and "
        "stacks) does not.\n\n"
        "Goal (issue 5): VmRSS per idle channel at most %.0f KiB, taken at %u channels, where "
        "the costs that come once weigh least: %s (%.1f KiB).\n\n"
        "![vmlinkd: CPU per message and memory per channel against the number of channels]"
        "(bridge-scale.svg)\n\n",
        RSS_GOAL_KIB, most->channels, rss_most <= RSS_GOAL_KIB ? "met" : "not met", rss_most);

    g_string_append(out, "| Channels | first connection | every hello answered | every "
                         "agent responsive (vm.list) | vmlinkd CPU until then | vm.list round "
                         "trip | guest.info by UUID, p50 | guest.info by name, p50 | "
                         "descriptors | threads |\n"
                         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (guint i = 0; i < n; i++) {
        const Point *p = &points[i];
        g_autofree char *first = format_ms(p->first_us);
        g_autofree char *all = format_ms(p->all_us);
        g_autofree char *responsive = format_ms(p->responsive_us);
        g_autofree char *cpu = format_ms((gint64)p->startup_cpu_us);
        g_autofree char *list = bench_format_us(p->list_us);
        g_autofree char *uuid = bench_format_us(p->by_uuid.p50);
        g_autofree char *name = bench_format_us(p->by_name.p50);

        g_string_append_printf(out, "| %u | %s | %s | %s | %s | %s | %s | %s | %u | %u |\n",
                               p->channels, first, all, responsive, cpu, list, uuid, name, p->fds,
                               p->threads);
    }
    g_string_append_printf(
        out,
        "\nTimes are from vmlinkd's start (spawn); its CPU until then includes reading the "
        "node file. The guest.info round trips (%u calls each, spread over all VMs, memory "
        "section only) are taken after the heartbeats at the agents' pace, every agent "
        "responsive. Descriptors and threads are vmlinkd's at rest with every channel "
        "attached (/proc/PID/fd, /proc/PID/task).\n\n",
        SAMPLE_CALLS);
}

/* One line per number of channels, for bridge-scale.gp. */
static void
write_samples(BridgeBench *ctx, const Point *points, guint n)
{
    g_string_append(ctx->samples, "# channels cpu_per_message_us_flat_out "
                                  "cpu_per_heartbeat_us_paced rss_per_channel_kib "
                                  "rss_per_channel_from_previous_kib (- on the first line)\n");
    for (guint i = 0; i < n; i++) {
        const Point *p = &points[i];
        g_autofree char *marginal =
            i > 0 ? g_strdup_printf("%.2f", marginal_kib(&points[i - 1], p)) : g_strdup("-");

        g_string_append_printf(
            ctx->samples, "%u %.3f %.3f %.2f %s\n", p->channels, cpu_per_message_us(p),
            p->paced.sent ? (double)p->paced_cpu_us / (double)p->paced.sent : 0,
            per_channel_kib(p->idle.total, p->no_channels.total, p->channels), marginal);
    }
}

/* Descriptors for every listener and connection of the largest run, and the rest. */
static gboolean
raise_nofile(guint channels, GError **error)
{
    struct rlimit limit = {0};
    rlim_t want = (rlim_t)channels * 2 + SPARE_FDS;

    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= want) {
        return TRUE;
    }
    limit.rlim_cur = want;
    limit.rlim_max = MAX(limit.rlim_max, want);
    if (setrlimit(RLIMIT_NOFILE, &limit) < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED,
                    "cannot raise the descriptor limit to %lu for %u channels", (unsigned long)want,
                    channels);
        return FALSE;
    }
    return TRUE;
}

gboolean
bench_scale(BridgeBench *ctx, GError **error)
{
    guint n = ctx->channels->len;
    g_autofree Point *points = g_new0(Point, n);
    BenchRss empty = {0};

    if (!raise_nofile(g_array_index(ctx->channels, guint, n - 1), error)) {
        return FALSE;
    }
    g_print("channels: vmlinkd on an empty node file\n");
    if (!run_without_channels(ctx, 0, &empty, error)) {
        g_prefix_error(error, "vmlinkd without domains: ");
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        Point *p = &points[i];

        p->channels = g_array_index(ctx->channels, guint, i);
        g_print("channels: vmlinkd on %u domains without channels\n", p->channels);
        if (!run_without_channels(ctx, p->channels, &p->no_channels, error)) {
            g_prefix_error(error, "vmlinkd on %u domains without channels: ", p->channels);
            return FALSE;
        }
        g_print("channels: vmlinkd on %u channels\n", p->channels);
        if (!run_with_channels(ctx, p, error)) {
            g_prefix_error(error, "vmlinkd on %u channels: ", p->channels);
            return FALSE;
        }
        g_print("channels: %u: %.2f µs of vmlinkd CPU per heartbeat, VmRSS %" G_GUINT64_FORMAT
                " KiB idle (%" G_GUINT64_FORMAT " KiB without channels)\n",
                p->channels, cpu_per_message_us(p), p->idle.total, p->no_channels.total);
    }
    write_method(ctx, &empty);
    write_tables(ctx, points, n, &empty);
    write_samples(ctx, points, n);
    return TRUE;
}
