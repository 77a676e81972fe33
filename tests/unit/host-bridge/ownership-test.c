/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ownership: the state file (taken, released, re-read after a restart or an outside change,
 * members it does not know kept), a damaged state never half-trusted, what a manager sends
 * checked, and the access rule for TLS calls against certificates made here: the pinned one, a
 * renewal with the same key, an expired one, another manager's, none. Who may take an owned
 * bridge, which certificate may be rotated in, the generation that tells callers to cut old
 * authorisations, and a write whose only fault is an unflushed folder.
 */
#include <errno.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsync-fault.h"
#include "vl-check.h"
#include "vl-jsonrpc.h"
#include "vl-openssl.h"
#include "vl-ownership-private.h"
#include "vl-ownership.h"
#include "vl-state-file.h"
#include "vl-test-tls.h"
#include "vl-tls-context.h"

#define DAY (24 * 60 * 60)

typedef struct {
    char *dir;
    char *state;
    VlTlsIdentity *manager;
    VlTlsIdentity *other;
} T;

static T t;

/* A real hash at a cheap cost: the state file checks hashes when it is read. */
static char *
cheap_hash(const char *password)
{
    g_autoptr(GError) error = NULL;
    char *hash = vl_password_hash_with_cost(password, strlen(password), 10, 8, 1, &error);

    ck_assert_msg(hash != NULL, "%s", error ? error->message : "");
    return hash;
}

static VlJson *
state_with_hash(const char *hash, const char *more)
{
    g_autofree char *text = g_strdup_printf("{\"password_hash\":\"%s\"%s}", hash, more);

    return vl_json_parse(text, strlen(text), NULL);
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;

    t.dir = g_dir_make_tmp("vl-ownership-XXXXXX", &error);
    ck_assert_msg(t.dir != NULL, "%s", error ? error->message : "");
    t.state = g_build_filename(t.dir, "state.json", NULL);
    t.manager = vl_test_identity(t.dir, "engine1");
    t.other = vl_test_identity(t.dir, "engine2");
}

static void
teardown(void)
{
    g_autofree char *rm = g_strdup_printf("rm -rf %s", t.dir);

    (void)!system(rm);
    vl_tls_identity_free(t.manager);
    vl_tls_identity_free(t.other);
    g_free(t.state);
    g_free(t.dir);
}

static void
assert_call_error(const GError *error, VlRpcCode code, const char *want)
{
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(error->domain == VL_CALL_ERROR && error->code == (int)code, "code %d, not %d: %s",
                  error->code, code, error->message);
    ck_assert_msg(!want || strstr(error->message, want), "'%s' not in: %s", want, error->message);
}

static VlOwner *
owner_of(VlTlsIdentity *id, const char *manager_id)
{
    g_autoptr(GError) error = NULL;
    VlOwner *owner =
        vl_owner_new(manager_id, vl_tls_identity_cert_pem(id), vl_tls_identity_cert(id),
                     "https://engine1.example:7002/events", "", &error);

    ck_assert_msg(owner != NULL, "%s", error ? error->message : "");
    return owner;
}

static VlOwnership *
owned_by_engine1(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlOwner) owner = owner_of(t.manager, "engine1");
    VlOwnership *o = vl_ownership_new(t.dir, 300);

    ck_assert_msg(vl_ownership_take(o, owner, &error), "%s", error ? error->message : "");
    return o;
}

static void
write_raw(const char *text, int mode)
{
    ck_assert(
        g_file_set_contents_full(t.state, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, NULL));
}

/* The state file ------------------------------------------------------------------------------ */

START_TEST(test_fresh_host)
{
    g_autoptr(VlOwnership) o = vl_ownership_new(t.dir, 300);

    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_UNOWNED);
    ck_assert_str_eq(vl_ownership_state_name(vl_ownership_state(o)), "unowned");
    ck_assert_ptr_null(vl_ownership_owner(o));
    ck_assert_ptr_null(vl_ownership_password_hash(o));
    ck_assert_ptr_null(vl_ownership_damage(o));
}
END_TEST

START_TEST(test_take_survives_restart_and_keeps_unknown_members)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *hash = cheap_hash("x");
    g_autoptr(VlJson) before = state_with_hash(hash, ",\"future\":{\"a\":1}");
    g_autoptr(VlOwnership) o = NULL;
    g_autoptr(VlOwnership) again = NULL;
    g_autoptr(VlJson) data = NULL;
    g_autoptr(VlOwner) released = NULL;
    const VlOwner *owner;

    ck_assert(vl_state_file_write(t.state, before, NULL));
    o = owned_by_engine1();
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_OWNED);
    ck_assert_str_eq(vl_ownership_password_hash(o), hash);

    /* A restart reads the same owner back. */
    again = vl_ownership_new(t.dir, 300);
    owner = vl_ownership_owner(again);
    ck_assert_ptr_nonnull(owner);
    ck_assert_str_eq(owner->manager_id, "engine1");
    ck_assert_str_eq(owner->certificate, vl_tls_identity_cert_pem(t.manager));
    ck_assert_str_eq(owner->fingerprint, vl_tls_identity_fingerprint(t.manager));
    ck_assert_str_eq(owner->event_url, "https://engine1.example:7002/events");
    ck_assert_ptr_null(owner->stats_url);
    ck_assert_int_gt(owner->since, 0);

    /* Released: the owner goes, the password and what this vmlinkd does not know stay. */
    released = vl_ownership_release(again, &error);
    ck_assert_str_eq(released->manager_id, "engine1");
    ck_assert_int_eq(vl_ownership_state(again), VL_OWNERSHIP_UNOWNED);
    data = vl_state_file_read(t.state, &error);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_null(vl_json_object_get(data, "owner"));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(data, "password_hash")), hash);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vl_json_object_get(data, "future"), "a")),
                     1);

    /* Nothing to release twice. */
    ck_assert_ptr_null(vl_ownership_release(again, &error));
    assert_call_error(error, VL_RPC_CONFLICT, "no owner");
}
END_TEST

START_TEST(test_outside_changes_are_seen)
{
    g_autoptr(VlOwnership) o = vl_ownership_new(t.dir, 300);
    g_autofree char *y = cheap_hash("y");
    g_autofree char *z = cheap_hash("z");
    g_autoptr(VlJson) with_hash = state_with_hash(y, "");
    g_autoptr(GError) error = NULL;

    /* `vmlinkd --set-password` while vmlinkd runs. */
    ck_assert(vl_state_file_write(t.state, with_hash, NULL));
    vl_ownership_refresh(o);
    ck_assert_str_eq(vl_ownership_password_hash(o), y);
    /* Writes go over the file as it is now, not as it was read at start. */
    ck_assert(vl_ownership_set_password_hash(o, z, &error));
    {
        g_autoptr(VlOwnership) again = vl_ownership_new(t.dir, 300);

        ck_assert_str_eq(vl_ownership_password_hash(again), z);
    }
}
END_TEST

START_TEST(test_damaged_is_never_trusted)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlOwnership) o = NULL;
    g_autoptr(VlOwner) owner = owner_of(t.manager, "engine1");

    write_raw("{\"format\":1,\"sha256\":\"00\",\"data\":{}}\n", 0600);
    o = vl_ownership_new(t.dir, 300);
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_DAMAGED);
    ck_assert_str_eq(vl_ownership_state_name(vl_ownership_state(o)), "damaged");
    ck_assert_ptr_nonnull(strstr(vl_ownership_damage(o), t.state));
    ck_assert_ptr_null(vl_ownership_password_hash(o));

    /* Over TLS only host.info; nothing is written over it. */
    ck_assert(vl_ownership_allows(o, "host.info", NULL, NULL, NULL));
    ck_assert(!vl_ownership_allows(o, "host.take_ownership", vl_tls_identity_cert(t.manager), NULL,
                                   &error));
    assert_call_error(error, VL_RPC_UNAUTHORIZED, t.state);
    g_clear_error(&error);
    ck_assert(!vl_ownership_take(o, owner, &error));
    assert_call_error(error, VL_RPC_CONFLICT, t.state);
    g_clear_error(&error);

    /* The administrator moves it away: trusted again, without a restart. */
    ck_assert_int_eq(remove(t.state), 0);
    vl_ownership_refresh(o);
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_UNOWNED);
}
END_TEST

START_TEST(test_open_permissions_are_damage)
{
    g_autoptr(VlOwnership) o = owned_by_engine1();

    ck_assert_int_eq(chmod(t.state, 0644), 0);
    vl_ownership_refresh(o);
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_DAMAGED);
    ck_assert_ptr_nonnull(strstr(vl_ownership_damage(o), "chmod 600"));
    ck_assert_ptr_null(vl_ownership_owner(o));
    ck_assert_int_eq(chmod(t.state, 0600), 0);
    vl_ownership_refresh(o);
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_OWNED);
}
END_TEST

START_TEST(test_nonsense_owner_is_damage)
{
    const char *const bad[] = {
        "{\"owner\":\"engine1\"}",
        "{\"owner\":{\"manager_id\":\"engine 1\",\"certificate\":\"x\",\"since\":1}}",
        "{\"owner\":{\"manager_id\":\"engine1\",\"certificate\":\"not a cert\",\"since\":1}}",
        "{\"password_hash\":7}",
        "{\"password_hash\":\"$scrypt$x\"}",
        "{\"password_hash\":\"$scrypt$ln=17,r=8,p=1$AAAA$AAAA\"}",
        /* A cost far beyond the bounds, with a well-formed salt and key. */
        ("{\"password_hash\":\"$scrypt$ln=60,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$"
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}"),
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(VlJson) data = vl_json_parse(bad[i], strlen(bad[i]), NULL);
        g_autoptr(VlOwnership) o = NULL;

        ck_assert(vl_state_file_write(t.state, data, NULL));
        o = vl_ownership_new(t.dir, 300);
        ck_assert_msg(vl_ownership_state(o) == VL_OWNERSHIP_DAMAGED, "trusted: %s", bad[i]);
        ck_assert_ptr_nonnull(strstr(vl_ownership_damage(o), "--set-password"));
    }
}
END_TEST

/* What a manager sends ------------------------------------------------------------------------ */

START_TEST(test_owner_checks)
{
    const char *pem = vl_tls_identity_cert_pem(t.manager);
    X509 *cert = vl_tls_identity_cert(t.manager);
    g_autoptr(X509) expired = vl_test_redated(t.manager, -30 * DAY, -DAY);
    g_autofree char *expired_pem = vl_tls_x509_pem(expired);
    const struct {
        const char *id, *pem;
        X509 *presented;
        const char *event_url, *stats_url, *want;
    } bad[] = {
        {"engine 1", pem, cert, NULL, NULL, "manager_id"},
        {"", pem, cert, NULL, NULL, "manager_id"},
        {"eng/ine", pem, cert, NULL, NULL, "manager_id"},
        {"engine1", pem, NULL, NULL, NULL, "no client certificate"},
        {"engine1", pem, vl_tls_identity_cert(t.other), NULL, NULL, "not the certificate"},
        {"engine1", "garbage", cert, NULL, NULL, "manager_certificate"},
        {"engine1", expired_pem, expired, NULL, NULL, "expired"},
        {"engine1", pem, cert, "http://engine1/events", NULL, "event_url"},
        {"engine1", pem, cert, NULL, "https:///stats", "stats_url"},
        {"engine1", pem, cert, "ftp://engine1/", NULL, "event_url"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VlOwner) owner = vl_owner_new(bad[i].id, bad[i].pem, bad[i].presented,
                                                bad[i].event_url, bad[i].stats_url, &error);

        ck_assert_msg(owner == NULL, "accepted case %u", i);
        assert_call_error(error, VL_RPC_INVALID_PARAMS, bad[i].want);
    }
    {
        g_autoptr(VlOwner) owner = vl_owner_new("ops@engine-1.example_x", pem, cert, "",
                                                "https://[2001:db8::1]:7002/s", NULL);

        ck_assert_ptr_nonnull(owner);
        ck_assert_ptr_null(owner->event_url);
        ck_assert_str_eq(owner->stats_url, "https://[2001:db8::1]:7002/s");
    }
}
END_TEST

/* The access rule over TLS --------------------------------------------------------------------- */

START_TEST(test_unowned_access)
{
    g_autoptr(VlOwnership) o = vl_ownership_new(t.dir, 300);
    g_autoptr(GError) error = NULL;
    X509 *cert = vl_tls_identity_cert(t.manager);

    ck_assert(vl_ownership_allows(o, "host.info", NULL, NULL, NULL));
    ck_assert(vl_ownership_allows(o, "host.take_ownership", cert, NULL, NULL));
    ck_assert(!vl_ownership_allows(o, "vm.list", cert, NULL, &error));
    assert_call_error(error, VL_RPC_UNAUTHORIZED, "this bridge has no owner: take ownership first");
    ck_assert(!vl_ownership_is_owner(o, cert));
}
END_TEST

START_TEST(test_owned_access)
{
    g_autoptr(VlOwnership) o = owned_by_engine1();
    X509 *cert = vl_tls_identity_cert(t.manager);
    gboolean renewed = TRUE;
    g_autoptr(GError) error = NULL;

    ck_assert(vl_ownership_allows(o, "vm.start", cert, &renewed, NULL));
    ck_assert(!renewed);
    ck_assert(vl_ownership_is_owner(o, cert));
    /* host.take_ownership goes on to its own checks, whoever calls. */
    ck_assert(
        vl_ownership_allows(o, "host.take_ownership", vl_tls_identity_cert(t.other), NULL, NULL));

    ck_assert(!vl_ownership_allows(o, "vm.list", vl_tls_identity_cert(t.other), NULL, &error));
    assert_call_error(error, VL_RPC_OWNED, "owned by manager engine1");
    g_clear_error(&error);
    ck_assert(!vl_ownership_allows(o, "vm.list", NULL, NULL, &error));
    assert_call_error(error, VL_RPC_OWNED, "owned by manager engine1");
    ck_assert(!vl_ownership_is_owner(o, vl_tls_identity_cert(t.other)));
    ck_assert(!vl_ownership_is_owner(o, NULL));
}
END_TEST

START_TEST(test_renewed_and_expired_owner_certificates)
{
    g_autoptr(VlOwnership) o = owned_by_engine1();
    g_autoptr(X509) renewal = vl_test_redated(t.manager, -3600, 400 * DAY);
    g_autoptr(X509) expired = vl_test_redated(t.manager, -30 * DAY, -DAY);
    g_autofree char *expired_pem = vl_tls_x509_pem(expired);
    g_autofree char *renewal_pem = vl_tls_x509_pem(renewal);
    g_autofree char *renewal_fingerprint = vl_tls_x509_fingerprint(renewal);
    g_autoptr(GError) error = NULL;
    gboolean renewed = FALSE;

    /* The same key, new dates: the owner, and the caller pins it. */
    ck_assert(vl_ownership_allows(o, "vm.list", renewal, &renewed, NULL));
    ck_assert(renewed);
    ck_assert(vl_ownership_set_pin(o, renewal_pem, &error));
    ck_assert_str_eq(vl_ownership_owner(o)->fingerprint, renewal_fingerprint);
    ck_assert(vl_ownership_allows(o, "vm.list", renewal, &renewed, NULL));
    ck_assert(!renewed);

    /* The older certificate of the key (a connection from before the renewal): the owner's,
     * but it does not take the pin back, and is remembered for its next calls. */
    ck_assert(vl_ownership_allows(o, "vm.list", vl_tls_identity_cert(t.manager), &renewed, NULL));
    ck_assert(!renewed);
    ck_assert(vl_ownership_verified(o, vl_tls_identity_cert(t.manager)));

    /* Expired while the pin is valid: present the renewed one, not "owned by". */
    ck_assert(!vl_ownership_allows(o, "vm.list", expired, NULL, &error));
    assert_call_error(error, VL_RPC_UNAUTHORIZED, "present its renewed one");
    ck_assert(!vl_ownership_is_owner(o, expired));
    g_clear_error(&error);

    /* The pin survives a restart. */
    {
        g_autoptr(VlOwnership) again = vl_ownership_new(t.dir, 300);

        ck_assert_str_eq(vl_ownership_owner(again)->certificate, renewal_pem);
    }

    /* The pin itself expired: the owner is told to take ownership again with the password. A
     * new pin forgets what was verified under the old one. */
    ck_assert(vl_ownership_set_pin(o, expired_pem, &error));
    ck_assert(!vl_ownership_verified(o, vl_tls_identity_cert(t.manager)));
    ck_assert(!vl_ownership_allows(o, "vm.list", expired, NULL, &error));
    assert_call_error(error, VL_RPC_UNAUTHORIZED, "take ownership again with the agent password");
}
END_TEST

/* Seizure, rotation, generations ------------------------------------------------------------- */

START_TEST(test_who_may_take_an_owned_bridge)
{
    g_autoptr(VlOwnership) unowned = vl_ownership_new(t.dir, 300);
    g_autoptr(VlOwnership) o = NULL;
    g_autoptr(X509) expired = vl_test_redated(t.manager, -30 * DAY, -DAY);
    g_autofree char *expired_pem = vl_tls_x509_pem(expired);
    g_autoptr(GError) error = NULL;

    ck_assert(vl_ownership_may_take(unowned, "engine2", vl_tls_identity_cert(t.other), NULL));
    o = owned_by_engine1();
    /* The owner itself, changing its URLs (or even its id). */
    ck_assert(vl_ownership_may_take(o, "engine1", vl_tls_identity_cert(t.manager), NULL));
    ck_assert(vl_ownership_may_take(o, "engine1-new", vl_tls_identity_cert(t.manager), NULL));
    /* Claiming the owner's id (host.info shows it) with another key, the pin still valid:
     * a seizure, refused. */
    ck_assert(!vl_ownership_may_take(o, "engine1", vl_tls_identity_cert(t.other), &error));
    assert_call_error(error, VL_RPC_OWNED, "engine1 must release it, or the host's root");
    g_clear_error(&error);
    ck_assert(!vl_ownership_may_take(o, "engine1", NULL, &error));
    assert_call_error(error, VL_RPC_OWNED, "vmlinkctl host release-ownership");
    g_clear_error(&error);
    ck_assert(!vl_ownership_may_take(o, "engine2", vl_tls_identity_cert(t.other), &error));
    assert_call_error(error, VL_RPC_OWNED, "owned by manager engine1");
    g_clear_error(&error);

    /* The pinned certificate expired: the owner's id recovers (with the password, checked by
     * the caller); any other id still cannot. */
    ck_assert(vl_ownership_set_pin(o, expired_pem, &error));
    ck_assert(vl_ownership_may_take(o, "engine1", vl_tls_identity_cert(t.other), NULL));
    ck_assert(!vl_ownership_may_take(o, "engine2", vl_tls_identity_cert(t.other), &error));
    assert_call_error(error, VL_RPC_OWNED, "engine1 must release it");
}
END_TEST

START_TEST(test_rotation_needs_the_same_key)
{
    g_autoptr(X509) reissued = vl_test_redated(t.manager, -3600, 400 * DAY);
    g_autofree char *reissued_pem = vl_tls_x509_pem(reissued);
    g_autoptr(GError) error = NULL;
    X509 *presented = vl_tls_identity_cert(t.manager);

    ck_assert(vl_ownership_check_rotation(presented, reissued_pem, NULL));
    ck_assert(vl_ownership_check_rotation(presented, vl_tls_identity_cert_pem(t.manager), NULL));
    /* Another key: the caller proves nothing about it. */
    ck_assert(!vl_ownership_check_rotation(presented, vl_tls_identity_cert_pem(t.other), &error));
    assert_call_error(error, VL_RPC_INVALID_PARAMS, "public key");
    g_clear_error(&error);
    ck_assert(!vl_ownership_check_rotation(presented, "garbage", &error));
    assert_call_error(error, VL_RPC_INVALID_PARAMS, "manager_certificate");
    /* Root on the local socket presents none and may pin any. */
    ck_assert(vl_ownership_check_rotation(NULL, vl_tls_identity_cert_pem(t.other), NULL));
}
END_TEST

START_TEST(test_generation_follows_authorisation)
{
    g_autoptr(VlOwnership) o = vl_ownership_new(t.dir, 300);
    g_autoptr(VlOwner) owner = owner_of(t.manager, "engine1");
    g_autoptr(VlOwner) gone = NULL;
    g_autoptr(X509) renewal = vl_test_redated(t.manager, -3600, 400 * DAY);
    g_autofree char *renewal_pem = vl_tls_x509_pem(renewal);
    g_autofree char *hash = cheap_hash("pw");
    g_autoptr(GError) error = NULL;
    guint64 g = vl_ownership_generation(o);

    /* The password is no authorisation of a connection: no new generation. */
    ck_assert(vl_ownership_set_password_hash(o, hash, &error));
    ck_assert(vl_ownership_generation(o) == g);
    ck_assert(!vl_ownership_set_password_hash(o, "$scrypt$nonsense", &error));
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED));
    g_clear_error(&error);
    ck_assert_str_eq(vl_ownership_password_hash(o), hash);

    ck_assert(vl_ownership_take(o, owner, &error));
    ck_assert(vl_ownership_generation(o) > g);
    g = vl_ownership_generation(o);
    ck_assert(vl_ownership_set_pin(o, renewal_pem, &error));
    ck_assert(vl_ownership_generation(o) > g);
    g = vl_ownership_generation(o);

    /* Released behind its back (another vmlinkd process, root's tools): seen by a poll, at
     * most one look per second. */
    vl_ownership_poll(o, 1000 * G_USEC_PER_SEC);
    {
        g_autoptr(VlOwnership) other = vl_ownership_new(t.dir, 300);

        gone = vl_ownership_release(other, &error);
        ck_assert_ptr_nonnull(gone);
    }
    vl_ownership_poll(o, 1000 * G_USEC_PER_SEC + G_USEC_PER_SEC / 2);
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_OWNED);
    ck_assert(vl_ownership_generation(o) == g);
    vl_ownership_poll(o, 1001 * G_USEC_PER_SEC);
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_UNOWNED);
    ck_assert(vl_ownership_generation(o) > g);
}
END_TEST

START_TEST(test_unflushed_write_counts_as_done)
{
    g_autoptr(VlOwnership) o = vl_ownership_new(t.dir, 300);
    g_autoptr(VlOwner) owner = owner_of(t.manager, "engine1");
    g_autoptr(GError) error = NULL;
    gboolean taken;

    /* The rename happened, only the folder's fsync failed: the new state is in place, so the
     * take must not answer an error while the ownership is on disk. */
    vl_test_fail_folder_fsync = TRUE;
    taken = vl_ownership_take(o, owner, &error);
    vl_test_fail_folder_fsync = FALSE;
    ck_assert_msg(taken, "%s", error ? error->message : "");
    ck_assert_int_eq(vl_ownership_state(o), VL_OWNERSHIP_OWNED);
    {
        g_autoptr(VlOwnership) again = vl_ownership_new(t.dir, 300);

        ck_assert_str_eq(vl_ownership_owner(again)->manager_id, "engine1");
    }
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_fresh_host,
        test_take_survives_restart_and_keeps_unknown_members,
        test_outside_changes_are_seen,
        test_damaged_is_never_trusted,
        test_open_permissions_are_damage,
        test_nonsense_owner_is_damage,
        test_owner_checks,
        test_unowned_access,
        test_owned_access,
        test_renewed_and_expired_owner_certificates,
        test_who_may_take_an_owned_bridge,
        test_rotation_needs_the_same_key,
        test_generation_follows_authorisation,
        test_unflushed_write_counts_as_done,
        NULL,
    };
    Suite *s = suite_create("ownership");
    TCase *tc = tcase_create("ownership");

    for (const TTest *const *test = tests; *test; test++) {
        tcase_add_test(tc, *test);
    }
    tcase_add_checked_fixture(tc, setup, teardown);
    suite_add_tcase(s, tc);
    return vl_check_run(s);
}
