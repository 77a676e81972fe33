/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control-bench: vmlinkd's TLS control plane beside OpenSSL's own server, same machine, same run.
 *
 *   calls     guest.info (a real agent's report) and vm.list (20 VMs of libvirt's test driver),
 *             one after the other on one owned connection, as the owning manager; beside the
 *             same exchange with `openssl s_server -rev` (which sends each line back reversed:
 *             the request padded to the answer's size, so the same bytes cross TLS, and no work
 *             is done): the floor any TLS server on this machine has.
 *   handshake `openssl s_time -new` (full handshakes, the manager's certificate presented)
 *             against vmlinkd and against `openssl s_server` with the bridge's own key and
 *             certificate (ECDSA P-256) and a client certificate requested, as vmlinkd does.
 *
 * Everything is pinned to one CPU (--cpu), as in the other benchmarks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench-common.h"

#define PASSWORD "bench password"
#define WAIT_S 60

typedef struct {
    char *vmlinkd;
    char *ctl;
    char *agent;
    int seconds;
    int cpu;
    BenchOutputs out;
    char *work;
    guint16 port;      /* vmlinkd's TLS port */
    guint16 peer_port; /* openssl s_server's */
    char *cert;        /* the manager's certificate and key */
    char *key;
    char *bridge_cert; /* the bridge's, for s_server */
    char *bridge_key;
    GSubprocess *agent_process;
    GSubprocess *bridge;
} Ctx;

/* Processes --------------------------------------------------------------------------------- */

static char *
path(Ctx *c, const char *name)
{
    return g_build_filename(c->work, name, NULL);
}

static gboolean
run(Ctx *c, const char *input, char **ret_out, GError **error, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) p = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *home = path(c, "manager");
    va_list ap;

    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (gpointer)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", home, TRUE);
    p = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
    if (p == NULL || !g_subprocess_communicate_utf8(p, input, NULL, &out, &err, error)) {
        return FALSE;
    }
    if (!g_subprocess_get_if_exited(p) || g_subprocess_get_exit_status(p) != 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s failed: %s%s", first, out, err);
        return FALSE;
    }
    if (ret_out) {
        *ret_out = g_steal_pointer(&out);
    }
    return TRUE;
}

static guint16
free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    return ntohs(addr.sin_port);
}

/* utime + stime of a process, in clock ticks. */
static guint64
cpu_ticks(GSubprocess *p)
{
    g_autofree char *file = g_strdup_printf("/proc/%s/stat", g_subprocess_get_identifier(p));
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    const char *after;

    if (!g_file_get_contents(file, &text, NULL, NULL) || !(after = strrchr(text, ')'))) {
        return 0;
    }
    fields = g_strsplit(after + 2, " ", 0);
    if (g_strv_length(fields) < 13) {
        return 0;
    }
    return g_ascii_strtoull(fields[11], NULL, 10) + g_ascii_strtoull(fields[12], NULL, 10);
}

static GSubprocess *
spawn_logged(Ctx *c, const char *log_name, const char *const *argv, GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autofree char *log = path(c, log_name);

    g_subprocess_launcher_set_stderr_file_path(launcher, log);
    return g_subprocess_launcher_spawnv(launcher, argv, error);
}

static void
stop(GSubprocess **p)
{
    if (*p) {
        g_subprocess_send_signal(*p, SIGTERM);
        g_subprocess_wait(*p, NULL, NULL);
        g_clear_object(p);
    }
}

/* A TLS connection of the manager ------------------------------------------------------------ */

typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    GString *in;
} Conn;

static void
conn_close(Conn *conn)
{
    if (conn->ssl) {
        SSL_shutdown(conn->ssl);
        SSL_free(conn->ssl);
    }
    if (conn->fd >= 0) {
        close(conn->fd);
    }
    SSL_CTX_free(conn->ctx);
    if (conn->in) {
        g_string_free(conn->in, TRUE);
    }
    memset(conn, 0, sizeof(*conn));
    conn->fd = -1;
}

static gboolean
conn_open(Conn *conn, Ctx *c, guint16 port, GError **error)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;

    conn->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    conn->ctx = SSL_CTX_new(TLS_client_method());
    conn->in = g_string_new(NULL);
    setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(conn->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        SSL_CTX_use_certificate_file(conn->ctx, c->cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(conn->ctx, c->key, SSL_FILETYPE_PEM) != 1) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot connect to port %u", port);
        return FALSE;
    }
    conn->ssl = SSL_new(conn->ctx);
    SSL_set_fd(conn->ssl, conn->fd);
    if (SSL_connect(conn->ssl) != 1) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "TLS handshake with port %u failed",
                    port);
        ERR_clear_error();
        return FALSE;
    }
    return TRUE;
}

/* Sends text (lines) and reads as many lines back; returns the bytes read, or 0 on failure. */
static gsize
conn_exchange(Conn *conn, const char *text, gsize len)
{
    char buf[65536];
    gsize lines = 0, got = 0;

    for (gsize i = 0; i < len; i++) {
        lines += text[i] == '\n';
    }
    if (SSL_write(conn->ssl, text, (int)len) != (int)len) {
        return 0;
    }
    while (lines > 0) {
        char *nl = memchr(conn->in->str, '\n', conn->in->len);
        gsize line;

        if (nl == NULL) {
            int n = SSL_read(conn->ssl, buf, sizeof(buf));

            if (n <= 0) {
                return 0;
            }
            g_string_append_len(conn->in, buf, n);
            continue;
        }
        line = (gsize)(nl - conn->in->str) + 1;
        g_string_erase(conn->in, 0, (gssize)line);
        got += line;
        lines--;
    }
    return got;
}

/* Round trips per second of request (one or more lines) on one connection to port, for
 * c->seconds; *ret_answer gets the bytes of one answer. */
static gboolean
measure_calls(Ctx *c, guint16 port, const char *request, gsize *ret_answer, double *ret_rate,
              BenchStats *ret_stats, GError **error)
{
    Conn conn = {.fd = -1};
    g_autoptr(GArray) samples = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 start, end;
    gsize len = strlen(request);

    if (!conn_open(&conn, c, port, error)) {
        conn_close(&conn);
        return FALSE;
    }
    /* Warm up: the first calls fill caches and buffers. */
    for (int i = 0; i < 50; i++) {
        *ret_answer = conn_exchange(&conn, request, len);
    }
    start = g_get_monotonic_time();
    end = start + (gint64)c->seconds * G_USEC_PER_SEC;
    for (gint64 now = start; now < end;) {
        gint64 before = now;

        if (conn_exchange(&conn, request, len) == 0) {
            conn_close(&conn);
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_CLOSED, "port %u stopped answering", port);
            return FALSE;
        }
        now = g_get_monotonic_time();
        g_array_append_val(samples, (gint64){now - before});
    }
    *ret_rate = samples->len / ((g_get_monotonic_time() - start) / 1e6);
    bench_stats_compute(samples, ret_stats);
    conn_close(&conn);
    return !bench_interrupted(error);
}

/* Setup -------------------------------------------------------------------------------------- */

static gboolean
write_files(Ctx *c, GError **error)
{
    g_autofree char *node = path(c, "node.xml");
    g_autofree char *channel = path(c, "agent.sock");
    g_autofree char *config = path(c, "bridge.conf");
    g_autofree char *agent_config = path(c, "agent.conf");
    g_autofree char *audit = path(c, "audit.log");
    g_autofree char *text = NULL;
    g_autoptr(GString) xml = g_string_new("<node>\n");

    for (int i = 0; i < 20; i++) {
        g_string_append_printf(xml,
                               "  <domain type='test'><name>vm%d</name><memory>65536</memory>"
                               "<vcpu>1</vcpu><os><type>hvm</type></os>",
                               i);
        if (i == 0) {
            g_string_append_printf(xml,
                                   "<devices><channel type='unix'><source mode='bind' path='%s'/>"
                                   "<target type='virtio' name='org.vmlink.agent.0'/></channel>"
                                   "</devices>",
                                   channel);
        }
        g_string_append(xml, "</domain>\n");
    }
    g_string_append(xml, "</node>\n");
    c->port = free_port();
    text = g_strdup_printf("[control]\nlisten = 127.0.0.1:%u\naudit-log = %s\n"
                           "[push]\nstats-interval = 0\n",
                           c->port, audit);
    return g_file_set_contents(node, xml->str, -1, error) &&
           g_file_set_contents(config, text, -1, error) &&
           g_file_set_contents(agent_config, "[agent]\nheartbeat-interval = 5\n", -1, error);
}

static gboolean
start_peers(Ctx *c, GError **error)
{
    g_autofree char *channel = path(c, "agent.sock");
    g_autofree char *listen = g_strconcat("unix-listen:", channel, NULL);
    g_autofree char *agent_config = path(c, "agent.conf");
    g_autofree char *node = path(c, "node.xml");
    g_autofree char *uri = g_strconcat("test://", node, NULL);
    g_autofree char *config = path(c, "bridge.conf");
    g_autofree char *state = path(c, "state");
    g_autofree char *local = path(c, "vmlinkd.sock");
    g_autofree char *address = g_strdup_printf("tls://127.0.0.1:%u", c->port);
    g_autofree char *fingerprint = NULL;
    const char *agent_argv[] = {"unshare",    "--net",     c->agent, "--config",
                                agent_config, "--channel", listen,   NULL};
    const char *bridge_argv[] = {
        c->vmlinkd, "--foreground",   "--config", config, "--libvirt-uri", uri, "--state-dir",
        state,      "--local-socket", local,      NULL};

    c->agent_process = spawn_logged(c, "agent.log", agent_argv, error);
    for (int i = 0;
         c->agent_process && i < WAIT_S * 10 && !g_file_test(channel, G_FILE_TEST_EXISTS); i++) {
        g_usleep(100000);
    }
    if (c->agent_process == NULL ||
        !run(c, PASSWORD "\n", NULL, error, c->vmlinkd, "--config", config, "--state-dir", state,
             "--set-password", NULL) ||
        !run(c, NULL, &fingerprint, error, c->vmlinkd, "--config", config, "--state-dir", state,
             "--fingerprint", NULL) ||
        !(c->bridge = spawn_logged(c, "vmlinkd.log", bridge_argv, error))) {
        return FALSE;
    }
    g_strstrip(fingerprint);
    /* Take ownership as soon as the listener answers. */
    for (int i = 0;; i++) {
        g_autoptr(GError) local_error = NULL;

        if (run(c, PASSWORD "\n", NULL, &local_error, c->ctl, "--connect", address, "host",
                "take-ownership", "--fingerprint", fingerprint, "--password-stdin", NULL)) {
            break;
        }
        if (i == WAIT_S * 10 || bench_interrupted(error)) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        g_usleep(100000);
    }
    c->cert = g_build_filename(c->work, "manager", "vmlink", "identity", "cert.pem", NULL);
    c->key = g_build_filename(c->work, "manager", "vmlink", "identity", "key.pem", NULL);
    c->bridge_cert = g_build_filename(state, "tls", "cert.pem", NULL);
    c->bridge_key = g_build_filename(state, "tls", "key.pem", NULL);
    /* Wait for the agent's first report: guest.info then carries a real guest's sections. */
    for (int i = 0;; i++) {
        g_autofree char *out = NULL;

        if (run(c, NULL, &out, NULL, c->ctl, "--connect", address, "--json", "guest", "info", "vm0",
                NULL) &&
            strstr(out, "\"network\"") != NULL) {
            return TRUE;
        }
        if (i == WAIT_S * 10 || bench_interrupted(error)) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_TIMEOUT, "vm0's agent never reported");
            return FALSE;
        }
        g_usleep(100000);
    }
}

/* openssl s_server with the bridge's key, on a free port. */
static GSubprocess *
start_s_server(Ctx *c, gboolean rev, GError **error)
{
    g_autofree char *accept = NULL;
    const char *argv[] = {
        "openssl",    "s_server",          "-accept", NULL, "-cert",  c->bridge_cert,
        "-key",       c->bridge_key,       "-verify", "1",  "-quiet", "-naccept",
        "1000000000", rev ? "-rev" : NULL, NULL};
    GSubprocess *p;

    c->peer_port = free_port();
    accept = g_strdup_printf("127.0.0.1:%u", c->peer_port);
    argv[3] = accept;
    p = spawn_logged(c, rev ? "s_server-rev.log" : "s_server.log", argv, error);
    for (int i = 0; p && i < 100; i++) {
        Conn probe = {.fd = -1};
        gboolean up = conn_open(&probe, c, c->peer_port, NULL);

        conn_close(&probe);
        if (up) {
            return p;
        }
        g_usleep(50000);
    }
    if (p) {
        stop(&p);
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "openssl s_server did not start");
    }
    return NULL;
}

/* `openssl s_time -new` against port: full handshakes per second, and the server's CPU ticks. */
static gboolean
measure_handshakes(Ctx *c, guint16 port, GSubprocess *server, double *ret_rate, double *ret_cpu_us,
                   GError **error)
{
    g_autofree char *target = g_strdup_printf("127.0.0.1:%u", port);
    g_autofree char *time_s = g_strdup_printf("%d", c->seconds);
    g_autofree char *out = NULL;
    guint64 before = cpu_ticks(server);
    const char *real;
    guint64 count;

    if (!run(c, NULL, &out, error, "openssl", "s_time", "-connect", target, "-new", "-time", time_s,
             "-cert", c->cert, "-key", c->key, NULL)) {
        return FALSE;
    }
    /* "1234 connections in 10 real seconds, 0 bytes read per connection" */
    real = strstr(out, " connections in ");
    while (real && strstr(real + 1, " connections in ")) {
        real = strstr(real + 1, " connections in ");
    }
    if (real == NULL) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "s_time said: %s", out);
        return FALSE;
    }
    while (real > out && g_ascii_isdigit(real[-1])) {
        real--;
    }
    count = g_ascii_strtoull(real, NULL, 10);
    *ret_rate = count / (double)g_ascii_strtoull(strstr(real, " in ") + 4, NULL, 10);
    *ret_cpu_us = count ? (cpu_ticks(server) - before) * 1e6 / sysconf(_SC_CLK_TCK) / count : 0;
    return count > 0;
}

/* The report -------------------------------------------------------------------------------- */

static void
report_calls(GString *r, const char *what, double rate, const BenchStats *s, double peer_rate,
             const BenchStats *ps, gsize answer)
{
    g_autofree char *p50 = bench_format_us(s->p50);
    g_autofree char *p99 = bench_format_us(s->p99);
    g_autofree char *pp50 = bench_format_us(ps->p50);

    g_string_append_printf(r, "| %s (%zu-byte answer) | %.0f | %s | %s | %.0f | %s | %.2fx |\n",
                           what, answer, rate, p50, p99, peer_rate, pp50, rate / peer_rate);
}

static gboolean
bench(Ctx *c, GString *r, GError **error)
{
    static const char *const methods[][2] = {
        {"guest.info", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"guest.info\","
                       "\"params\":{\"vm\":\"vm0\"}}\n"},
        {"vm.list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\"}\n"},
        {"host.info", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}\n"},
    };
    g_autoptr(GSubprocess) rev = NULL;
    g_autoptr(GSubprocess) plain = NULL;
    double ours, theirs, our_cpu, their_cpu;

    if (!write_files(c, error) || !start_peers(c, error) ||
        !(rev = start_s_server(c, TRUE, error))) {
        return FALSE;
    }
    g_string_append_printf(
        r,
        "Calls one after the other on one TLS 1.3 connection of the owning "
        "manager, %d s each; the baseline sends the request padded to the "
        "answer's size through `openssl s_server -rev` (same bytes, no work). guest.info answers "
        "from vmlinkd's cache of a real agent's report; vm.list asks libvirt (its test driver, 20 "
        "VMs) on a worker thread; host.info shows the control plane's own cost per call.\n\n"
        "| call | vmlinkd calls/s | p50 | p99 | s_server -rev round trips/s | "
        "p50 | vmlinkd / baseline |\n|---|---|---|---|---|---|---|\n",
        c->seconds);
    for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
        BenchStats s, ps;
        gsize answer = 0, echoed = 0;
        g_autofree char *padded = NULL;

        if (!measure_calls(c, c->port, methods[i][1], &answer, &ours, &s, error)) {
            return FALSE;
        }
        /* As many bytes as the answer, so the same bytes cross both ways; in lines of at most
         * 4000 bytes, as s_server -rev reads lines through a 4 KiB buffer. */
        padded = g_strnfill(answer, 'x');
        for (gsize at = MIN(answer, 4000) - 1; at < answer; at += 4000) {
            padded[at] = '\n';
        }
        padded[answer - 1] = '\n';
        if (!measure_calls(c, c->peer_port, padded, &echoed, &theirs, &ps, error)) {
            return FALSE;
        }
        report_calls(r, methods[i][0], ours, &s, theirs, &ps, answer);
    }
    stop(&rev);
    if (!(plain = start_s_server(c, FALSE, error)) ||
        !measure_handshakes(c, c->port, c->bridge, &ours, &our_cpu, error) ||
        !measure_handshakes(c, c->peer_port, plain, &theirs, &their_cpu, error)) {
        return FALSE;
    }
    g_string_append_printf(
        r,
        "\nFull handshakes (`openssl s_time -new`, %d s, the manager's certificate presented; "
        "ECDSA P-256 on both servers, client certificate requested by both):\n\n"
        "| server | handshakes/s | server CPU per handshake |\n|---|---|---|\n"
        "| vmlinkd | %.0f | %.0f µs |\n| openssl s_server | %.0f | %.0f µs |\n\n"
        "vmlinkd / s_server: **%.2fx** (target: at least 0.8x).\n",
        c->seconds, ours, our_cpu, theirs, their_cpu, ours / theirs);
    stop(&plain);
    return TRUE;
}

int
main(int argc, char **argv)
{
    Ctx c = {.seconds = 10, .cpu = 0};
    const GOptionEntry entries[] = {
        {"bridge", 0, 0, G_OPTION_ARG_FILENAME, &c.vmlinkd, "vmlinkd", "PATH"},
        {"ctl", 0, 0, G_OPTION_ARG_FILENAME, &c.ctl, "vmlinkctl", "PATH"},
        {"agent", 0, 0, G_OPTION_ARG_FILENAME, &c.agent, "vmlink-agent", "PATH"},
        {"seconds", 0, 0, G_OPTION_ARG_INT, &c.seconds, "Seconds per measurement (10)", "N"},
        {"cpu", 0, 0, G_OPTION_ARG_INT, &c.cpu, "CPU to run on (0; -1: any)", "N"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &c.out.report_path, "Markdown report", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- vmlinkd's TLS control plane");
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) report = g_string_new(NULL);
    gboolean ok;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || !c.vmlinkd || !c.ctl ||
        !c.agent || c.seconds < 1) {
        fprintf(stderr, "control-bench: %s (--bridge, --ctl and --agent are needed)\n",
                error ? error->message : "bad options");
        return 2;
    }
    bench_catch_signals();
    if (!bench_pin_cpu(c.cpu, &error)) {
        fprintf(stderr, "control-bench: %s\n", error->message);
        return 1;
    }
    c.work = g_dir_make_tmp("vl-control-bench-XXXXXX", &error);
    ok = c.work && bench(&c, report, &error) && bench_write_outputs(&c.out, report, NULL, &error);
    stop(&c.bridge);
    stop(&c.agent_process);
    if (c.work) {
        bench_remove_tree(c.work);
    }
    if (!ok) {
        fprintf(stderr, "control-bench: %s\n", error->message);
        return 1;
    }
    return 0;
}
