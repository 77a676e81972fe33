/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU guest agent protocol's requests and answers (vl-qga): every error class and
 * description as qemu-ga 7.2 gives it (recorded from Debian's qemu-ga 7.2 on this machine's
 * kind), the id echoed, the encoders.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-qga.h"

/* Checks TEXT; returns "OK" and the command's name, or the class and description. */
static char *
check(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) message = vl_json_parse(text, strlen(text), &error);
    g_autofree char *desc = NULL;
    const char *klass = NULL;
    VlQgaRequest request;

    ck_assert_msg(message != NULL, "%s: %s", text, error ? error->message : "");
    if (vl_qga_request_check(message, &request, &klass, &desc)) {
        return g_strdup_printf("OK %s", request.command->name);
    }
    return g_strdup_printf("%s: %s", klass, desc);
}

static void
assert_check(const char *text, const char *expected)
{
    g_autofree char *got = check(text);

    ck_assert_msg(g_str_equal(got, expected), "%s: %s, not %s", text, got, expected);
}

START_TEST(test_requests)
{
    assert_check("{\"execute\":\"guest-ping\"}", "OK guest-ping");
    assert_check("{\"execute\":\"guest-ping\",\"id\":{\"a\":[1]},\"arguments\":{}}",
                 "OK guest-ping");
    assert_check("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":-1}}", "OK guest-sync");
    assert_check("{\"execute\":\"guest-shutdown\"}", "OK guest-shutdown");
    assert_check("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"reboot\"}}",
                 "OK guest-shutdown");
}
END_TEST

/* Word for word what qemu-ga answers. */
START_TEST(test_errors_as_qemu_ga)
{
    assert_check("[1,2]", "GenericError: QMP input must be a JSON object");
    assert_check("\"hello\"", "GenericError: QMP input must be a JSON object");
    assert_check("{}", "GenericError: QMP input lacks member 'execute'");
    assert_check("{\"arguments\":{}}", "GenericError: QMP input lacks member 'execute'");
    assert_check("{\"foo\":1}", "GenericError: QMP input member 'foo' is unexpected");
    assert_check("{\"exec-oob\":\"guest-ping\"}",
                 "GenericError: QMP input member 'exec-oob' is unexpected");
    assert_check("{\"execute\":1}", "GenericError: QMP input member 'execute' must be a string");
    assert_check("{\"execute\":\"guest-ping\",\"arguments\":[]}",
                 "GenericError: QMP input member 'arguments' must be an object");
    assert_check("{\"execute\":\"guest-ping\",\"arguments\":null}",
                 "GenericError: QMP input member 'arguments' must be an object");
    assert_check("{\"execute\":\"guest-foo\"}",
                 "CommandNotFound: The command guest-foo has not been found");
    assert_check("{\"execute\":\"guest-ping\",\"arguments\":{\"x\":1}}",
                 "GenericError: Parameter 'x' is unexpected");
    assert_check("{\"execute\":\"guest-sync\"}", "GenericError: Parameter 'id' is missing");
    assert_check("{\"execute\":\"guest-sync\",\"arguments\":{\"x\":2}}",
                 "GenericError: Parameter 'id' is missing");
    assert_check("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1,\"x\":2}}",
                 "GenericError: Parameter 'x' is unexpected");
    assert_check("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"a\"}}",
                 "GenericError: Invalid parameter type for 'id', expected: integer");
    assert_check("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1.5}}",
                 "GenericError: Invalid parameter type for 'id', expected: integer");
    assert_check("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":1}}",
                 "GenericError: Invalid parameter type for 'mode', expected: string");
}
END_TEST

START_TEST(test_id_kept_on_errors)
{
    g_autoptr(VlJson) message =
        vl_json_parse("{\"id\":5,\"foo\":1}", strlen("{\"id\":5,\"foo\":1}"), NULL);
    g_autofree char *desc = NULL;
    const char *klass = NULL;
    VlQgaRequest request;

    ck_assert(!vl_qga_request_check(message, &request, &klass, &desc));
    ck_assert_int_eq(vl_json_get_int(request.id), 5);
}
END_TEST

START_TEST(test_encoders)
{
    g_autoptr(VlJson) id = vl_json_parse("\"c1\"", 4, NULL);
    g_autoptr(VlJson) value = vl_json_parse("{\"host-name\":\"vm\"}", 18, NULL);
    g_autoptr(GString) ret = vl_qga_encode_return(value, id);
    g_autoptr(GString) bare = vl_qga_encode_return(value, NULL);
    g_autoptr(GString) err =
        vl_qga_encode_error("CommandNotFound", "The command x has not been found", id);

    ck_assert_str_eq(ret->str, "{\"return\":{\"host-name\":\"vm\"},\"id\":\"c1\"}\n");
    ck_assert_str_eq(bare->str, "{\"return\":{\"host-name\":\"vm\"}}\n");
    ck_assert_str_eq(err->str, "{\"id\":\"c1\",\"error\":{\"class\":\"CommandNotFound\",\"desc\":"
                               "\"The command x has not been found\"}}\n");
}
END_TEST

START_TEST(test_table)
{
    ck_assert_ptr_nonnull(vl_qga_command_lookup("guest-sync-delimited"));
    ck_assert_ptr_null(vl_qga_command_lookup("guest-exec"));
    ck_assert_ptr_null(vl_qga_command_lookup(NULL));
    ck_assert(!vl_qga_command_lookup("guest-shutdown")->success_response);
    ck_assert(vl_qga_command_lookup("guest-ping")->success_response);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_requests, test_errors_as_qemu_ga, test_id_kept_on_errors, test_encoders, test_table,
        NULL,
    };

    return vl_check_run(vl_check_suite("qga", tests));
}
