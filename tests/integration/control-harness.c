/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "control-harness.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/err.h>

#include "vl-openssl.h"
#include "vl-test-util.h"

static char *
work_file(ChBridge *b, const char *name)
{
    return g_build_filename(b->work, name, NULL);
}

int
ch_run(const char *const *argv, const char *input, char **ret_out, char **ret_err)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) p = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    p = g_subprocess_newv(argv,
                          G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          &error);
    ck_assert_msg(p != NULL, "%s: %s", argv[0], error ? error->message : "");
    ck_assert_msg(g_subprocess_communicate_utf8(p, input, NULL, &out, &err, &error), "%s: %s",
                  argv[0], error ? error->message : "");
    if (ret_out) {
        *ret_out = g_steal_pointer(&out);
    }
    if (ret_err) {
        *ret_err = g_steal_pointer(&err);
    }
    ck_assert_msg(g_subprocess_get_if_exited(p), "%s did not exit (status %d)", argv[0],
                  g_subprocess_get_status(p));
    return g_subprocess_get_exit_status(p);
}

static void
write_node(ChBridge *b, guint n_vms)
{
    g_autofree char *path = work_file(b, "node.xml");
    g_autoptr(GString) xml = g_string_new("<node>\n");

    for (guint i = 0; i < n_vms; i++) {
        g_string_append_printf(xml,
                               "  <domain type='test'><name>vm%u</name>"
                               "<uuid>00000000-0000-4000-8000-%012u</uuid>"
                               "<memory>65536</memory><vcpu>1</vcpu>"
                               "<os><type>hvm</type></os></domain>\n",
                               i, i + 1);
    }
    g_string_append(xml, "</node>\n");
    ck_assert(g_file_set_contents(path, xml->str, (gssize)xml->len, NULL));
}

static guint16
free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
              getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    close(fd);
    return ntohs(addr.sin_port);
}

void
ch_bridge_init(ChBridge *b, guint n_vms, const char *extra_config)
{
    g_autofree char *text = NULL;

    memset(b, 0, sizeof(*b));
    b->work = vl_test_make_tmp_dir("vl-control-test-XXXXXX");
    b->state = work_file(b, "state");
    b->config = work_file(b, "bridge.conf");
    b->audit = work_file(b, "audit.log");
    b->local = work_file(b, "vmlinkd.sock");
    write_node(b, n_vms);
    /* A fixed port, so that a restarted vmlinkd is where the managers pinned it. */
    b->port = free_port();
    b->address = g_strdup_printf("tls://127.0.0.1:%u", b->port);
    text = g_strdup_printf("[control]\naudit-log = %s\nlisten = 127.0.0.1:%u\n%s", b->audit,
                           b->port, extra_config ? extra_config : "");
    ck_assert(g_file_set_contents(b->config, text, -1, NULL));
    {
        const char *argv[] = {g_getenv("VL_BRIDGE"), "--config", b->config, "--state-dir", b->state,
                              "--set-password",      NULL};
        g_autofree char *err = NULL;

        ck_assert_msg(argv[0] != NULL, "VL_BRIDGE names vmlinkd");
        ck_assert_msg(ch_run(argv, CH_PASSWORD "\n", NULL, &err) == 0, "--set-password: %s", err);
    }
}

/* Whether vmlinkd logged that it listens: "... TLS on 127.0.0.1:PORT ...". */
static gboolean
listening(ChBridge *b)
{
    g_autofree char *text = ch_bridge_log(b);
    g_autofree char *line = g_strdup_printf("TLS on 127.0.0.1:%u", b->port);

    return strstr(text, line) != NULL;
}

void
ch_bridge_start(ChBridge *b)
{
    g_autofree char *node = work_file(b, "node.xml");
    g_autofree char *uri = g_strconcat("test://", node, NULL);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_strdup_printf("vmlinkd-%u.log", ++b->starts);
    const char *argv[] = {g_getenv("VL_BRIDGE"),
                          "--foreground",
                          "--config",
                          b->config,
                          "--libvirt-uri",
                          uri,
                          "--state-dir",
                          b->state,
                          "--local-socket",
                          b->local,
                          NULL};
    gint64 deadline = g_get_monotonic_time() + CH_WAIT_MS * 1000;

    g_free(b->log);
    b->log = work_file(b, name);
    g_subprocess_launcher_set_stderr_file_path(launcher, b->log);
    g_subprocess_launcher_setenv(launcher, "G_MESSAGES_DEBUG", "all", TRUE);
    b->process = g_subprocess_launcher_spawnv(launcher, argv, &error);
    ck_assert_msg(b->process != NULL, "vmlinkd: %s", error ? error->message : "");
    while (!listening(b)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "vmlinkd did not log its TLS port");
        ck_assert_msg(g_subprocess_get_identifier(b->process) != NULL, "vmlinkd exited: see %s",
                      b->log);
        g_usleep(20000);
    }
}

void
ch_bridge_stop(ChBridge *b)
{
    if (b->process == NULL) {
        return;
    }
    g_subprocess_send_signal(b->process, SIGTERM);
    g_subprocess_wait(b->process, NULL, NULL);
    ck_assert_msg(g_subprocess_get_if_exited(b->process) &&
                      g_subprocess_get_exit_status(b->process) == 0,
                  "vmlinkd did not exit cleanly (wait status %d); its log: %s",
                  g_subprocess_get_status(b->process), b->log);
    g_clear_object(&b->process);
}

void
ch_bridge_clear(ChBridge *b)
{
    if (b->process) {
        g_subprocess_force_exit(b->process);
        g_subprocess_wait(b->process, NULL, NULL);
        g_clear_object(&b->process);
    }
    if (b->work && !g_getenv("VL_KEEP_WORK")) {
        vl_test_remove_tree(b->work);
    }
    g_free(b->work);
    g_free(b->state);
    g_free(b->config);
    g_free(b->audit);
    g_free(b->local);
    g_free(b->log);
    g_free(b->address);
    memset(b, 0, sizeof(*b));
}

char *
ch_bridge_fingerprint(ChBridge *b)
{
    const char *argv[] = {g_getenv("VL_BRIDGE"), "--config", b->config, "--state-dir", b->state,
                          "--fingerprint",       NULL};
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    ck_assert_msg(ch_run(argv, NULL, &out, &err) == 0, "--fingerprint: %s", err);
    return g_strdup(g_strstrip(out));
}

static char *
read_or_empty(const char *path)
{
    char *text = NULL;

    if (path == NULL || !g_file_get_contents(path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

char *
ch_bridge_audit(ChBridge *b)
{
    return read_or_empty(b->audit);
}

char *
ch_bridge_log(ChBridge *b)
{
    return read_or_empty(b->log);
}

static int
ctl_va(ChBridge *b, const char *home, const char *input, char **ret_out, char **ret_err,
       gboolean tls, va_list ap)
{
    g_autofree char *config_home = g_build_filename(b->work, home, NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *arg;

    g_ptr_array_add(argv, (gpointer)g_getenv("VL_CTL"));
    ck_assert_msg(argv->pdata[0] != NULL, "VL_CTL names vmlinkctl");
    if (tls) {
        g_ptr_array_add(argv, "--connect");
        g_ptr_array_add(argv, b->address);
    }
    while ((arg = va_arg(ap, const char *)) != NULL) {
        g_ptr_array_add(argv, (gpointer)arg);
    }
    g_ptr_array_add(argv, NULL);
    g_mkdir_with_parents(config_home, 0700);
    launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", config_home, TRUE);
    p = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
    ck_assert_msg(p != NULL, "vmlinkctl: %s", error ? error->message : "");
    ck_assert_msg(g_subprocess_communicate_utf8(p, input, NULL, &out, &err, &error),
                  "vmlinkctl: %s", error ? error->message : "");
    ck_assert_msg(g_subprocess_get_if_exited(p), "vmlinkctl crashed (status %d): %s",
                  g_subprocess_get_status(p), err);
    if (ret_out) {
        *ret_out = g_steal_pointer(&out);
    }
    if (ret_err) {
        *ret_err = g_steal_pointer(&err);
    }
    return g_subprocess_get_exit_status(p);
}

int
ch_ctl(ChBridge *b, const char *home, const char *input, char **ret_out, char **ret_err, ...)
{
    va_list ap;
    int status;

    va_start(ap, ret_err);
    status = ctl_va(b, home, input, ret_out, ret_err, FALSE, ap);
    va_end(ap);
    return status;
}

int
ch_ctl_tls(ChBridge *b, const char *home, const char *input, char **ret_out, char **ret_err, ...)
{
    va_list ap;
    int status;

    va_start(ap, ret_err);
    status = ctl_va(b, home, input, ret_out, ret_err, TRUE, ap);
    va_end(ap);
    return status;
}

int
ch_try_take_ownership(ChBridge *b, const char *home, const char *input, const char *fingerprint,
                      char **ret_out, char **ret_err)
{
    return ch_ctl_tls(b, home, input, ret_out, ret_err, "host", "take-ownership", "--fingerprint",
                      fingerprint, "--password-stdin", NULL);
}

void
ch_take_ownership(ChBridge *b, const char *home)
{
    g_autofree char *fingerprint = ch_bridge_fingerprint(b);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = ch_try_take_ownership(b, home, CH_PASSWORD "\n", fingerprint, &out, &err);

    ck_assert_msg(status == 0, "take-ownership by %s: exit %d: %s%s", home, status, out, err);
}

char *
ch_tls_call(ChBridge *b, const char *cert, const char *key, const char *request)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(b->port)};
    struct timeval timeout = {.tv_sec = CH_WAIT_MS / 1000};
    g_autoptr(SSL_CTX) ctx = SSL_CTX_new(TLS_client_method());
    g_autoptr(SSL) ssl = NULL;
    g_autoptr(GString) answer = g_string_new(NULL);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char buf[4096];
    int n;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert(ctx != NULL && fd >= 0);
    if (cert) {
        ck_assert_msg(SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) == 1 &&
                          SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1,
                      "cannot load %s / %s", cert, key);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ck_assert_msg(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "connect: %s",
                  g_strerror(errno));
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        close(fd);
        ERR_clear_error();
        return NULL;
    }
    ck_assert(SSL_write(ssl, request, (int)strlen(request)) == (int)strlen(request));
    while (strchr(answer->str, '\n') == NULL && (n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
        g_string_append_len(answer, buf, n);
    }
    SSL_shutdown(ssl);
    close(fd);
    ERR_clear_error();
    return answer->len ? g_strdup(answer->str) : NULL;
}

/* What the control tests check, as the manager home sees it ----------------------------- */

void
ch_start(ChBridge *b, guint n_vms, const char *extra_config)
{
    ch_bridge_init(b, n_vms, extra_config);
    ch_bridge_start(b);
}

void
ch_finish(ChBridge *b)
{
    g_autofree char *audit = ch_bridge_audit(b);
    g_autofree char *log = NULL;

    ch_bridge_stop(b);
    log = ch_bridge_log(b);
    /* Whatever happened, the password is in no log. */
    ck_assert_msg(strstr(audit, CH_PASSWORD) == NULL && strstr(audit, "wrong-password") == NULL,
                  "the audit log holds a password");
    ck_assert_msg(strstr(log, CH_PASSWORD) == NULL && strstr(log, "wrong-password") == NULL,
                  "vmlinkd's log holds a password");
    ch_bridge_clear(b);
}

VlJson *
ch_parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *json = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(json != NULL, "not JSON (%s): %s", error ? error->message : "", text);
    return json;
}

/* A member of `vmlinkctl --json host info` as the manager home sees it. */
char *
ch_host_info_member(ChBridge *b, const char *home, const char *member)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(VlJson) info = NULL;
    const VlJson *value;

    ck_assert_msg(ch_ctl_tls(b, home, NULL, &out, &err, "--json", "host", "info", NULL) == 0,
                  "host info: %s", err);
    info = ch_parse(out);
    value = vl_json_object_get(info, member);
    return value ? g_strdup(vl_json_get_string(value)) : NULL;
}

guint
ch_vm_count(ChBridge *b, const char *home, int *ret_status)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(VlJson) list = NULL;

    *ret_status = ch_ctl_tls(b, home, NULL, &out, &err, "--json", "vm", "list", NULL);
    if (*ret_status != 0) {
        return 0;
    }
    list = ch_parse(out);
    return vl_json_array_length(vl_json_object_get(list, "vms"));
}

char *
ch_identity_file(ChBridge *b, const char *home, const char *name)
{
    return g_build_filename(b->work, home, "vmlink", "identity", name, NULL);
}

/* One request line over TLS as the manager home, presenting its certificate and key. */
char *
ch_call_as(ChBridge *b, const char *home, const char *request)
{
    g_autofree char *cert = ch_identity_file(b, home, "cert.pem");
    g_autofree char *key = ch_identity_file(b, home, "key.pem");

    return ch_tls_call(b, cert, key, request);
}

/* `vmlinkctl vm list` as the manager home succeeds. */
void
ch_assert_lists_vms(ChBridge *b, const char *home)
{
    int status;

    ch_vm_count(b, home, &status);
    ck_assert_msg(status == 0, "%s cannot list the VMs (exit %d)", home, status);
}

/* `vmlinkctl vm list` as the manager home fails. */
void
ch_assert_cannot_list_vms(ChBridge *b, const char *home)
{
    int status;

    ch_vm_count(b, home, &status);
    ck_assert_msg(status != 0, "%s can list the VMs", home);
}

/* The error code of a JSON-RPC answer line. */
gint64
ch_error_code(const char *answer, char **ret_message)
{
    g_autoptr(VlJson) json = NULL;
    const VlJson *error;

    ck_assert_msg(answer != NULL, "no answer");
    json = ch_parse(answer);
    error = vl_json_object_get(json, "error");
    ck_assert_msg(error != NULL, "not an error: %s", answer);
    if (ret_message) {
        *ret_message = g_strdup(vl_json_get_string(vl_json_object_get(error, "message")));
    }
    return vl_json_get_int(vl_json_object_get(error, "code"));
}
