/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The manager's control plane end to end: a real vmlinkd on TLS, managers that are real vmlinkctl
 * processes with their own identities, real OpenSSL (the openssl command and our own clients) for
 * what vmlinkctl would never send. Ownership taken, used, kept over a restart, refused to a
 * second manager, throttled after a wrong password, released, rotated, recovered. (The TLS
 * policy, the state file and bad input over TLS: control-guard-test.c.)
 */
#include <check.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/pem.h>

#include "control-harness.h"
#include "vl-check.h"
#include "vl-json.h"
#include "vl-openssl.h"
#include "vl-test-tls.h"

static ChBridge b;

START_TEST(test_unowned)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *answer = NULL;
    g_autofree char *ownership = NULL;
    int status;

    ch_start(&b, 3, NULL);
    /* Anyone may ask who the bridge is. */
    ownership = ch_host_info_member(&b, "a", "ownership");
    ck_assert_str_eq(ownership, "unowned");
    /* vmlinkctl will not call an unknown bridge for anything else. */
    ch_vm_count(&b, "a", &status);
    ck_assert_int_eq(status, 3);
    /* And the bridge refuses a manager that has not taken ownership. */
    answer = ch_call_as(&b, "a", CH_VM_LIST);
    ck_assert_int_eq(ch_error_code(answer, NULL), -32001);
    /* A fingerprint that is not the bridge's: refused before the password is sent. */
    status = ch_try_take_ownership(
        &b, "a", CH_PASSWORD "\n",
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
        "00:00:00:00:00:00:00:00",
        &out, &err);
    ck_assert_int_ne(status, 0);
    g_free(ownership);
    ownership = ch_host_info_member(&b, "a", "ownership");
    ck_assert_str_eq(ownership, "unowned");
    ch_finish(&b);
}
END_TEST

START_TEST(test_take_use_restart)
{
    g_autofree char *owner = NULL;
    g_autofree char *audit = NULL;
    int status;

    ch_start(&b, 3, NULL);
    ch_take_ownership(&b, "a");
    ck_assert_uint_eq(ch_vm_count(&b, "a", &status), 3);
    ck_assert_int_eq(status, 0);
    /* The ownership is in the state folder: a restarted vmlinkd is still owned. */
    ch_bridge_stop(&b);
    ch_bridge_start(&b);
    ck_assert_uint_eq(ch_vm_count(&b, "a", &status), 3);
    ck_assert_int_eq(status, 0);
    owner = ch_host_info_member(&b, "a", "owner");
    ck_assert_ptr_nonnull(owner);
    audit = ch_bridge_audit(&b);
    ck_assert_msg(strstr(audit, "host.take_ownership") != NULL, "not audited: %s", audit);
    ch_finish(&b);
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

    ch_start(&b, 3, NULL);
    ch_take_ownership(&b, "a");
    fingerprint = ch_bridge_fingerprint(&b);
    status = ch_try_take_ownership(&b, "b", CH_PASSWORD "\n", fingerprint, &out, &err);
    ck_assert_int_ne(status, 0);
    ck_assert_msg(strstr(err, "owned") != NULL, "no word of the owner: %s", err);
    /* Its certificate is refused for everything but host.info. */
    answer = ch_call_as(&b, "b", CH_VM_LIST);
    ck_assert_int_eq(ch_error_code(answer, &message), -32002);
    ck_assert_msg(strstr(message, "owned by") != NULL, "%s", message);
    g_free(answer);
    answer = ch_tls_call(&b, NULL, NULL, CH_VM_LIST);
    ck_assert_int_eq(ch_error_code(answer, NULL), -32002);
    /* The owner is not disturbed. */
    ch_assert_lists_vms(&b, "a");
    ch_finish(&b);
}
END_TEST

START_TEST(test_wrong_password_throttled)
{
    g_autofree char *fingerprint = NULL;
    g_autofree char *audit = NULL;
    gboolean throttled = FALSE;
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    int status;

    ch_start(&b, 1, NULL);
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
    ch_finish(&b);
}
END_TEST

START_TEST(test_release_then_second)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *owner = NULL;
    int status;

    ch_start(&b, 2, NULL);
    ch_take_ownership(&b, "a");
    status = ch_ctl_tls(&b, "a", NULL, &out, &err, "host", "release-ownership", NULL);
    ck_assert_msg(status == 0, "release: %s", err);
    ch_take_ownership(&b, "b");
    ck_assert_uint_eq(ch_vm_count(&b, "b", &status), 2);
    ch_assert_cannot_list_vms(&b, "a");
    owner = ch_host_info_member(&b, "b", "ownership");
    ck_assert_str_eq(owner, "owned");
    ch_finish(&b);
}
END_TEST

START_TEST(test_rotation)
{
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *err = NULL;
    int status;

    ch_start(&b, 1, NULL);
    ch_take_ownership(&b, "a");
    before = ch_bridge_fingerprint(&b);
    status = ch_ctl_tls(&b, "a", NULL, NULL, &err, "host", "rotate-certificate", "--bridge", NULL);
    ck_assert_msg(status == 0, "rotate --bridge: %s", err);
    after = ch_bridge_fingerprint(&b);
    ck_assert_str_ne(before, after);
    ch_assert_lists_vms(&b, "a");
    g_clear_pointer(&err, g_free);
    status = ch_ctl_tls(&b, "a", NULL, NULL, &err, "host", "rotate-certificate", "--manager", NULL);
    ck_assert_msg(status == 0, "rotate --manager: %s", err);
    ch_assert_lists_vms(&b, "a");
    /* Both survive a restart. */
    ch_bridge_stop(&b);
    ch_bridge_start(&b);
    ch_assert_lists_vms(&b, "a");
    ch_finish(&b);
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

    ch_start(&b, 1, NULL);
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
    answer = ch_tls_call(&b, expired_path, key_path, CH_VM_LIST);
    ck_assert_int_eq(ch_error_code(answer, &message), -32001);
    ck_assert_msg(strstr(message, "expired") != NULL, "%s", message);
    /* Another manager id cannot use the expiry to take the host. */
    fingerprint = ch_bridge_fingerprint(&b);
    set_manager_id("b", "engine-2");
    status = ch_try_take_ownership(&b, "b", CH_PASSWORD "\n", fingerprint, NULL, &err);
    ck_assert_msg(status != 0 && strstr(err, "owned") != NULL, "%s", err);
    /* The owner, with a new certificate and the password, recovers. */
    set_manager_id("a", "engine-1");
    ch_take_ownership(&b, "a");
    ch_assert_lists_vms(&b, "a");
    ch_finish(&b);
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

    ch_start(&b, 1, NULL);
    ch_take_ownership(&b, "a");
    /* The manager loses its key while its certificate is valid: the password alone does not
     * let a manager claiming its id take the host over... */
    cert = ch_identity_file(&b, "a", "cert.pem");
    key = ch_identity_file(&b, "a", "key.pem");
    ck_assert_int_eq(g_unlink(cert), 0);
    ck_assert_int_eq(g_unlink(key), 0);
    ch_assert_cannot_list_vms(&b, "a");
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
    ch_assert_lists_vms(&b, "a");
    ch_finish(&b);
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
        NULL,
    };

    return vl_check_run(vl_check_suite("control", tests));
}
