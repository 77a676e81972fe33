/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every libcheck program of vmlink does in main(): run its suite and exit 0 only when
 * every check passed.
 */
#pragma once

#include <check.h>

/* A suite of one test case, both named name, holding tests (NULL-terminated). */
Suite *vl_check_suite(const char *name, const TTest *const *tests);

/* Runs suite (and frees it); returns the program's exit status. */
int vl_check_run(Suite *suite);
