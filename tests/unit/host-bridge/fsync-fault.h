/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test program linked with fsync-fault.c has its own fsync(): folder fsyncs fail with EIO
 * while vl_test_fail_folder_fsync is set (a write's last step, after the rename); everything
 * else reaches the kernel.
 */
#pragma once

#include <glib.h>

extern gboolean vl_test_fail_folder_fsync;
