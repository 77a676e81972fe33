/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RPM half of the applications collector, built when librpm is found (VL_HAVE_RPM): every
 * package of the RPM database below ctx->root, name, EVR ([epoch:]version-release) and
 * architecture, read-only and without verifying signatures (rpm -qa --nosignature --nodigest).
 *
 * The database is looked for where distributions keep it rather than where this build's rpm
 * configuration says: Debian's librpm points %_dbpath at ~/.rpmdb, which is no guest's package
 * database. gpg-pubkey entries are imported signing keys, not software, and are left out.
 * librpm's configuration and macros are process-wide: they are read once, and %_dbpath is only
 * pushed for the time of one read.
 */
#include "applications.h"

#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmts.h>
#include <stdlib.h>

/* Newest layout first: Fedora 36+ and openSUSE, then everyone else. */
static const char *const rpm_db_paths[] = {"/usr/lib/sysimage/rpm", "/var/lib/rpm", NULL};
/* The files of the sqlite, ndb and Berkeley DB backends: any of them means a database. */
static const char *const rpm_db_files[] = {"rpmdb.sqlite", "Packages.db", "Packages", NULL};

static gboolean
rpm_init(void)
{
    static gsize done = 0;
    static gboolean ok = FALSE;

    if (g_once_init_enter(&done)) {
        /* Errors still reach the journal; warnings about the host's configuration do not. */
        rpmlogSetMask(RPMLOG_UPTO(RPMLOG_ERR));
        ok = rpmReadConfigFiles(NULL, NULL) == 0;
        g_once_init_leave(&done, 1);
    }
    return ok;
}

/* The database folder below root, or NULL when there is none. */
static const char *
find_db(const char *root)
{
    for (const char *const *dir = rpm_db_paths; *dir; dir++) {
        for (const char *const *file = rpm_db_files; *file; file++) {
            g_autofree char *path = g_build_filename(root, *dir, *file, NULL);

            if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
                return *dir;
            }
        }
    }
    return NULL;
}

static void
add_header(VlApplications *apps, Header h)
{
    const char *name = headerGetString(h, RPMTAG_NAME);
    const char *arch = headerGetString(h, RPMTAG_ARCH);
    char *evr;

    if (name == NULL || g_str_equal(name, "gpg-pubkey")) {
        return;
    }
    evr = headerGetAsString(h, RPMTAG_EVR);
    /* An entry out of bounds is skipped, as in dpkg's case. */
    (void)vl_applications_add_version(apps, name, arch, evr);
    free(evr);
}

gboolean
vl_applications_read_rpm(const VlCollectContext *ctx, VlApplications *apps, GError **error)
{
    g_autofree char *below = vl_collect_path(ctx, "/");
    g_autofree char *root = g_canonicalize_filename(below, NULL);
    const char *db = find_db(root);
    rpmts ts;
    rpmdbMatchIterator mi;
    Header h;

    if (db == NULL) {
        return TRUE; /* not an RPM system */
    }
    if (!rpm_init()) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ,
                    "cannot read the rpm configuration");
        return FALSE;
    }
    rpmPushMacro(NULL, "_dbpath", NULL, db, RMIL_CMDLINE);
    ts = rpmtsCreate();
    rpmtsSetRootDir(ts, root);
    rpmtsSetVSFlags(ts, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES | RPMVSF_NOHDRCHK);
    mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
    if (mi == NULL) {
        rpmtsFree(ts);
        rpmPopMacro(NULL, "_dbpath");
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ,
                    "cannot open the RPM database in %s below %s", db, root);
        return FALSE;
    }
    while ((h = rpmdbNextIterator(mi)) != NULL) {
        add_header(apps, h);
    }
    rpmdbFreeIterator(mi);
    rpmtsFree(ts);
    rpmPopMacro(NULL, "_dbpath");
    return TRUE;
}
