/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A block device's node and udev properties, as libudev reads them (udev-device.h). */
#include "udev-device.h"

#include <string.h>

#define UDEV_DATA_DIR "/run/udev/data"

char *
vl_udev_find(const char *text, const char *prefix, const char *key)
{
    gsize prefix_len = strlen(prefix);
    gsize key_len = strlen(key);

    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        gsize len = end ? (gsize)(end - line) : strlen(line);

        if (len > prefix_len + key_len && strncmp(line, prefix, prefix_len) == 0 &&
            strncmp(line + prefix_len, key, key_len) == 0 && line[prefix_len + key_len] == '=') {
            const char *value = line + prefix_len + key_len + 1;

            /* As UTF-8: the value goes into JSON. */
            return g_utf8_make_valid(value, (gssize)(len - (gsize)(value - line)));
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static char *
read_text(const VlCollectContext *ctx, const char *path)
{
    char *text = NULL;

    if (!vl_collect_read(ctx, path, VL_UDEV_FILE_MAX, &text, NULL, NULL)) {
        return NULL;
    }
    return text;
}

/* The uevent's MAJOR and MINOR: the name of the device's database entry, "bMAJ:MIN". */
static char *
db_name(const char *uevent)
{
    g_autofree char *major = vl_udev_find(uevent, "", "MAJOR");
    g_autofree char *minor = vl_udev_find(uevent, "", "MINOR");
    guint64 a, b;

    if (major == NULL || minor == NULL ||
        !g_ascii_string_to_unsigned(major, 10, 0, G_MAXUINT32, &a, NULL) ||
        !g_ascii_string_to_unsigned(minor, 10, 0, G_MAXUINT32, &b, NULL)) {
        return NULL;
    }
    return g_strdup_printf("b%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, a, b);
}

gboolean
vl_udev_device_load(const VlCollectContext *ctx, const char *syspath, VlUdevDevice *ret)
{
    g_autofree char *uevent_path = NULL;
    g_autofree char *name = NULL;

    *ret = (VlUdevDevice){NULL};
    if (!g_str_has_prefix(syspath, "/sys/")) {
        return FALSE;
    }
    uevent_path = g_build_filename(syspath, "uevent", NULL);
    ret->uevent = read_text(ctx, uevent_path);
    if (ret->uevent == NULL) {
        return FALSE;
    }
    name = db_name(ret->uevent);
    if (name) {
        g_autofree char *db_path = g_build_filename(UDEV_DATA_DIR, name, NULL);

        ret->db = read_text(ctx, db_path);
    }
    return TRUE;
}

void
vl_udev_device_clear(VlUdevDevice *d)
{
    g_clear_pointer(&d->uevent, g_free);
    g_clear_pointer(&d->db, g_free);
}

char *
vl_udev_device_devnode(const VlUdevDevice *d)
{
    g_autofree char *name = vl_udev_find(d->uevent, "", "DEVNAME");

    if (name == NULL || name[0] == '\0') {
        return NULL;
    }
    return name[0] == '/' ? g_steal_pointer(&name) : g_strconcat("/dev/", name, NULL);
}

char *
vl_udev_device_property(const VlUdevDevice *d, const char *key)
{
    char *value = d->db ? vl_udev_find(d->db, "E:", key) : NULL;

    return value ? value : vl_udev_find(d->uevent, "", key);
}
