/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what guest-get-fsinfo and guest-get-disks parse of the guest's sysfs and udev
 * database. A device's sysfs path through the address parser (guest-agent/linux/disk-address.c)
 * with drivers and host adapters the input chooses, and text as a uevent and a udev database
 * entry through their readers (guest-agent/linux/udev-device.c).
 *
 * Input: a byte choosing the drivers, a byte choosing the host adapters, the path up to the
 * first newline, then the text. The address written must be JSON that parses again; values
 * read from the text must be UTF-8 of one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/disk-address.h"
#include "linux/udev-device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    guint8 driver_seed;
    guint8 host_seed;
} Choice;

static char *
driver(const char *syspath, gsize len, gpointer user_data)
{
    static const char *const names[] = {"virtio-pci", "ahci",  "ata_piix", "sym53c8xx",
                                        "nvme",       "e1000", "pcieport", NULL};
    const Choice *c = user_data;

    return g_strdup(names[(c->driver_seed + len) % G_N_ELEMENTS(names)]);
}

static int
hosts(const char *syspath, gsize len, gboolean ata, guint *ret, guint max, gpointer user_data)
{
    const Choice *c = user_data;
    guint n = c->host_seed % 10;

    if (n == 9) {
        return -1; /* the folder cannot be read */
    }
    for (guint i = 0; i < n && i < max; i++) {
        ret[i] = (c->host_seed * 31u + (guint)len + i * 7u) % 12u;
    }
    return (int)MIN(n, max);
}

static void
check_value(char *value)
{
    if (value && (!g_utf8_validate(value, -1, NULL) || strchr(value, '\n'))) {
        abort(); /* a value that is not one line of UTF-8 */
    }
    g_free(value);
}

static void
check_address(const char *syspath, Choice *choice)
{
    const VlDiskLookup lookup = {driver, hosts, choice};
    g_autoptr(VlDiskAddress) a = vl_disk_address_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) value = NULL;
    g_autoptr(VlJson) again = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;

    vl_disk_address_parse(syspath, &lookup, a);
    vl_disk_address_write(a, b);
    value = vl_json_builder_finish(b);
    text = vl_json_to_string(value, &len);
    again = vl_json_parse(text, len, NULL);
    if (again == NULL || vl_json_object_get(again, "bus-type") == NULL) {
        abort(); /* the address is not the JSON it should be */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Choice choice;
    const char *text;
    const char *nl;
    g_autofree char *syspath = NULL;
    g_autofree char *rest = NULL;
    VlUdevDevice device;

    if (size < 2) {
        return 0;
    }
    choice.driver_seed = data[0];
    choice.host_seed = data[1];
    text = (const char *)data + 2;
    size -= 2;
    nl = memchr(text, '\n', size);
    syspath = g_strndup(text, nl ? (gsize)(nl - text) : size);
    rest = nl ? g_strndup(nl + 1, size - (gsize)(nl + 1 - text)) : g_strdup("");
    check_address(syspath, &choice);

    device = (VlUdevDevice){rest, rest};
    check_value(vl_udev_device_devnode(&device));
    check_value(vl_udev_device_property(&device, "ID_SERIAL"));
    check_value(vl_udev_device_property(&device, "DM_NAME"));
    check_value(vl_udev_find(rest, "", "MAJOR"));
    return 0;
}
