/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by vl-ownership.c (the state) and vl-ownership-access.c (the checks): the owner
 * certificates already verified against the pin under the current generation, so that each
 * call of an owner's connection (the same X509 object, held by its connection) is not checked
 * against the pin's PEM again. Forgotten whenever the owner, its pin or the state changes.
 */
#pragma once

#include "vl-ownership.h"

G_BEGIN_DECLS

/* Whether cert (this very object) passed the pin check in this generation and is not expired. */
gboolean vl_ownership_verified(VlOwnership *ownership, X509 *cert);
/* Remembers that cert passed the pin check (a reference is taken). */
void vl_ownership_remember_verified(VlOwnership *ownership, X509 *cert);

G_END_DECLS
