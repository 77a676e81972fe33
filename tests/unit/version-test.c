/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Version negotiation, hello nonces (vl-version.c) and the wire names of protocol errors
 * (vl-error.c).
 */
#include <check.h>
#include <string.h>

#include "vl-protocol.h"

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "cannot parse %s: %s", text, error ? error->message : "?");
    return node;
}

/* Negotiation ------------------------------------------------------------------------------- */

static const struct {
    const char *peer;
    guint ours[4];
    gsize n_ours;
    guint want; /* 0: none in common */
    const char *message;
} negotiations[] = {
    {"[1]", {1}, 1, 1, NULL},
    {"[1,2]", {1, 2}, 2, 2, NULL},
    {"[2,1]", {1, 2}, 2, 2, NULL},
    {"[1,2,3]", {2}, 1, 2, NULL},
    {"[2]", {1, 2, 3}, 3, 2, NULL},
    {"[5,3,1]", {1, 2, 3, 4}, 4, 3, NULL},
    /* Highest common, not the first listed on either side. */
    {"[1,3,2]", {3, 1, 2}, 3, 3, NULL},
    {"[1,2]", {3, 2, 1}, 3, 2, NULL},
    {"[1,1,1]", {1, 1}, 2, 1, NULL},
    {"[65535,1]", {1, 65535}, 2, 65535, NULL},
    /* None in common: both lists named. */
    {"[4]", {1, 2, 3}, 3, 0, "no protocol version in common: peer speaks [4], we speak [1, 2, 3]"},
    {"[2,3]", {1}, 1, 0, "no protocol version in common: peer speaks [2, 3], we speak [1]"},
    {"[]", {1}, 1, 0, "no protocol version in common: peer speaks [], we speak [1]"},
    {"[1]", {0}, 0, 0, "no protocol version in common: peer speaks [1], we speak []"},
    {"[]", {0}, 0, 0, "no protocol version in common: peer speaks [], we speak []"},
    /* Compared as 64-bit values: 2^32 + 1 is not 1, -1 is not 2^32 - 1. */
    {"[4294967297]",
     {1},
     1,
     0,
     "no protocol version in common: peer speaks [4294967297], we speak [1]"},
    {"[-1]",
     {4294967295u},
     1,
     0,
     "no protocol version in common: peer speaks [-1], we speak [4294967295]"},
};

START_TEST(test_negotiate)
{
    g_autoptr(VlJson) peer = parse(negotiations[_i].peer);
    g_autoptr(GError) error = NULL;
    guint version = 777;
    gboolean ok = vl_protocol_negotiate(peer, negotiations[_i].ours, negotiations[_i].n_ours,
                                        &version, &error);

    if (negotiations[_i].want) {
        ck_assert_msg(ok, "%s: %s", negotiations[_i].peer, error ? error->message : "?");
        ck_assert_ptr_null(error);
        ck_assert_uint_eq(version, negotiations[_i].want);
        /* ret_version may be NULL. */
        ck_assert(vl_protocol_negotiate(peer, negotiations[_i].ours, negotiations[_i].n_ours, NULL,
                                        NULL));
    } else {
        ck_assert_msg(!ok, "%s: negotiated %u", negotiations[_i].peer, version);
        ck_assert_uint_eq(version, 777); /* untouched */
        ck_assert(g_error_matches(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION));
        ck_assert_str_eq(error->message, negotiations[_i].message);
        ck_assert(!vl_protocol_negotiate(peer, negotiations[_i].ours, negotiations[_i].n_ours, NULL,
                                         NULL));
    }
}
END_TEST

START_TEST(test_negotiate_long_peer_list)
{
    /* A peer list longer than a valid hello's (16) is shown only in part. */
    g_autoptr(GString) text = g_string_new("[");
    g_autoptr(VlJson) peer = NULL;
    g_autoptr(GError) error = NULL;
    static const guint ours[] = {1};

    for (int i = 0; i < 1000; i++) {
        g_string_append_printf(text, "%s%d", i ? "," : "", 1000 + i);
    }
    g_string_append_c(text, ']');
    peer = parse(text->str);
    ck_assert(!vl_protocol_negotiate(peer, ours, G_N_ELEMENTS(ours), NULL, &error));
    ck_assert_int_eq(error->code, VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
    ck_assert(strstr(error->message, "1015]") != NULL);
    ck_assert(strstr(error->message, "1016") == NULL);
    ck_assert_uint_lt(strlen(error->message), 256);
}
END_TEST

START_TEST(test_negotiate_hello)
{
    /* The versions of the catalogue's hello examples negotiate with this library's version. */
    static const guint ours[] = {VL_GUEST_PROTOCOL_VERSION};
    int n = 0;

    for (const VlEntry *e = vl_guest_catalogue.entries; e->name; e++) {
        g_autoptr(VlJson) hello = NULL;
        guint version = 0;

        if (strcmp(e->name, "hello") != 0) {
            continue;
        }
        hello = parse(e->example);
        ck_assert(vl_protocol_negotiate(vl_json_object_get(hello, "versions"), ours,
                                        G_N_ELEMENTS(ours), &version, NULL));
        ck_assert_uint_eq(version, VL_GUEST_PROTOCOL_VERSION);
        n++;
    }
    ck_assert_int_eq(n, 2);
}
END_TEST

/* Nonces ------------------------------------------------------------------------------------ */

/* The nonce field of the host's hello, from the catalogue. */
static const VlField *
host_nonce_field(void)
{
    const VlEntry *hello = vl_catalogue_lookup(&vl_guest_catalogue, "hello", VL_SENDER_HOST);

    ck_assert_ptr_nonnull(hello);
    for (const VlField *f = hello->fields; f->name; f++) {
        if (strcmp(f->name, "nonce") == 0) {
            return f;
        }
    }
    ck_abort_msg("the host's hello has no nonce field");
    return NULL;
}

START_TEST(test_nonce)
{
    const VlField *field = host_nonce_field();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    ck_assert_int_eq(field->min, VL_NONCE_MIN_LEN);
    ck_assert_int_eq(field->max, VL_NONCE_MAX_LEN);
    for (int i = 0; i < 200; i++) {
        char *nonce = vl_protocol_new_nonce();
        gsize len = strlen(nonce);

        ck_assert_uint_ge(len, VL_NONCE_MIN_LEN);
        ck_assert_uint_le(len, VL_NONCE_MAX_LEN);
        ck_assert(g_str_has_prefix(nonce, "vl"));
        ck_assert_uint_eq(len, 2 + 32);
        for (const char *p = nonce + 2; *p; p++) {
            ck_assert_msg(g_ascii_isxdigit(*p) && !g_ascii_isupper(*p), "%s", nonce);
        }
        ck_assert_msg(!g_hash_table_contains(seen, nonce), "nonce %s twice", nonce);
        g_hash_table_add(seen, nonce);
    }
}
END_TEST

START_TEST(test_nonce_in_hello)
{
    /* A hello carrying a fresh nonce is accepted from the host, and echoed in the agent's. */
    g_autofree char *nonce = vl_protocol_new_nonce();
    g_autofree char *host =
        g_strdup_printf("{\"type\":\"hello\",\"versions\":[%d],\"nonce\":\"%s\"}",
                        VL_GUEST_PROTOCOL_VERSION, nonce);
    g_autofree char *guest =
        g_strdup_printf("{\"type\":\"hello\",\"versions\":[%d],\"version\":%d,\"nonce\":\"%s\","
                        "\"agent\":{\"name\":\"vmlink-agent\",\"version\":\"0\"}}",
                        VL_GUEST_PROTOCOL_VERSION, VL_GUEST_PROTOCOL_VERSION, nonce);
    g_autoptr(VlJson) host_hello = parse(host);
    g_autoptr(VlJson) guest_hello = parse(guest);
    g_autoptr(GError) error = NULL;

    ck_assert_msg(
        vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_HOST, host_hello, NULL, &error), "%s",
        error ? error->message : "?");
    ck_assert_msg(
        vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_GUEST, guest_hello, NULL, &error),
        "%s", error ? error->message : "?");
}
END_TEST

/* Error names ------------------------------------------------------------------------------- */

START_TEST(test_error_names)
{
    VlProtocolError code = (VlProtocolError)_i;
    const char *name = vl_protocol_error_name(code);
    const char *description = vl_protocol_error_describe(code);
    VlProtocolError back = VL_PROTOCOL_ERROR_N_CODES;

    ck_assert_msg(name != NULL && *name, "code %d has no name", code);
    ck_assert_msg(description != NULL && *description, "%s has no description", name);
    for (const char *p = name; *p; p++) {
        ck_assert_msg(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '_',
                      "%s is not snake_case", name);
    }
    ck_assert(vl_protocol_error_from_name(name, &back));
    ck_assert_int_eq(back, code);
    ck_assert(vl_protocol_error_from_name(name, NULL));
    for (guint other = 0; other < VL_PROTOCOL_ERROR_N_CODES; other++) {
        if (other != (guint)_i) {
            ck_assert_str_ne(vl_protocol_error_name((VlProtocolError)other), name);
        }
    }
}
END_TEST

START_TEST(test_error_names_fit_error_message)
{
    /* The name is the "code" of a guest channel error message: it must pass that field. */
    for (guint i = 0; i < VL_PROTOCOL_ERROR_N_CODES; i++) {
        g_autofree char *text =
            g_strdup_printf("{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}",
                            vl_protocol_error_name((VlProtocolError)i),
                            vl_protocol_error_describe((VlProtocolError)i));
        g_autoptr(VlJson) message = parse(text);
        g_autoptr(GError) error = NULL;

        ck_assert_msg(
            vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_HOST, message, NULL, &error),
            "%s: %s", text, error ? error->message : "?");
    }
}
END_TEST

START_TEST(test_error_names_out_of_range)
{
    VlProtocolError code = VL_PROTOCOL_ERROR_FAILED;

    ck_assert_ptr_null(vl_protocol_error_name(VL_PROTOCOL_ERROR_N_CODES));
    ck_assert_ptr_null(vl_protocol_error_name((VlProtocolError)(VL_PROTOCOL_ERROR_N_CODES + 1)));
    ck_assert_ptr_null(vl_protocol_error_name((VlProtocolError)-1));
    ck_assert_ptr_null(vl_protocol_error_name((VlProtocolError)G_MAXINT));
    ck_assert_ptr_null(vl_protocol_error_name((VlProtocolError)G_MININT));
    ck_assert_ptr_null(vl_protocol_error_describe(VL_PROTOCOL_ERROR_N_CODES));
    ck_assert_ptr_null(vl_protocol_error_describe((VlProtocolError)-1));

    ck_assert(!vl_protocol_error_from_name("", &code));
    ck_assert(!vl_protocol_error_from_name("no_such_error", &code));
    ck_assert(!vl_protocol_error_from_name("TIMEOUT", &code));
    ck_assert(!vl_protocol_error_from_name("timeout ", &code));
    ck_assert(!vl_protocol_error_from_name("time", &code));
    ck_assert_int_eq(code, VL_PROTOCOL_ERROR_FAILED); /* untouched */
}
END_TEST

START_TEST(test_error_quark)
{
    ck_assert_uint_ne(VL_PROTOCOL_ERROR, 0);
    ck_assert_uint_eq(VL_PROTOCOL_ERROR, vl_protocol_error_quark());
    ck_assert_str_eq(g_quark_to_string(VL_PROTOCOL_ERROR), "vl-protocol-error-quark");
}
END_TEST

static Suite *
version_suite(void)
{
    Suite *s = suite_create("version");
    TCase *tc;

    tc = tcase_create("negotiate");
    tcase_add_loop_test(tc, test_negotiate, 0, G_N_ELEMENTS(negotiations));
    tcase_add_test(tc, test_negotiate_long_peer_list);
    tcase_add_test(tc, test_negotiate_hello);
    suite_add_tcase(s, tc);

    tc = tcase_create("nonce");
    tcase_add_test(tc, test_nonce);
    tcase_add_test(tc, test_nonce_in_hello);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_error_names, 0, VL_PROTOCOL_ERROR_N_CODES);
    tcase_add_test(tc, test_error_names_fit_error_message);
    tcase_add_test(tc, test_error_names_out_of_range);
    tcase_add_test(tc, test_error_quark);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(version_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
