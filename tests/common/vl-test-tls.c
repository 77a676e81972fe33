/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-test-tls.h"

#include <check.h>

VlTlsIdentity *
vl_test_identity(const char *root, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_build_filename(root, name, NULL);
    VlTlsIdentity *id = vl_tls_identity_load_or_create(dir, name, 30, &error);

    ck_assert_msg(id != NULL, "%s", error ? error->message : "");
    return id;
}
