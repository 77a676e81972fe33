/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl run as a process (the built binary, VMLINKCTL_PATH), for the tests that check what
 * it prints and its exit code.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    int status; /* exit code */
    char *out;
    char *err;
} CtlRun;

void ctl_run_clear(CtlRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CtlRun, ctl_run_clear)

/*
 * Runs vmlinkctl with the arguments after stdin_text (NULL-terminated), stdin_text (NULL: none)
 * on its standard input, in UTC and the C locale, with $XDG_CONFIG_HOME config_home (where the
 * manager a tls: address opens is made, never in the home of whoever runs the tests) and
 * $VMLINK_CONNECT connect_env (unset when NULL). It must exit.
 */
void ctl_run(CtlRun *run, const char *config_home, const char *connect_env, const char *stdin_text,
             ...) G_GNUC_NULL_TERMINATED;
/* The same with the arguments in a NULL-terminated array, for tests that put them together. */
void ctl_runv(CtlRun *run, const char *config_home, const char *connect_env, const char *stdin_text,
              const char *const *args);

/* Fails unless the run exited with status, showing what it printed. */
void ctl_assert_ran(const CtlRun *run, int status);

G_END_DECLS
