/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The manager's control plane end to end: a real vmlinkd on TLS, managers that are real vmlinkctl
 * processes with their own identities, real OpenSSL (the openssl command and our own clients) for
 * what vmlinkctl would never send. Ownership taken, used, kept over a restart, refused to a
 * second manager, throttled after a wrong password, released, rotated, recovered; the TLS
 * policy; a damaged state file; bad input over TLS.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>

#include "control-harness.h"
#include "vl-check.h"
#include "vl-json.h"
#include "vl-openssl.h"
#include "vl-test-tls.h"

static ChBridge b;

static void
start(guint n_vms, const char *extra_config)
{
    ch_bridge_init(&b, n_vms, extra_config);
    ch_bridge_start(&b);
}

static void
finish(void)
{
    g_autofree char *audit = ch_bridge_audit(&b);
    g_autofree char *log = NULL;

    ch_bridge_stop(&b);
    log = ch_bridge_log(&b);
    /* Whatever happened, the password is in no log. */
    ck_assert_msg(strstr(audit, CH_PASSWORD) == NULL && strstr(audit, "wrong-password") == NULL,
                  "the audit log holds a password");
    ck_assert_msg(strstr(log, CH_PASSWORD) == NULL && strstr(log, "wrong-password") == NULL,
                  "vmlinkd's log holds a password");
    ch_bridge_clear(&b);
}

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *json = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(json != NULL, "not JSON (%s): %s", error ? error->message : "", text);
    return json;
}

/* A member of `vmlinkctl --json host info` as the manager home sees it. */
static char *
host_info_member(const char *home, const char *member)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(VlJson) info = NULL;
    const VlJson *value;

    ck_assert_msg(ch_ctl_tls(&b, home, NULL, &out, &err, "--json", "host", "info", NULL) == 0,
                  "host info: %s", err);
    info = parse(out);
    value = vl_json_object_get(info, member);
    return value ? g_strdup(vl_json_get_string(value)) : NULL;
}

static guint
vm_count(const char *home, int *ret_status)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(VlJson) list = NULL;

    *ret_status = ch_ctl_tls(&b, home, NULL, &out, &err, "--json", "vm", "list", NULL);
    if (*ret_status != 0) {
        return 0;
    }
    list = parse(out);
    return vl_json_array_length(vl_json_object_get(list, "vms"));
}

static char *
identity_file(const char *home, const char *name)
{
    return g_build_filename(b.work, home, "vmlink", "identity", name, NULL);
}

/* One request line over TLS as the manager home, presenting its certificate and key. */
static char *
call_as(const char *home, const char *request)
{
    g_autofree char *cert = identity_file(home, "cert.pem");
    g_autofree char *key = identity_file(home, "key.pem");

    return ch_tls_call(&b, cert, key, request);
}

/* `vmlinkctl vm list` as the manager home succeeds. */
static void
assert_lists_vms(const char *home)
{
    int status;

    vm_count(home, &status);
    ck_assert_msg(status == 0, "%s cannot list the VMs (exit %d)", home, status);
}

/* `vmlinkctl vm list` as the manager home fails. */
static void
assert_cannot_list_vms(const char *home)
{
    int status;

    vm_count(home, &status);
    ck_assert_msg(status != 0, "%s can list the VMs", home);
}

/* The error code of a JSON-RPC answer line. */
static gint64
error_code(const char *answer, char **ret_message)
{
    g_autoptr(VlJson) json = NULL;
    const VlJson *error;

    ck_assert_msg(answer != NULL, "no answer");
    json = parse(answer);
    error = vl_json_object_get(json, "error");
    ck_assert_msg(error != NULL, "not an error: %s", answer);
    if (ret_message) {
        *ret_message = g_strdup(vl_json_get_string(vl_json_object_get(error, "message")));
    }
    return vl_json_get_int(vl_json_object_get(error, "code"));
}

#define VM_LIST "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\"}\n"

START_TEST(test_unowned)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *answer = NULL;
    g_autofree char *ownership = NULL;
    int status;

    start(3, NULL);
    /* Anyone may ask who the bridge is. */
    ownership = host_info_member("a", "ownership");
    ck_assert_str_eq(ownership, "unowned");
    /* vmlinkctl will not call an unknown bridge for anything else. */
    vm_count("a", &status);
    ck_assert_int_eq(status, 3);
    /* And the bridge refuses a manager that has not taken ownership. */
    answer = call_as("a", VM_LIST);
    ck_assert_int_eq(error_code(answer, NULL), -32001);
    /* A fingerprint that is not the bridge's: refused before the password is sent. */
    status = ch_try_take_ownership(
        &b, "a", CH_PASSWORD "\n",
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
        "00:00:00:00:00:00:00:00",
        &out, &err);
    ck_assert_int_ne(status, 0);
    g_free(ownership);
    ownership = host_info_member("a", "ownership");
    ck_assert_str_eq(ownership, "unowned");
    finish();
}
END_TEST

START_TEST(test_take_use_restart)
{
    g_autofree char *owner = NULL;
    g_autofree char *audit = NULL;
    int status;

    start(3, NULL);
    ch_take_ownership(&b, "a");
    ck_assert_uint_eq(vm_count("a", &status), 3);
    ck_assert_int_eq(status, 0);
    /* The ownership is in the state folder: a restarted vmlinkd is still owned. */
    ch_bridge_stop(&b);
    ch_bridge_start(&b);
    ck_assert_uint_eq(vm_count("a", &status), 3);
    ck_assert_int_eq(status, 0);
    owner = host_info_member("a", "owner");
    ck_assert_ptr_nonnull(owner);
    audit = ch_bridge_audit(&b);
    ck_assert_msg(strstr(audit, "host.take_ownership") != NULL, "not audited: %s", audit);
    finish();
}
END_TEST

START_TEST(test_second_manager_refused)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *answer = NULL;
    g_autofree char *message = NULL;
    g_autofree char *fingerprint = NULL;
    int status;

    start(3, NULL);
    ch_take_ownership(&b, "a");
    fingerprint = ch_bridge_fingerprint(&b);
    status = ch_try_take_ownership(&b, "b", CH_PASSWORD "\n", fingerprint, &out, &err);
    ck_assert_int_ne(status, 0);
    ck_assert_msg(strstr(err, "owned") != NULL, "no word of the owner: %s", err);
    /* Its certificate is refused for everything but host.info. */
    answer = call_as("b", VM_LIST);
    ck_assert_int_eq(error_code(answer, &message), -32002);
    ck_assert_msg(strstr(message, "owned by") != NULL, "%s", message);
    g_free(answer);
    answer = ch_tls_call(&b, NULL, NULL, VM_LIST);
    ck_assert_int_eq(error_code(answer, NULL), -32002);
    /* The owner is not disturbed. */
    assert_lists_vms("a");
    finish();
}
END_TEST

START_TEST(test_wrong_password_throttled)
{
    g_autofree char *fingerprint = NULL;
    g_autofree char *audit = NULL;
    gboolean throttled = FALSE;
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    int status;

    start(1, NULL);
    fingerprint = ch_bridge_fingerprint(&b);
    for (guint i = 0; i < 2; i++) {
        g_autofree char *err = NULL;

        status = ch_try_take_ownership(&b, "a", "wrong-password\n", fingerprint, NULL, &err);
        ck_assert_int_ne(status, 0);
        throttled = throttled || strstr(err, "retry in") != NULL;
    }
    /* Right after a failure, even the right password waits its turn. */
    {
        g_autofree char *err = NULL;

        status = ch_try_take_ownership(&b, "a", CH_PASSWORD "\n", fingerprint, NULL, &err);
        throttled = throttled || (status != 0 && strstr(err, "retry in") != NULL);
    }
    ck_assert_msg(throttled, "no attempt was throttled");
    /* Once the wait is over, it works. */
    while (status != 0) {
        g_autofree char *err = NULL;

        ck_assert_msg(g_get_monotonic_time() < deadline, "still refused: %s", err);
        g_usleep(500 * 1000);
        status = ch_try_take_ownership(&b, "a", CH_PASSWORD "\n", fingerprint, NULL, &err);
    }
    audit = ch_bridge_audit(&b);
    ck_assert_msg(strstr(audit, "\"error\"") != NULL, "failed logins not audited: %s", audit);
    finish();
}
END_TEST

START_TEST(test_release_then_second)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *owner = NULL;
    int status;

    start(2, NULL);
    ch_take_ownership(&b, "a");
    status = ch_ctl_tls(&b, "a", NULL, &out, &err, "host", "release-ownership", NULL);
    ck_assert_msg(status == 0, "release: %s", err);
    ch_take_ownership(&b, "b");
    ck_assert_uint_eq(vm_count("b", &status), 2);
    assert_cannot_list_vms("a");
    owner = host_info_member("b", "ownership");
    ck_assert_str_eq(owner, "owned");
    finish();
}
END_TEST

START_TEST(test_rotation)
{
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *err = NULL;
    int status;

    start(1, NULL);
    ch_take_ownership(&b, "a");
    before = ch_bridge_fingerprint(&b);
    status = ch_ctl_tls(&b, "a", NULL, NULL, &err, "host", "rotate-certificate", "--bridge", NULL);
    ck_assert_msg(status == 0, "rotate --bridge: %s", err);
    after = ch_bridge_fingerprint(&b);
    ck_assert_str_ne(before, after);
    assert_lists_vms("a");
    g_clear_pointer(&err, g_free);
    status = ch_ctl_tls(&b, "a", NULL, NULL, &err, "host", "rotate-certificate", "--manager", NULL);
    ck_assert_msg(status == 0, "rotate --manager: %s", err);
    assert_lists_vms("a");
    /* Both survive a restart. */
    ch_bridge_stop(&b);
    ch_bridge_start(&b);
    assert_lists_vms("a");
    finish();
}
END_TEST

static char *
write_cert(const char *name, X509 *cert)
{
    g_autofree char *path = g_build_filename(b.work, name, NULL);
    g_autoptr(BIO) out = BIO_new_file(path, "w");

    ck_assert(out != NULL && PEM_write_bio_X509(out, cert) == 1);
    return g_steal_pointer(&path);
}

/* host.take_ownership over a TLS connection of our own, presenting cert. */
static char *
raw_take_ownership(const char *cert_path, const char *key_path, const char *manager_id)
{
    g_autofree char *pem = NULL;
    g_autoptr(VlJsonBuilder) jb = vl_json_builder_new();
    g_autoptr(VlJson) request = NULL;
    g_autofree char *text = NULL;
    g_autofree char *line = NULL;

    ck_assert(g_file_get_contents(cert_path, &pem, NULL, NULL));
    vl_json_builder_begin_object(jb);
    vl_json_builder_member(jb, "jsonrpc");
    vl_json_builder_add_string(jb, "2.0");
    vl_json_builder_member(jb, "id");
    vl_json_builder_add_int(jb, 1);
    vl_json_builder_member(jb, "method");
    vl_json_builder_add_string(jb, "host.take_ownership");
    vl_json_builder_member(jb, "params");
    vl_json_builder_begin_object(jb);
    vl_json_builder_member(jb, "password");
    vl_json_builder_add_string(jb, CH_PASSWORD);
    vl_json_builder_member(jb, "manager_id");
    vl_json_builder_add_string(jb, manager_id);
    vl_json_builder_member(jb, "manager_certificate");
    vl_json_builder_add_string(jb, pem);
    vl_json_builder_end_object(jb);
    vl_json_builder_end_object(jb);
    request = vl_json_builder_finish(jb);
    text = vl_json_to_string(request, NULL);
    line = g_strconcat(text, "\n", NULL);
    return ch_tls_call(&b, cert_path, key_path, line);
}

/* vmlinkctl's manager home uses this manager id. */
static void
set_manager_id(const char *home, const char *id)
{
    g_autofree char *dir = g_build_filename(b.work, home, "vmlink", NULL);
    g_autofree char *path = g_build_filename(dir, "manager.conf", NULL);
    g_autofree char *text = g_strdup_printf("[manager]\nid=%s\n", id);

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
}

START_TEST(test_expired_owner_recovers)
{
    g_autoptr(VlTlsIdentity) owner = NULL;
    g_autoptr(X509) short_lived = NULL;
    g_autoptr(X509) expired = NULL;
    g_autofree char *key_path = NULL;
    g_autofree char *cert_path = NULL;
    g_autofree char *expired_path = NULL;
    g_autofree char *answer = NULL;
    g_autofree char *message = NULL;
    g_autofree char *fingerprint = NULL;
    g_autofree char *err = NULL;
    int status;

    start(1, NULL);
    /* The owner took ownership with a certificate that is about to expire. */
    owner = vl_test_identity(b.work, "owner");
    short_lived = vl_test_redated(owner, -2 * 24 * 3600, 3);
    key_path = g_build_filename(vl_tls_identity_dir(owner), VL_TLS_KEY_FILE, NULL);
    cert_path = write_cert("owner-cert.pem", short_lived);
    answer = raw_take_ownership(cert_path, key_path, "engine-1");
    ck_assert_msg(answer && strstr(answer, "\"result\"") != NULL, "%s", answer);
    g_usleep(4 * G_USEC_PER_SEC);
    /* Expired: even with the owner's own key, refused, saying how to recover. */
    expired = vl_test_redated(owner, -2 * 24 * 3600, -1);
    expired_path = write_cert("expired.pem", expired);
    g_free(answer);
    answer = ch_tls_call(&b, expired_path, key_path, VM_LIST);
    ck_assert_int_eq(error_code(answer, &message), -32001);
    ck_assert_msg(strstr(message, "expired") != NULL, "%s", message);
    /* Another manager id cannot use the expiry to take the host. */
    fingerprint = ch_bridge_fingerprint(&b);
    set_manager_id("b", "engine-2");
    status = ch_try_take_ownership(&b, "b", CH_PASSWORD "\n", fingerprint, NULL, &err);
    ck_assert_msg(status != 0 && strstr(err, "owned") != NULL, "%s", err);
    /* The owner, with a new certificate and the password, recovers. */
    set_manager_id("a", "engine-1");
    ch_take_ownership(&b, "a");
    assert_lists_vms("a");
    finish();
}
END_TEST

START_TEST(test_lost_key_needs_root)
{
    g_autofree char *cert = NULL;
    g_autofree char *key = NULL;
    g_autofree char *fingerprint = NULL;
    g_autofree char *local = NULL;
    g_autofree char *err = NULL;
    int status;

    start(1, NULL);
    ch_take_ownership(&b, "a");
    /* The manager loses its key while its certificate is valid: the password alone does not
     * let a manager claiming its id take the host over... */
    cert = identity_file("a", "cert.pem");
    key = identity_file("a", "key.pem");
    ck_assert_int_eq(g_unlink(cert), 0);
    ck_assert_int_eq(g_unlink(key), 0);
    assert_cannot_list_vms("a");
    fingerprint = ch_bridge_fingerprint(&b);
    status = ch_try_take_ownership(&b, "a", CH_PASSWORD "\n", fingerprint, NULL, &err);
    ck_assert_msg(status != 0 && strstr(err, "owned") != NULL, "%s", err);
    /* ...the host's root releases it, and the manager takes it again. */
    local = g_strconcat("unix:", b.local, NULL);
    g_clear_pointer(&err, g_free);
    status =
        ch_ctl(&b, "root", NULL, NULL, &err, "--connect", local, "host", "release-ownership", NULL);
    ck_assert_msg(status == 0, "release by root: %s", err);
    ch_take_ownership(&b, "a");
    assert_lists_vms("a");
    finish();
}
END_TEST

START_TEST(test_tls_policy)
{
    g_autofree char *target = NULL;
    g_autofree char *out = NULL;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct timeval timeout = {.tv_sec = 15};
    char buf[512];
    ssize_t n;
    int fd;

    start(1, NULL);
    target = g_strdup_printf("127.0.0.1:%u", b.port);
    {
        const char *argv[] = {"openssl", "s_client", "-connect", target, "-tls1_1", NULL};

        ck_assert_int_ne(ch_run(argv, "", NULL, NULL), 0);
    }
    {
        const char *argv[] = {"openssl", "s_client", "-connect", target, "-tls1_2", NULL};

        ck_assert_int_eq(ch_run(argv, "", &out, NULL), 0);
        ck_assert_msg(strstr(out, "TLSv1.2") != NULL && strstr(out, "GCM") != NULL, "%s", out);
        g_clear_pointer(&out, g_free);
    }
    {
        const char *argv[] = {"openssl", "s_client", "-connect", target, NULL};

        ck_assert_int_eq(ch_run(argv, "", &out, NULL), 0);
        ck_assert_msg(strstr(out, "TLSv1.3") != NULL, "%s", out);
    }
    /* A JSON-RPC request in clear gets no answer, only the end of the connection. */
    addr.sin_port = htons(b.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert(write(fd, VM_LIST, strlen(VM_LIST)) == (ssize_t)strlen(VM_LIST));
    n = read(fd, buf, sizeof(buf) - 1);
    /* The handshake fails: an alert then the end, or a reset; never a timeout. */
    ck_assert_msg(n >= 0 || errno == ECONNRESET, "the connection was not closed: %s",
                  g_strerror(errno));
    ck_assert_msg(n <= 0 || memmem(buf, (size_t)n, "jsonrpc", 7) == NULL, "answered in clear");
    close(fd);
    finish();
}
END_TEST

START_TEST(test_damaged_state)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *local = NULL;
    g_autofree char *log = NULL;
    g_autoptr(VlJson) info = NULL;
    char *at;
    int status;

    start(1, NULL);
    ch_take_ownership(&b, "a");
    ch_bridge_stop(&b);
    path = g_build_filename(b.state, "state.json", NULL);
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    at = strstr(text, "manager");
    ck_assert_ptr_nonnull(at);
    at[0] = 'M'; /* one byte: the digest no longer matches */
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    g_chmod(path, 0600);
    ch_bridge_start(&b);
    /* Nobody owns a bridge whose state cannot be trusted; the host's root sees why. */
    assert_cannot_list_vms("a");
    local = g_strconcat("unix:", b.local, NULL);
    status =
        ch_ctl(&b, "root", NULL, &out, &err, "--connect", local, "--json", "host", "info", NULL);
    ck_assert_msg(status == 0, "%s", err);
    info = parse(out);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(info, "ownership")), "damaged");
    log = ch_bridge_log(&b);
    ck_assert_msg(strstr(log, "state.json") != NULL, "the log does not name the file: %s", log);
    finish();
}
END_TEST

START_TEST(test_state_removed_while_running)
{
    g_autofree char *home = NULL;
    g_autofree char *path = NULL;
    g_autofree char *moved = NULL;
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autoptr(GSubprocess) follow = NULL;
    g_autofree char *follow_err = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = {g_getenv("VL_CTL"), "--connect", NULL, "events", "--follow", NULL};
    gint64 deadline;

    start(1, NULL);
    argv[2] = b.address;
    ch_take_ownership(&b, "a");
    home = g_build_filename(b.work, "a", NULL);
    follow_err = g_build_filename(b.work, "follow.err", NULL);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", home, TRUE);
    g_subprocess_launcher_set_stderr_file_path(launcher, follow_err);
    follow = g_subprocess_launcher_spawnv(launcher, argv, &error);
    ck_assert_msg(follow != NULL, "%s", error ? error->message : "");
    g_usleep(G_USEC_PER_SEC);
    ck_assert_msg(g_subprocess_get_identifier(follow) != NULL, "events --follow ended early");
    /* The administrator moves the state away: nobody owns the bridge now, and the owner's open
     * stream ends without any call being made. */
    path = g_build_filename(b.state, "state.json", NULL);
    moved = g_build_filename(b.work, "state.json.moved", NULL);
    ck_assert_int_eq(g_rename(path, moved), 0);
    deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (g_subprocess_get_identifier(follow) != NULL) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "the owner's stream was not cut");
        g_usleep(100000);
    }
    g_subprocess_wait(follow, NULL, NULL);
    ck_assert_int_ne(g_subprocess_get_exit_status(follow), 0);
    finish();
}
END_TEST

START_TEST(test_bad_input)
{
    g_autofree char *big = NULL;
    g_autofree char *answer = NULL;

    start(1, "max-request-size = 4096\n");
    ch_take_ownership(&b, "a");
    big = g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\",\"params\":"
                          "{\"pad\":\"%0*d\"}}\n" VM_LIST,
                          8000, 0);
    answer = call_as("a", big);
    ck_assert_int_eq(error_code(answer, NULL), -32700);
    g_free(answer);
    answer = call_as("a", "{\"jsonrpc\":\"2.0\",\"id\":1}\n");
    ck_assert_int_eq(error_code(answer, NULL), -32600);
    g_free(answer);
    answer = call_as("a", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fly\"}\n");
    ck_assert_int_eq(error_code(answer, NULL), -32601);
    g_free(answer);
    answer = call_as("a", "not json at all\n");
    ck_assert_int_eq(error_code(answer, NULL), -32700);
    g_free(answer);
    answer = call_as("a", VM_LIST);
    ck_assert_msg(answer && strstr(answer, "\"result\"") != NULL, "%s", answer);
    finish();
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_unowned,
        test_take_use_restart,
        test_second_manager_refused,
        test_wrong_password_throttled,
        test_release_then_second,
        test_rotation,
        test_expired_owner_recovers,
        test_lost_key_needs_root,
        test_tls_policy,
        test_damaged_state,
        test_state_removed_while_running,
        test_bad_input,
        NULL,
    };

    return vl_check_run(vl_check_suite("control", tests));
}
