/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvmlink-client over TLS (vl-transport-tls.c and the pin check of vl-client.c) against a real
 * OpenSSL server (script-server.c with vmlinkd's policy): a call's round trip with the client's
 * certificate seen by the server, a pin that does not match refused before anything is sent, a
 * renewed certificate accepted and reported, and a server of TLS 1.1 refused.
 */
#include <arpa/inet.h>
#include <check.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "script-server.h"
#include "test-util.h"
#include "vl-client.h"
#include "vl-protocol.h"
#include "vl-tls-context.h"

#define TIMEOUT_MS 10000

#define VM_LIST_RESULT "{\"vms\":[]}"

/* A fresh identity in a temporary folder; the folder is removed with rm_identity(). */
static VlTlsIdentity *
new_identity(const char *name)
{
    g_autofree char *dir = g_dir_make_tmp("vl-tls-XXXXXX", NULL);
    g_autoptr(GError) error = NULL;
    VlTlsIdentity *id = vl_tls_identity_load_or_create(dir, name, 30, &error);

    ck_assert_msg(id != NULL, "%s", error ? error->message : "?");
    return id;
}

static void
rm_identity(VlTlsIdentity *id)
{
    g_autofree char *dir = g_strdup(vl_tls_identity_dir(id));
    g_autofree char *key = g_build_filename(dir, VL_TLS_KEY_FILE, NULL);
    g_autofree char *cert = g_build_filename(dir, VL_TLS_CERT_FILE, NULL);

    vl_tls_identity_free(id);
    g_unlink(key);
    g_unlink(cert);
    g_rmdir(dir);
}

/* TCP_NODELAY of this process's socket connected to port on the loopback; -1 when none is. */
static int
nodelay_of_socket_to(guint port)
{
    for (int fd = 0; fd < 1024; fd++) {
        struct sockaddr_in peer;
        socklen_t len = sizeof(peer);
        int nodelay = 0;
        socklen_t nodelay_len = sizeof(nodelay);

        if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && peer.sin_family == AF_INET &&
            ntohs(peer.sin_port) == port &&
            getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nodelay_len) == 0) {
            return nodelay;
        }
    }
    return -1;
}

START_TEST(test_round_trip_with_client_certificate)
{
    VlTlsIdentity *bridge = new_identity("test bridge");
    VlTlsIdentity *manager = new_identity("test manager");
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    ScriptTls tls = {.identity = bridge};
    ScriptServer *server = script_server_start_tls(steps, &tls);
    VlClientOptions options = {.identity = manager, .pinned_pem = vl_tls_identity_cert_pem(bridge)};
    g_autoptr(GError) error = NULL;
    VlClient *client = vl_client_connect_full(script_server_address(server), &options, &error);
    g_autoptr(VlJson) result = NULL;
    GPtrArray *requests;

    ck_assert_msg(client != NULL, "%s", error ? error->message : "?");
    ck_assert_str_eq(vl_client_peer_fingerprint(client), vl_tls_identity_fingerprint(bridge));
    ck_assert_ptr_nonnull(vl_client_peer_cert(client));
    ck_assert(!vl_client_pin_renewed(client));
    /* Requests go out at once, not after the server's delayed ACK. */
    ck_assert_int_eq(nodelay_of_socket_to(script_server_port(server)), 1);
    result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    ck_assert_uint_eq(vl_json_array_length(vl_json_object_get(result, "vms")), 0);
    vl_client_free(client);

    requests = script_server_finish(server);
    ck_assert_uint_eq(requests->len, 1);
    ck_assert_ptr_nonnull(strstr(g_ptr_array_index(requests, 0), "\"vm.list\""));
    ck_assert_str_eq(script_server_client_fingerprint(server),
                     vl_tls_identity_fingerprint(manager));
    script_server_free(server);
    rm_identity(bridge);
    rm_identity(manager);
}
END_TEST

START_TEST(test_no_identity_no_pin)
{
    VlTlsIdentity *bridge = new_identity("test bridge");
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    ScriptTls tls = {.identity = bridge};
    ScriptServer *server = script_server_start_tls(steps, &tls);
    g_autoptr(GError) error = NULL;
    /* The "tls:" spelling, no options: any bridge, no client certificate. */
    g_autofree char *address = g_strdup_printf("tls:127.0.0.1:%u", script_server_port(server));
    VlClient *client = vl_client_connect(address, &error);
    g_autoptr(VlJson) result = NULL;

    ck_assert_msg(client != NULL, "%s", error ? error->message : "?");
    result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    vl_client_free(client);
    script_server_finish(server);
    ck_assert_ptr_null(script_server_client_fingerprint(server));
    script_server_free(server);
    rm_identity(bridge);
}
END_TEST

START_TEST(test_pin_mismatch_sends_nothing)
{
    VlTlsIdentity *bridge = new_identity("test bridge");
    VlTlsIdentity *other = new_identity("another bridge");
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    ScriptTls tls = {.identity = bridge};
    ScriptServer *server = script_server_start_tls(steps, &tls);
    VlClientOptions options = {.pinned_pem = vl_tls_identity_cert_pem(other)};
    g_autoptr(GError) error = NULL;
    VlClient *client = vl_client_connect_full(script_server_address(server), &options, &error);

    ck_assert_ptr_null(client);
    ck_assert_msg(g_error_matches(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY), "%s",
                  error ? error->message : "no error");
    /* Both fingerprints, and what to do. */
    ck_assert_ptr_nonnull(strstr(error->message, vl_tls_identity_fingerprint(bridge)));
    ck_assert_ptr_nonnull(strstr(error->message, vl_tls_identity_fingerprint(other)));
    ck_assert_ptr_nonnull(strstr(error->message, "take ownership again"));
    ck_assert_uint_eq(script_server_finish(server)->len, 0);
    script_server_free(server);
    rm_identity(bridge);
    rm_identity(other);
}
END_TEST

START_TEST(test_renewed_pin_accepted_and_reported)
{
    VlTlsIdentity *bridge = new_identity("test bridge");
    g_autofree char *old_pem = g_strdup(vl_tls_identity_cert_pem(bridge));
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    ScriptTls tls = {.identity = bridge};
    g_autoptr(GError) error = NULL;
    gboolean renewed = FALSE;
    ScriptServer *server;
    VlClient *client;
    VlClientOptions options = {.pinned_pem = old_pem};
    g_autoptr(VlJson) result = NULL;
    g_autofree char *peer_pem = NULL;

    /* The bridge renews in place: same key, a new certificate. */
    ck_assert(vl_tls_identity_renew_if_needed(bridge, 400, 30, &renewed, &error));
    ck_assert(renewed);
    ck_assert_str_ne(vl_tls_identity_cert_pem(bridge), old_pem);
    server = script_server_start_tls(steps, &tls);
    client = vl_client_connect_full(script_server_address(server), &options, &error);
    ck_assert_msg(client != NULL, "%s", error ? error->message : "?");
    ck_assert(vl_client_pin_renewed(client));
    peer_pem = vl_tls_x509_pem(vl_client_peer_cert(client));
    ck_assert_str_eq(peer_pem, vl_tls_identity_cert_pem(bridge));
    result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    vl_client_free(client);
    ck_assert_uint_eq(script_server_finish(server)->len, 1);
    script_server_free(server);
    rm_identity(bridge);
}
END_TEST

START_TEST(test_tls11_server_refused)
{
    VlTlsIdentity *bridge = new_identity("old bridge");
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    ScriptTls tls = {.identity = bridge, .tls11_only = TRUE};
    ScriptServer *server = script_server_start_tls(steps, &tls);
    g_autoptr(GError) error = NULL;
    VlClient *client = vl_client_connect_full(script_server_address(server), NULL, &error);

    ck_assert_ptr_null(client);
    ck_assert_msg(g_error_matches(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_TLS), "%s",
                  error ? error->message : "no error");
    ck_assert_ptr_nonnull(strstr(error->message, "TLS handshake with"));
    ck_assert_uint_eq(script_server_finish(server)->len, 0);
    script_server_free(server);
    rm_identity(bridge);
}
END_TEST

START_TEST(test_nothing_listens)
{
    VlTlsIdentity *bridge = new_identity("test bridge");
    const ScriptStep steps[] = {END};
    ScriptTls tls = {.identity = bridge};
    ScriptServer *server = script_server_start_tls(steps, &tls);
    g_autofree char *address =
        g_strdup_printf("tls://[::1]:%u", script_server_port(server)); /* v4 listens, not v6 */
    g_autoptr(GError) error = NULL;
    VlClient *client = vl_client_connect_full(address, NULL, &error);

    ck_assert_ptr_null(client);
    ck_assert_msg(
        error && error->domain == VL_CLIENT_ERROR &&
            (error->code == VL_CLIENT_ERROR_NO_SERVER || error->code == VL_CLIENT_ERROR_CONNECT),
        "%s", error ? error->message : "no error");
    script_server_free(server);
    rm_identity(bridge);
}
END_TEST

START_TEST(test_address_parsing)
{
    static const struct {
        const char *address;
        const char *host;
        guint port;
    } good[] = {
        {"tls:kvm1", "kvm1", VL_CONTROL_PORT},
        {"tls://kvm1", "kvm1", VL_CONTROL_PORT},
        {"tls://kvm1.example.com:9000", "kvm1.example.com", 9000},
        {"tls://kvm1:9000/", "kvm1", 9000},
        {"tls://[::1]", "::1", VL_CONTROL_PORT},
        {"tls://[fe80::1%eth0]:8899", "fe80::1%eth0", 8899},
        {"tls:192.0.2.1:1", "192.0.2.1", 1},
    };
    static const char *const bad[] = {"tls:",       "tls://",       "tls://:8899",
                                      "tls://[::1", "tls://[::1]x", "tls://a:0",
                                      "tls://a:b",  "tls://a/b",    "tls://::1"};

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *host = NULL;
        guint16 port = 0;

        ck_assert_msg(vl_client_address_tls(good[i].address, &host, &port, &error), "%s: %s",
                      good[i].address, error ? error->message : "not tls");
        ck_assert_str_eq(host, good[i].host);
        ck_assert_uint_eq(port, good[i].port);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        ck_assert_msg(!vl_client_address_tls(bad[i], NULL, NULL, &error), "%s accepted", bad[i]);
        ck_assert_msg(g_error_matches(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS),
                      "%s: no address error", bad[i]);
    }
    /* Other transports are not TLS, and not an error either. */
    {
        g_autoptr(GError) error = NULL;

        ck_assert(!vl_client_address_tls("unix:/run/vmlink/vmlinkd.sock", NULL, NULL, &error));
        ck_assert(!vl_client_address_tls("/run/vmlink/vmlinkd.sock", NULL, NULL, &error));
        ck_assert_ptr_null(error);
    }
}
END_TEST

static Suite *
client_tls_suite(void)
{
    Suite *s = suite_create("client-tls");
    TCase *tc = tcase_create("tls");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_round_trip_with_client_certificate);
    tcase_add_test(tc, test_no_identity_no_pin);
    tcase_add_test(tc, test_pin_mismatch_sends_nothing);
    tcase_add_test(tc, test_renewed_pin_accepted_and_reported);
    tcase_add_test(tc, test_tls11_server_refused);
    tcase_add_test(tc, test_nothing_listens);
    tcase_add_test(tc, test_address_parsing);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return vl_check_run(client_tls_suite());
}
