/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as a guest's /etc/login.defs, for the normal-user range of single sign-on.
 * The range comes out in order, and either as it went in or with values the text names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl-sso-policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guint32 min = VL_SSO_DEFAULT_UID_MIN;
    guint32 max = VL_SSO_DEFAULT_UID_MAX;

    vl_sso_parse_login_defs((const char *)data, size, &min, &max);
    if (min > max || max == G_MAXUINT32) {
        abort(); /* (uid_t)-1 is no UID */
    }
    if ((min != VL_SSO_DEFAULT_UID_MIN || max != VL_SSO_DEFAULT_UID_MAX) &&
        memmem(data, size, "UID_M", 5) == NULL) {
        abort(); /* a range the text does not set */
    }
    return 0;
}
