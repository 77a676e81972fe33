/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl-process.h"

#include <check.h>
#include <gio/gio.h>

void
ctl_run_clear(CtlRun *run)
{
    g_free(run->out);
    g_free(run->err);
}

void
ctl_run(CtlRun *run, const char *config_home, const char *connect_env, const char *stdin_text, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    va_list ap;

    va_start(ap, stdin_text);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(args, (gpointer)a);
    }
    va_end(ap);
    g_ptr_array_add(args, NULL);
    ctl_runv(run, config_home, connect_env, stdin_text, (const char *const *)args->pdata);
}

void
ctl_runv(CtlRun *run, const char *config_home, const char *connect_env, const char *stdin_text,
         const char *const *args)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GError) error = NULL;

    g_ptr_array_add(argv, (gpointer)VMLINKCTL_PATH);
    for (const char *const *a = args; *a; a++) {
        g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, NULL);

    g_subprocess_launcher_setenv(launcher, "TZ", "UTC", TRUE);
    g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", config_home, TRUE);
    if (connect_env) {
        g_subprocess_launcher_setenv(launcher, "VMLINK_CONNECT", connect_env, TRUE);
    } else {
        g_subprocess_launcher_unsetenv(launcher, "VMLINK_CONNECT");
    }
    process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
    ck_assert_msg(process != NULL, "%s: %s", VMLINKCTL_PATH, error ? error->message : "?");
    ck_assert_msg(g_subprocess_communicate_utf8(process, stdin_text ? stdin_text : "", NULL,
                                                &run->out, &run->err, &error),
                  "%s", error ? error->message : "?");
    ck_assert_msg(g_subprocess_get_if_exited(process), "vmlinkctl did not exit: stderr %s",
                  run->err);
    run->status = g_subprocess_get_exit_status(process);
}

void
ctl_assert_ran(const CtlRun *run, int status)
{
    ck_assert_msg(run->status == status, "exit %d, expected %d; stdout:\n%s\nstderr:\n%s",
                  run->status, status, run->out, run->err);
}
