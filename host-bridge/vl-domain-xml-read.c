/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading domain XML that libvirt wrote: the device vm.detach_device names, and where QEMU put
 * each guest channel's socket on a running domain. Both go through libvirt-gconfig's device
 * list; a unix channel's path, which it has no getter for, is read from the channel's XML with
 * libxml2.
 */
#include <string.h>

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vl-domain-xml-private.h"
#include "vl-domain-xml.h"
#include "vl-jsonrpc.h"
#include "vl-protocol.h"

static GVirConfigDomain *
domain_parse(const char *domain_xml, GError **error)
{
    g_autoptr(GError) local = NULL;
    GVirConfigDomain *domain = NULL;

    vl_domain_xml_init();
    /* libvirt-gconfig 4.0 crashes on an empty text. */
    if (domain_xml && domain_xml[0]) {
        domain = gvir_config_domain_new_from_xml(domain_xml, &local);
    }
    if (domain == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED, "cannot read the domain XML: %s",
                    local ? local->message : "it is empty");
    }
    return domain;
}

char *
vl_domain_xml_free_disk_target(const char *domain_xml, const char *bus, GError **error)
{
    g_autoptr(GVirConfigDomain) domain = domain_parse(domain_xml, error);
    g_autoptr(GHashTable) used = NULL;
    const char *prefix = bus == NULL || strcmp(bus, "virtio") == 0 ? "vd" : "sd";
    GList *devices;

    if (domain == NULL) {
        return NULL;
    }
    used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    devices = gvir_config_domain_get_devices(domain);
    for (GList *l = devices; l; l = l->next) {
        if (GVIR_CONFIG_IS_DOMAIN_DISK(l->data)) {
            const char *dev =
                gvir_config_domain_disk_get_target_dev(GVIR_CONFIG_DOMAIN_DISK(l->data));

            if (dev) {
                g_hash_table_add(used, g_strdup(dev));
            }
        }
    }
    g_list_free_full(devices, g_object_unref);
    /* A domain has at most a few hundred disks: the search ends long before the names do. */
    for (guint i = 0;; i++) {
        char *name = vl_domain_xml_disk_name(prefix, i);

        if (!g_hash_table_contains(used, name)) {
            return name;
        }
        g_free(name);
    }
}

char *
vl_device_xml_find(const char *domain_xml, const VlJson *device, GError **error)
{
    g_autoptr(GVirConfigDomain) domain = NULL;
    const char *kind, *target = NULL, *mac = NULL;
    GList *devices;
    char *found = NULL;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    kind = vl_domain_xml_device_kind(device, error);
    if (kind == NULL) {
        return NULL;
    }
    if (strcmp(kind, "disk") == 0) {
        target = vl_json_get_string(vl_json_object_get(device, "target"));
        if (target == NULL) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                        "device.target: required to find a disk: its guest name, like vdb");
            return NULL;
        }
    } else {
        mac = vl_json_get_string(vl_json_object_get(device, "mac"));
        if (mac == NULL) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                        "device.mac: required to find a NIC: its MAC address");
            return NULL;
        }
    }
    domain = domain_parse(domain_xml, error);
    if (domain == NULL) {
        return NULL;
    }

    /* libvirt-gconfig lists the NICs it models (network, bridge, user): all vmlink adds. */
    devices = gvir_config_domain_get_devices(domain);
    for (GList *l = devices; l && !found; l = l->next) {
        if (target && GVIR_CONFIG_IS_DOMAIN_DISK(l->data) &&
            g_strcmp0(gvir_config_domain_disk_get_target_dev(l->data), target) == 0) {
            found = gvir_config_object_to_xml(l->data);
        } else if (mac && GVIR_CONFIG_IS_DOMAIN_INTERFACE(l->data)) {
            const char *its = gvir_config_domain_interface_get_mac(l->data);

            if (its && g_ascii_strcasecmp(its, mac) == 0) {
                found = gvir_config_object_to_xml(l->data);
            }
        }
    }
    g_list_free_full(devices, g_object_unref);
    if (found == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_NOT_FOUND, "no %s with %s %s in %s",
                    target ? "disk" : "NIC", target ? "target" : "MAC", target ? target : mac,
                    gvir_config_domain_get_name(domain));
    }
    return found;
}

/* Channels ----------------------------------------------------------------------------------- */

/* A unix channel's source path, which libvirt-gconfig cannot read: from the channel's XML. */
static char *
channel_path(GVirConfigDomainChannel *channel)
{
    g_autofree char *xml = gvir_config_object_to_xml(GVIR_CONFIG_OBJECT(channel));
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    char *path = NULL;

    for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "source")) {
            xmlChar *value = xmlGetProp(n, BAD_CAST "path");

            path = value && value[0] ? g_strdup((const char *)value) : NULL;
            xmlFree(value);
            break;
        }
    }
    xmlFreeDoc(doc);
    return path;
}

gboolean
vl_domain_xml_channels(const char *domain_xml, VlDomainChannels *ret_channels, GError **error)
{
    g_autoptr(GVirConfigDomain) domain = NULL;
    GList *devices;

    g_return_val_if_fail(ret_channels != NULL, FALSE);
    *ret_channels = (VlDomainChannels){0};
    domain = domain_parse(domain_xml, error);
    if (domain == NULL) {
        return FALSE;
    }
    devices = gvir_config_domain_get_devices(domain);
    for (GList *l = devices; l; l = l->next) {
        GVirConfigDomainChannel *channel = l->data;
        const char *name;
        char **slot = NULL;

        if (!GVIR_CONFIG_IS_DOMAIN_CHANNEL(channel) ||
            gvir_config_domain_channel_get_target_type(channel) !=
                GVIR_CONFIG_DOMAIN_CHANNEL_TARGET_VIRTIO) {
            continue;
        }
        name = gvir_config_domain_channel_get_target_name(channel);
        if (g_strcmp0(name, VL_GUEST_PORT_NAME) == 0) {
            slot = &ret_channels->agent_path;
        } else if (g_strcmp0(name, VL_QGA_PORT_NAME) == 0) {
            slot = &ret_channels->qga_path;
        }
        if (slot && *slot == NULL) {
            *slot = channel_path(channel);
        }
    }
    g_list_free_full(devices, g_object_unref);
    return TRUE;
}

void
vl_domain_channels_clear(VlDomainChannels *channels)
{
    if (channels) {
        g_clear_pointer(&channels->agent_path, g_free);
        g_clear_pointer(&channels->qga_path, g_free);
    }
}
