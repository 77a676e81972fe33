/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Locked secrets and the single sign-on token store: format, single use, expiry, capacity,
 * bounds, and that every secret is wiped before its memory goes back. */
#include <check.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vl-secmem.h"
#include "vl-sso-tokens.h"
#include "vl-sso.h"

#define SEC G_USEC_PER_SEC
#define BASE64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* What the release hook saw: every secret's mapping just before it is unmapped. */
typedef struct {
    guint released;
    guint dirty; /* mappings with a byte left that is not zero */
    const void *last;
} Releases;

static void
on_release(const void *mem, gsize size, gpointer user_data)
{
    Releases *r = user_data;
    const guint8 *p = mem;

    r->released++;
    r->last = mem;
    for (gsize i = 0; i < size; i++) {
        if (p[i] != 0) {
            r->dirty++;
            break;
        }
    }
}

static char *
add_ok(VlSsoTokens *store, const char *user, const char *password, gint64 now_us)
{
    g_autoptr(GError) error = NULL;
    char *token = vl_sso_tokens_add(store, user, password, strlen(password), now_us, &error);

    ck_assert_msg(token != NULL, "add failed: %s", error ? error->message : "");
    return token;
}

static void
assert_add_fails(VlSsoTokens *store, const char *user, const char *password, gsize password_len,
                 int code)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *token = vl_sso_tokens_add(store, user, password, password_len, 0, &error);

    ck_assert_msg(token == NULL, "accepted a user of %zu bytes, password of %zu", strlen(user),
                  password_len);
    ck_assert(g_error_matches(error, VL_SSO_TOKENS_ERROR, code));
}

START_TEST(test_secret_basics)
{
    Releases r = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlSecret) empty = vl_secret_new(0, &error);
    VlSecret *s = vl_secret_new_from_data("hunter2", 7, &error);
    char *data;

    ck_assert_ptr_nonnull(empty);
    ck_assert_uint_eq(vl_secret_len(empty), 0);
    ck_assert_int_eq(vl_secret_data(empty)[0], '\0');
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(vl_secret_len(s), 7);
    ck_assert_str_eq(vl_secret_data(s), "hunter2"); /* NUL-terminated */
    if (geteuid() == 0) {
        /* Root holds CAP_IPC_LOCK: locking cannot fail. */
        ck_assert(vl_secret_is_locked(s));
    }
    data = vl_secret_data(s);
    vl_secmem_set_release_hook(on_release, &r);
    vl_secret_free(s);
    vl_secmem_set_release_hook(NULL, NULL);
    ck_assert_uint_eq(r.released, 1);
    ck_assert_ptr_eq(r.last, data);
    ck_assert_uint_eq(r.dirty, 0);
}
END_TEST

/* ASan replaces mlock with a stub that succeeds. */
static gboolean
running_under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return TRUE;
#else
    return FALSE;
#endif
#else
    return FALSE;
#endif
}

/* Without CAP_IPC_LOCK and with no memory-lock allowance, as an unprivileged agent might run:
 * secrets still work, unlocked, and are still wiped. check runs each test in its own process,
 * so what this drops is gone for this test only. */
START_TEST(test_unlocked_fallback)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
    struct rlimit none = {0, 0};
    Releases r = {0};
    g_autoptr(GError) error = NULL;
    VlSecret *a;
    VlSecret *b;

    ck_assert_int_eq(syscall(SYS_capget, &header, caps), 0);
    caps[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
    ck_assert_int_eq(syscall(SYS_capset, &header, caps), 0);
    ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &none), 0);

    a = vl_secret_new_from_data("hunter2", 7, &error);
    b = vl_secret_new_from_data("hunter3", 7, &error);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    if (!running_under_asan()) {
        ck_assert(!vl_secret_is_locked(a));
        ck_assert(!vl_secret_is_locked(b));
    }
    ck_assert_str_eq(vl_secret_data(b), "hunter3");
    vl_secmem_set_release_hook(on_release, &r);
    vl_secret_free(a);
    vl_secret_free(b);
    vl_secmem_set_release_hook(NULL, NULL);
    ck_assert_uint_eq(r.released, 2);
    ck_assert_uint_eq(r.dirty, 0);
}
END_TEST

START_TEST(test_random)
{
    guint8 a[32] = {0}, b[32] = {0}, zero[32] = {0};
    g_autoptr(GError) error = NULL;

    ck_assert(vl_secmem_random(a, sizeof(a), &error));
    ck_assert(vl_secmem_random(b, sizeof(b), &error));
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    ck_assert(memcmp(a, zero, sizeof(a)) != 0);
}
END_TEST

START_TEST(test_token_format_and_uniqueness)
{
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(200, 30);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (int i = 0; i < 200; i++) {
        char *token = add_ok(store, "alice", "pw", 0);

        ck_assert_uint_eq(strlen(token), VL_SSO_TOKEN_LEN);
        ck_assert_uint_eq(strspn(token, BASE64URL), VL_SSO_TOKEN_LEN);
        ck_assert_msg(g_hash_table_add(seen, token), "token %s came twice", token);
    }
    ck_assert_uint_eq(vl_sso_tokens_count(store), 200);
}
END_TEST

START_TEST(test_take_once)
{
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, VL_SSO_TOKEN_TTL_S);
    g_autofree char *token = add_ok(store, "alice", "s3cret pass", 0);
    g_autofree char *other = add_ok(store, "bob", "bobs", 0);
    g_autofree char *user = NULL;
    g_autofree char *user2 = NULL;
    g_autoptr(VlSecret) password = NULL;
    g_autoptr(VlSecret) password2 = NULL;

    ck_assert(vl_sso_tokens_take(store, token, 1 * SEC, &user, &password));
    ck_assert_str_eq(user, "alice");
    ck_assert_uint_eq(vl_secret_len(password), 11);
    ck_assert_str_eq(vl_secret_data(password), "s3cret pass");
    ck_assert_uint_eq(vl_sso_tokens_count(store), 1);

    /* Used: gone, and the other credential is untouched. */
    ck_assert(!vl_sso_tokens_take(store, token, 1 * SEC, &user2, &password2));
    ck_assert_ptr_null(user2);
    ck_assert_ptr_null(password2);
    ck_assert(vl_sso_tokens_take(store, other, 1 * SEC, &user2, &password2));
    ck_assert_str_eq(user2, "bob");
    ck_assert_str_eq(vl_secret_data(password2), "bobs");
    ck_assert_uint_eq(vl_sso_tokens_count(store), 0);
}
END_TEST

START_TEST(test_wrong_token)
{
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, VL_SSO_TOKEN_TTL_S);
    g_autofree char *token = add_ok(store, "alice", "pw", 0);
    g_autofree char *wrong = g_strdup(token);
    g_autofree char *longer = g_strconcat(token, "A", NULL);
    g_autofree char *shorter = g_strndup(token, VL_SSO_TOKEN_LEN - 1);
    const char *attempts[] = {wrong, longer, shorter, "", "GET"};
    char *user = NULL;
    VlSecret *password = NULL;

    /* The same token but for its last character. */
    wrong[VL_SSO_TOKEN_LEN - 1] = wrong[VL_SSO_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
    for (gsize i = 0; i < G_N_ELEMENTS(attempts); i++) {
        ck_assert_msg(!vl_sso_tokens_take(store, attempts[i], 0, &user, &password), "took %s",
                      attempts[i]);
        ck_assert_ptr_null(user);
        ck_assert_ptr_null(password);
    }
    /* Wrong guesses do not burn the real token. */
    ck_assert_uint_eq(vl_sso_tokens_count(store), 1);
    ck_assert(vl_sso_tokens_take(store, token, 0, &user, &password));
    g_free(user);
    vl_secret_free(password);
}
END_TEST

START_TEST(test_expiry)
{
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, 30);
    g_autofree char *early = add_ok(store, "alice", "pw", 100 * SEC);
    g_autofree char *late = add_ok(store, "bob", "pw", 100 * SEC);
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;

    /* Just before the deadline it works; at the deadline it is gone, and swept. */
    ck_assert(vl_sso_tokens_take(store, early, 130 * SEC - 1, &user, &password));
    ck_assert_str_eq(user, "alice");
    ck_assert(!vl_sso_tokens_take(store, late, 130 * SEC, &user, &password));
    ck_assert_uint_eq(vl_sso_tokens_count(store), 0);
}
END_TEST

START_TEST(test_sweep)
{
    Releases r = {0};
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, 30);
    g_autofree char *a = add_ok(store, "alice", "first", 0);
    g_autofree char *b = add_ok(store, "bob", "second", 20 * SEC);
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;

    vl_secmem_set_release_hook(on_release, &r);
    vl_sso_tokens_sweep(store, 29 * SEC);
    ck_assert_uint_eq(vl_sso_tokens_count(store), 2);
    vl_sso_tokens_sweep(store, 30 * SEC);
    ck_assert_uint_eq(vl_sso_tokens_count(store), 1);
    ck_assert_uint_eq(r.released, 1);
    ck_assert_uint_eq(r.dirty, 0);
    vl_secmem_set_release_hook(NULL, NULL);
    ck_assert(!vl_sso_tokens_take(store, a, 30 * SEC, &user, &password));
    ck_assert(vl_sso_tokens_take(store, b, 49 * SEC, &user, &password));
    ck_assert_str_eq(vl_secret_data(password), "second");
}
END_TEST

START_TEST(test_capacity)
{
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(3, 30);
    g_autofree char *t1 = add_ok(store, "a", "1", 0);
    g_autofree char *t2 = add_ok(store, "b", "2", 0);
    g_autofree char *t3 = add_ok(store, "c", "3", 10 * SEC);
    g_autofree char *t4 = NULL;
    g_autofree char *t5 = NULL;
    g_autofree char *t6 = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;

    ck_assert_ptr_null(vl_sso_tokens_add(store, "d", "4", 1, 1 * SEC, &error));
    ck_assert(g_error_matches(error, VL_SSO_TOKENS_ERROR, VL_SSO_TOKENS_ERROR_FULL));
    ck_assert_msg(strstr(error->message, "3 single sign-on credentials") != NULL, "%s",
                  error->message);
    /* Full means refused, not evicted: the first is still there. */
    ck_assert(vl_sso_tokens_take(store, t1, 1 * SEC, &user, &password));
    t4 = add_ok(store, "d", "4", 1 * SEC);
    g_clear_error(&error);
    ck_assert_ptr_null(vl_sso_tokens_add(store, "e", "5", 1, 1 * SEC, &error));
    /* Expired ones make room: t2 expires at 30 s, t3 and t4 later. */
    t5 = add_ok(store, "e", "5", 30 * SEC);
    ck_assert_uint_eq(vl_sso_tokens_count(store), 3);
    t6 = vl_sso_tokens_add(store, "f", "6", 1, 30 * SEC, NULL);
    ck_assert_ptr_null(t6);
    g_clear_pointer(&user, g_free);
    g_clear_pointer(&password, vl_secret_free);
    ck_assert(!vl_sso_tokens_take(store, t2, 30 * SEC, &user, &password));
    ck_assert(vl_sso_tokens_take(store, t3, 30 * SEC, &user, &password));
    ck_assert_str_eq(user, "c");
}
END_TEST

START_TEST(test_bounds)
{
    g_autoptr(VlSsoTokens) store = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, 30);
    g_autofree char *user_max = g_strnfill(VL_SSO_USER_MAX, 'u');
    g_autofree char *user_over = g_strnfill(VL_SSO_USER_MAX + 1, 'u');
    g_autofree char *pw_max = g_strnfill(VL_SSO_PASSWORD_MAX, 'p');
    g_autofree char *pw_over = g_strnfill(VL_SSO_PASSWORD_MAX + 1, 'p');
    g_autofree char *t1 = NULL;
    g_autofree char *t2 = NULL;
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;

    assert_add_fails(store, "", "pw", 2, VL_SSO_TOKENS_ERROR_INVALID);
    assert_add_fails(store, user_over, "pw", 2, VL_SSO_TOKENS_ERROR_INVALID);
    assert_add_fails(store, "alice", pw_over, VL_SSO_PASSWORD_MAX + 1, VL_SSO_TOKENS_ERROR_INVALID);
    assert_add_fails(store, "alice", "pw\0rest", 7, VL_SSO_TOKENS_ERROR_INVALID);
    ck_assert_uint_eq(vl_sso_tokens_count(store), 0);

    t1 = add_ok(store, user_max, pw_max, 0);
    t2 = add_ok(store, "alice", "", 0);
    ck_assert(vl_sso_tokens_take(store, t1, 0, &user, &password));
    ck_assert_str_eq(user, user_max);
    ck_assert_uint_eq(vl_secret_len(password), VL_SSO_PASSWORD_MAX);
    ck_assert_str_eq(vl_secret_data(password), pw_max);
    g_clear_pointer(&user, g_free);
    g_clear_pointer(&password, vl_secret_free);
    ck_assert(vl_sso_tokens_take(store, t2, 0, &user, &password));
    ck_assert_uint_eq(vl_secret_len(password), 0);
    ck_assert_str_eq(vl_secret_data(password), "");
}
END_TEST

START_TEST(test_wipe)
{
    Releases r = {0};
    VlSsoTokens *store = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, 30);
    g_autofree char *t1 = add_ok(store, "alice", "first secret", 0);
    g_autofree char *user = NULL;
    VlSecret *password = NULL;
    const char *data;

    /* Two more that stay in the store. */
    g_free(add_ok(store, "bob", "second secret", 0));
    g_free(add_ok(store, "carol", "third secret", 0));

    vl_secmem_set_release_hook(on_release, &r);
    /* Taking frees the store's copy, wiped. */
    ck_assert(vl_sso_tokens_take(store, t1, 0, &user, &password));
    ck_assert_uint_eq(r.released, 1);
    /* The caller's copy, wiped when freed. */
    data = vl_secret_data(password);
    ck_assert_str_eq(data, "first secret");
    if (geteuid() == 0) {
        ck_assert(vl_secret_is_locked(password));
    }
    vl_secret_free(password);
    ck_assert_uint_eq(r.released, 2);
    ck_assert_ptr_eq(r.last, data);
    /* Freeing the store wipes all it still holds. */
    vl_sso_tokens_free(store);
    ck_assert_uint_eq(r.released, 4);
    ck_assert_uint_eq(r.dirty, 0);
    vl_secmem_set_release_hook(NULL, NULL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sso-tokens");
    TCase *secmem = tcase_create("secmem");
    TCase *tokens = tcase_create("tokens");
    SRunner *sr;
    int failed;

    tcase_add_test(secmem, test_secret_basics);
    tcase_add_test(secmem, test_unlocked_fallback);
    tcase_add_test(secmem, test_random);
    tcase_add_test(tokens, test_token_format_and_uniqueness);
    tcase_add_test(tokens, test_take_once);
    tcase_add_test(tokens, test_wrong_token);
    tcase_add_test(tokens, test_expiry);
    tcase_add_test(tokens, test_sweep);
    tcase_add_test(tokens, test_capacity);
    tcase_add_test(tokens, test_bounds);
    tcase_add_test(tokens, test_wipe);
    suite_add_tcase(s, secmem);
    suite_add_tcase(s, tokens);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
