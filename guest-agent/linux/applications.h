/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applications section on Linux: every installed package with its version, from the dpkg
 * database (and the RPM database when built with librpm, in applications-rpm.c).
 *
 * The dpkg parser is a push parser with no I/O: it takes the bytes of a status file in chunks
 * of any size and keeps only what the section needs, so memory stays bounded by the number of
 * installed packages (at most VL_APPLICATIONS_MAX), not by the size of the file or its lines.
 * The collector and the fuzzer drive the same functions.
 *
 * What counts as installed, and how names are written:
 * - a stanza counts when its Status is "<want> ok <state>" with state installed,
 *   triggers-awaited or triggers-pending (dpkg itself treats the last two as installed, and they
 *   appear during every upgrade), whatever the want flag: "deinstall ok installed" is a package
 *   selected for removal whose files are all still there. Every other state (not-installed,
 *   config-files, half-installed, unpacked, half-configured) and every other error flag
 *   (reinstreq) leaves the package out.
 * - the name is the Package field; ":<arch>" is appended only when the same name is installed
 *   for several architectures (libc6:amd64 and libc6:i386), so the common case reads like
 *   `dpkg-query -W` with ${Package}.
 * - a stanza for a name and architecture already seen replaces it: that is how dpkg applies its
 *   journal (var/lib/dpkg/updates/NNNN) on top of the status file, and a later stanza that is
 *   not installed removes the package again.
 * - stanzas that break the rules are skipped: a Package or Architecture that dpkg would refuse,
 *   a name or version over VL_APPLICATION_FIELD_MAX bytes or with bytes outside printable ASCII,
 *   one of those fields given twice or continued on another line, a line that is neither a
 *   field nor a continuation. A missing Version leaves the package in, without a version.
 */
#pragma once

#include <glib.h>

#include "vl-collector.h"
#include "vl-json.h"

G_BEGIN_DECLS

#define VL_APPLICATIONS_MAX 100000   /* entries in the section, per the catalogue */
#define VL_APPLICATION_FIELD_MAX 256 /* bytes in a name or a version, per the catalogue */
#define VL_APPLICATION_ARCH_MAX 64   /* bytes in an architecture name */

typedef struct _VlApplications VlApplications;

VlApplications *vl_applications_new(void);
void vl_applications_free(VlApplications *apps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlApplications, vl_applications_free)

/* Feeds the next len bytes of a dpkg status file; the chunks may split lines anywhere. */
void vl_applications_feed_dpkg(VlApplications *apps, const char *data, gsize len);

/* Ends the file being fed: its last line and stanza count without a newline after them. */
void vl_applications_end_dpkg(VlApplications *apps);

/*
 * Records one installed package (arch and version may be NULL), replacing an earlier one of
 * the same name and architecture, as dpkg has one package per name and architecture. FALSE when
 * a field is out of bounds (printable ASCII, no spaces, no ':' in name or arch) or the list is
 * full.
 */
gboolean vl_applications_add(VlApplications *apps, const char *name, const char *arch,
                             const char *version);

/*
 * The same, but an entry of another version stays beside it: RPM installs several versions of
 * install-only packages (kernel-core), and each is reported, sorted by version.
 */
gboolean vl_applications_add_version(VlApplications *apps, const char *name, const char *arch,
                                     const char *version);

guint vl_applications_count(const VlApplications *apps);

/* Writes the section's value: an array of {name, version}, sorted by name (byte order), then
 * by version. */
void vl_applications_write(const VlApplications *apps, VlJsonBuilder *b);

/*
 * Adds the packages of the RPM database below ctx->root (applications-rpm.c), wherever the
 * distribution keeps it (/usr/lib/sysimage/rpm, /var/lib/rpm); no database there is not an
 * error. Without librpm at build time there is no RPM database to read and this does nothing.
 */
#ifdef VL_HAVE_RPM
#define VL_APPLICATIONS_WITH_RPM TRUE
gboolean vl_applications_read_rpm(const VlCollectContext *ctx, VlApplications *apps,
                                  GError **error);
#else
#define VL_APPLICATIONS_WITH_RPM FALSE
static inline gboolean
vl_applications_read_rpm(const VlCollectContext *ctx, VlApplications *apps, GError **error)
{
    return TRUE;
}
#endif

/* Whether this build reads the RPM database: VL_APPLICATIONS_WITH_RPM as the library saw it. */
extern const gboolean vl_applications_with_rpm;

G_END_DECLS
