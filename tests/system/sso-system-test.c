/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System test of single sign-on (issue 7): a Debian guest (TCG) with vmlink-agent, pam_vmlink.so
 * and the vmlink-sso PAM service installed by meson install, vmlinkd on this host under the
 * real libvirtd, and `vmlinkctl guest login` as the manager. The guest's own PAM stack
 * (pam_unix, /etc/shadow) judges the passwords; login(1), pam_systemd and logind make the
 * session on the serial console.
 *
 * A wrong password gets wrong_credentials and no session; a system user, root (with the right
 * password) and a user who does not exist get not_allowed alike; a console outside the policy
 * not_allowed, one the guest lacks no_console; the right password logs the user in on ttyS0,
 * guest info lists the session on that tty and the manager hears of the logon; a second login
 * there is already_logged_in; after logging off, the getty is back. Then every log of the host
 * and of the guest is searched for the password: it is nowhere.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-run.h"
#include "vl-test-util.h"

#define BOOT_TIMEOUT 300
#define SESSION_WAIT_S 10

static VlHarness *harness;
static VlGuest *guest;
static VlBridgeRun *bridge;
static char *password;      /* of vltest, vlsys and root in the guest, made for this run */
static GString *ctl_output; /* everything vmlinkctl printed, to search for the password */

/* A password no log can hold by chance: made for this run. */
static char *
new_password(void)
{
    return g_strdup_printf("Vl-%08x%08x-pw", g_random_int(), g_random_int());
}

/* The SHA-512 crypt hash of the password, made on the host by openssl, so the password itself
 * never enters the guest but through single sign-on. */
static char *
password_hash(void)
{
    const char *argv[] = {"openssl", "passwd", "-6", "-stdin", NULL};
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *input = g_strdup_printf("%s\n", password);
    char *out = NULL;

    p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                          &error);
    ck_assert_msg(p != NULL, "openssl: %s", error ? error->message : "");
    ck_assert(g_subprocess_communicate_utf8(p, input, NULL, &out, NULL, &error));
    ck_assert_msg(g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0,
                  "openssl passwd failed");
    return g_strstrip(out);
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    VlGuestSpec spec = {.image = VL_IMAGE_DEBIAN};

    harness = vl_system_harness();
    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_start(harness, "sso", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");
    bridge = vl_bridge_run_new(NULL);
    vl_bridge_run_start(bridge);
    password = new_password();
    ctl_output = g_string_new(NULL);
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
}

static void
teardown(void)
{
    g_clear_pointer(&bridge, vl_bridge_run_free);
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
    g_clear_pointer(&password, g_free);
    if (ctl_output) {
        g_string_free(g_steal_pointer(&ctl_output), TRUE);
    }
}

/* Helpers ------------------------------------------------------------------------------------ */

/*
 * `vmlinkctl --json guest login VM USER [--console CONSOLE]` with the password on its standard
 * input; returns the agent's reply and sets *ret_status to vmlinkctl's exit status.
 */
static VlJson *
ctl_login(const char *user, const char *console, const char *with_password, int *ret_status)
{
    g_autofree char *connect = g_strdup_printf("unix:%s", bridge->control_path);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *input = g_strdup_printf("%s\n", with_password);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    VlJson *result;

    g_ptr_array_add(argv, (gpointer)g_getenv("VL_VMLINKCTL"));
    g_ptr_array_add(argv, "--connect");
    g_ptr_array_add(argv, connect);
    g_ptr_array_add(argv, "--json");
    g_ptr_array_add(argv, "guest");
    g_ptr_array_add(argv, "login");
    g_ptr_array_add(argv, (gpointer)vl_guest_name(guest));
    g_ptr_array_add(argv, (gpointer)user);
    if (console) {
        g_ptr_array_add(argv, "--console");
        g_ptr_array_add(argv, (gpointer)console);
    }
    g_ptr_array_add(argv, NULL);
    ck_assert_msg(argv->pdata[0] != NULL, "VL_VMLINKCTL names vmlinkctl");
    p = g_subprocess_newv((const char *const *)argv->pdata,
                          G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          &error);
    ck_assert_msg(p != NULL, "vmlinkctl: %s", error ? error->message : "");
    ck_assert(g_subprocess_communicate_utf8(p, input, NULL, &out, &err, &error));
    ck_assert(g_subprocess_get_if_exited(p));
    *ret_status = g_subprocess_get_exit_status(p);
    g_string_append_printf(ctl_output, "%s\n%s\n", out, err);
    result = vl_json_parse(out, strlen(out), &error);
    ck_assert_msg(result != NULL, "vmlinkctl printed no JSON (exit %d): %s %s", *ret_status, out,
                  err);
    printf("vmlinkctl guest login %s%s%s: exit %d, %s", user, console ? " --console " : "",
           console ? console : "", *ret_status, out);
    return result;
}

static const char *
reply_member(const VlJson *result, const char *name)
{
    return vl_json_get_string(vl_json_object_get(vl_json_object_get(result, "reply"), name));
}

/* Logs in and checks the outcome and the exit status that goes with it. */
static VlJson *
login_expect(const char *user, const char *console, const char *with_password, const char *outcome)
{
    int status = -1;
    VlJson *result = ctl_login(user, console, with_password, &status);
    gboolean success = g_str_equal(outcome, "logged_in");

    ck_assert_msg(g_strcmp0(reply_member(result, "outcome"), outcome) == 0,
                  "login of %s: outcome %s, expected %s", user, reply_member(result, "outcome"),
                  outcome);
    ck_assert_int_eq(status, success ? 0 : 1);
    return result;
}

/* The session of user on tty that guest info lists, or NULL. */
static char *
listed_session(VlClient *c, const char *user, const char *tty)
{
    g_autoptr(VlJson) params = vl_bridge_vm_params(vl_guest_name(guest));
    g_autoptr(VlJson) info = vl_bridge_call_ok(c, "guest.info", params);
    const VlJson *users = vl_json_object_get(vl_json_object_get(info, "sections"), "users");

    for (guint i = 0; i < vl_json_array_length(users); i++) {
        const VlJson *u = vl_json_array_get(users, i);

        if (g_strcmp0(vl_json_get_string(vl_json_object_get(u, "name")), user) == 0 &&
            g_strcmp0(vl_json_get_string(vl_json_object_get(u, "tty")), tty) == 0) {
            return g_strdup(vl_json_get_string(vl_json_object_get(u, "session")));
        }
    }
    return NULL;
}

/* The next guest.event of our guest named name, skipping all else. */
static VlJson *
wait_guest_event(VlClient *c, const char *name)
{
    gint64 end = g_get_monotonic_time() + (gint64)VL_BRIDGE_RUN_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlJson *event = vl_client_next_event(c, VL_BRIDGE_RUN_WAIT_MS, &error);
        const VlJson *data;

        ck_assert_msg(event != NULL, "no %s event: %s", name, error ? error->message : "");
        data = vl_json_object_get(event, "data");
        if (g_strcmp0(vl_json_get_string(vl_json_object_get(event, "event")), "guest.event") == 0 &&
            g_strcmp0(vl_json_get_string(vl_json_object_get(event, "vm")), vl_guest_name(guest)) ==
                0 &&
            g_strcmp0(vl_json_get_string(vl_json_object_get(data, "event")), name) == 0) {
            return event;
        }
        vl_json_unref(event);
        ck_assert_msg(g_get_monotonic_time() < end, "no %s event in time", name);
    }
}

/* Fails if text holds the password; what names where it was searched. */
static void
assert_no_password(const char *what, const char *text)
{
    ck_assert_msg(text != NULL, "%s could not be read", what);
    ck_assert_msg(strstr(text, password) == NULL, "the password is in %s", what);
    printf("the password is not in %s (%zu bytes searched)\n", what, strlen(text));
}

static void
assert_file_has_no_password(const char *what, const char *path)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s: %s", path,
                  error ? error->message : "");
    assert_no_password(what, text);
}

/* The test ----------------------------------------------------------------------------------- */

START_TEST(test_console_single_sign_on)
{
    g_autoptr(VlClient) c = vl_bridge_run_client(bridge);
    g_autoptr(VlClient) events = vl_bridge_run_client(bridge);
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJson) logged_in = NULL;
    g_autoptr(VlJson) logon = NULL;
    g_autoptr(VlJson) logoff_params = NULL;
    g_autoptr(VlJson) logoff = NULL;
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *hash = password_hash();

    vl_json_unref(vl_bridge_wait_info(c, guest, NULL));
    g_autofree char *command = NULL;
    g_autofree char *out = NULL;
    g_autofree char *wrong = g_strdup_printf("%sx", password);
    g_autofree char *session = NULL;
    g_autofree char *listed = NULL;
    g_autofree char *journal = NULL;
    gint64 end;

    /* The guest's accounts: the normal user vltest, a system user vlsys, root; one password. */
    command = g_strdup_printf("useradd --system --shell /bin/bash vlsys && "
                              "for u in vltest vlsys root; do usermod -p '%s' $u || exit 1; done",
                              hash);
    g_free(vl_guest_run_ok(guest, command));
    out = vl_guest_run_ok(guest, "systemctl is-active serial-getty@ttyS0.service");
    ck_assert_str_eq(out, "active");
    g_clear_pointer(&out, g_free);

    /* Refusals first: none of them may leave a session behind. */
    vl_json_unref(login_expect("vltest", "ttyS0", wrong, "wrong_credentials"));
    vl_json_unref(login_expect("vlsys", "ttyS0", password, "not_allowed"));
    vl_json_unref(login_expect("root", "ttyS0", password, "not_allowed"));
    vl_json_unref(login_expect("vl-nobody-here", "ttyS0", password, "not_allowed"));
    vl_json_unref(login_expect("vltest", "tty5", password, "not_allowed"));
    vl_json_unref(login_expect("vltest", "hvc0", password, "no_console"));
    listed = listed_session(c, "vltest", "ttyS0");
    ck_assert_msg(listed == NULL, "a refused login left session %s", listed);
    out = vl_guest_run_ok(guest, "loginctl list-sessions --no-legend | grep -c vltest || true");
    ck_assert_str_eq(out, "0");
    g_clear_pointer(&out, g_free);

    /* The right password: a session on the serial console, which the manager sees. */
    subscribed = vl_bridge_call_ok(events, "events.subscribe", NULL);
    vl_guest_mark_console(guest);
    logged_in = login_expect("vltest", "ttyS0", password, "logged_in");
    ck_assert_str_eq(reply_member(logged_in, "console"), "ttyS0");
    session = g_strdup(reply_member(logged_in, "session"));
    ck_assert_ptr_nonnull(session);
    end = g_get_monotonic_time() + SESSION_WAIT_S * G_USEC_PER_SEC;
    while ((listed = listed_session(c, "vltest", "ttyS0")) == NULL) {
        ck_assert_msg(g_get_monotonic_time() < end,
                      "guest info lists no session of vltest on ttyS0 %d s after the login",
                      SESSION_WAIT_S);
        g_usleep(200000);
    }
    ck_assert_str_eq(listed, session);
    printf("%s: vltest logged in on ttyS0, session %s, listed in guest info\n",
           vl_guest_name(guest), session);
    logon = wait_guest_event(events, "session_logon");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(
                         vl_json_object_get(vl_json_object_get(logon, "data"), "data"), "user")),
                     "vltest");
    command = (g_free(command), g_strdup_printf("loginctl show-session %s -p Name -p TTY -p "
                                                "Class --value",
                                                session));
    out = vl_guest_run_ok(guest, command);
    ck_assert_str_eq(out, "vltest\nttyS0\nuser");
    g_clear_pointer(&out, g_free);
    ck_assert_msg(vl_guest_wait_console(guest, "vltest@debian-guest", 60, &error),
                  "no shell prompt of vltest on the serial console: %s",
                  error ? error->message : "");

    /* The console is taken now. */
    vl_json_unref(login_expect("vltest", "ttyS0", password, "already_logged_in"));

    /* Logging off ends the session, and the console's getty comes back. */
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vl_guest_name(guest));
    vl_json_builder_member(b, "session");
    vl_json_builder_add_string(b, session);
    vl_json_builder_end_object(b);
    logoff_params = vl_json_builder_finish(b);
    logoff = vl_bridge_call_ok(c, "guest.logoff", logoff_params);
    end = g_get_monotonic_time() + (gint64)VL_BRIDGE_RUN_WAIT_MS * 1000;
    for (;;) {
        g_autofree char *still = listed_session(c, "vltest", "ttyS0");
        g_autofree char *getty =
            vl_guest_run_ok(guest, "systemctl is-active serial-getty@ttyS0.service || true");

        if (still == NULL && g_str_equal(getty, "active")) {
            break;
        }
        ck_assert_msg(g_get_monotonic_time() < end,
                      "after logging off: session %s, serial-getty@ttyS0 %s", still, getty);
        g_usleep(500000);
    }
    printf("%s: logged off; serial-getty@ttyS0 runs again\n", vl_guest_name(guest));

    /* The password is in no log of the host or of the guest. */
    journal = vl_guest_run_ok(guest, "journalctl -b --no-pager -o verbose");
    assert_no_password("the guest's journal", journal);
    g_clear_pointer(&out, g_free);
    out = vl_guest_run_ok(guest, "cat /var/log/*.log /var/log/auth* /run/log/* 2>/dev/null; true");
    assert_no_password("the guest's /var/log", out);
    assert_file_has_no_password("the guest's serial console", vl_guest_console_path(guest));
    {
        g_autofree char *qemu_log =
            g_strdup_printf("/var/log/libvirt/qemu/%s.log", vl_guest_name(guest));
        const char *daemon_log = "/var/log/libvirt/libvirtd-vmlink.log";

        assert_file_has_no_password("libvirt's log of the domain", qemu_log);
        if (g_file_test(daemon_log, G_FILE_TEST_EXISTS)) { /* when the harness started it */
            assert_file_has_no_password("libvirtd's log", daemon_log);
        }
    }
    vl_bridge_run_stop(bridge);
    assert_file_has_no_password("vmlinkd's log", bridge->log_path);
    assert_file_has_no_password("vmlinkd's audit log", bridge->audit_path);
    assert_no_password("vmlinkctl's output", ctl_output->str);
    {
        g_autofree char *audit = NULL;

        /* The audit log does record the logins, without the password. */
        ck_assert(g_file_get_contents(bridge->audit_path, &audit, NULL, NULL));
        ck_assert_msg(strstr(audit, "guest.login") != NULL, "guest.login is not audited");
        ck_assert_msg(strstr(audit, ", user vltest") != NULL, "the audit does not name the user");
    }
}
END_TEST

int
main(void)
{
    return vl_system_test_main("sso-system", setup, teardown, test_console_single_sign_on);
}
