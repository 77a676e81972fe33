/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command table (vl-ctl-commands.c) points at for each command's params
 * (vl-ctl-params.c): its options, and the build functions for what the options cannot say.
 */
#pragma once

#include "vl-ctl.h"

G_BEGIN_DECLS

/* Options of the commands, each ended by {NULL}. */
extern const VlCtlOption vl_ctl_start_options[];
extern const VlCtlOption vl_ctl_shutdown_options[];
extern const VlCtlOption vl_ctl_attach_disk_options[];
extern const VlCtlOption vl_ctl_attach_nic_options[];
extern const VlCtlOption vl_ctl_info_options[];
extern const VlCtlOption vl_ctl_refresh_options[];
extern const VlCtlOption vl_ctl_logoff_options[];
extern const VlCtlOption vl_ctl_guest_shutdown_options[];
extern const VlCtlOption vl_ctl_login_options[];
extern const VlCtlOption vl_ctl_events_options[];
extern const VlCtlOption vl_ctl_take_options[];
extern const VlCtlOption vl_ctl_password_options[];
extern const VlCtlOption vl_ctl_rotate_options[];
extern const VlCtlOption vl_ctl_receive_options[];

/* Build functions (VlCtlBuildFunc). */
gboolean vl_ctl_build_define(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_attach_disk(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_detach_disk(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_attach_nic(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_detach_nic(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_qmp(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_guest_shutdown(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_build_login(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);
gboolean vl_ctl_check_events(const VlCtlArgs *args, VlJsonBuilder *params, GError **error);

G_END_DECLS
