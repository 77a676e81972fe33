/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The credential socket's constants for pam_vmlink.so, which must not pull GLib into the
 * greeters and login programs that load it. They copy ../vl-sso.h (the contract, which includes
 * glib.h); tests/unit/pam-vmlink-test.c checks at compile time that both agree.
 */
#pragma once

#define PAM_VMLINK_SOCKET_PATH "/run/vmlink/sso.sock"
#define PAM_VMLINK_TOKEN_LEN 43 /* base64url of 32 random bytes, no padding */
#define PAM_VMLINK_USER_MAX 256
#define PAM_VMLINK_PASSWORD_MAX 1024
#define PAM_VMLINK_REQUEST_MAX (4 + PAM_VMLINK_TOKEN_LEN + 1)
