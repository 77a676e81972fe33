/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The consoles a single sign-on can log a user in on (issue 7), and the login itself once the
 * system has accepted the credentials. On Linux (linux/sso-console.c) a text console is a
 * terminal such as tty1, ttyS0 or hvc0: the getty on it gives way to a transient systemd unit
 * that runs agetty --autologin for the user, so login(1) and its PAM stack set the session up
 * exactly as at the prompt (pam_systemd registers it with logind, utmp records it); when the
 * user logs out, the getty comes back. The graphical console is the seat's greeter.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Whether the text console exists in the guest below ROOT: a terminal device the kernel made,
 * with hardware behind it for a serial port. */
gboolean vl_sso_console_exists(const char *root, const char *console);

/* Whether logind lists a session of a person on CONSOLE (FALSE with error when it cannot say). */
gboolean vl_sso_console_in_use(GDBusConnection *bus, const char *console, gboolean *ret_in_use,
                               GError **error);

/* Whether seat0 can show a graphical greeter (logind's CanGraphical). */
gboolean vl_sso_console_graphical(GDBusConnection *bus);

/* The transient unit that logs a user in on CONSOLE: "vmlink-sso-CONSOLE.service". */
char *vl_sso_console_unit_name(const char *console);

/*
 * Logs USER in on the text CONSOLE (the credentials already checked) and completes once logind
 * lists the user's session on it, with the session's id, or after TIMEOUT_S with
 * G_IO_ERROR_TIMED_OUT (the login is then stopped and the getty restored). G_IO_ERROR_EXISTS:
 * a single sign-on login runs on that console already. Other errors name what failed.
 */
void vl_sso_console_login_async(GDBusConnection *bus, const char *console, const char *user,
                                guint timeout_s, GAsyncReadyCallback callback, gpointer user_data);
char *vl_sso_console_login_finish(GAsyncResult *result, GError **error);

G_END_DECLS
