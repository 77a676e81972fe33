/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as the "spec" of vm.define and as the "device" of vm.attach_device, the
 * way vmlinkd takes them: strict JSON check, parse, the catalogue's fields, then domain or
 * device XML. Objects the catalogue refuses are built too, as a caller that skipped it would:
 * nothing may crash either way.
 *
 * What is written must read back: libvirt-gconfig parses the domain, with the spec's name, both
 * guest channels and disk targets that are all different (each found again by
 * vl_device_xml_find); device XML is one disk or interface element. A refusal is always
 * VL_CALL_ERROR / VL_RPC_INVALID_PARAMS naming the member, and never, for what the catalogue
 * accepted, one of the members the catalogue checks completely (bounds and choices): the two
 * must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>

#include "vl-domain-xml.h"
#include "vl-protocol.h"

#define FUZZ_MAX_INPUT 65536
#define FUZZ_MAX_DEPTH 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The field list of an object member of a method's params. */
static const VlField *
params_fields(const char *method, const char *member)
{
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, method, VL_SENDER_CLIENT);

    for (const VlField *f = entry ? entry->fields : NULL; f && f->name; f++) {
        if (strcmp(f->name, member) == 0) {
            return f->fields;
        }
    }
    abort(); /* the catalogue lost the member */
}

/*
 * Members whose every rule is the catalogue's: what it accepts there must be built. (Not bus:
 * a cdrom cannot be on virtio, which the catalogue does not know.)
 */
static const char *const catalogue_members[] = {
    "spec.memory_mib:", "spec.vcpus:", "spec.accel:",  ".format:",
    ".device:",         ".model:",     "device.kind:", NULL,
};

static void
check_refusal(const GError *error, const char *member, gboolean catalogue_ok)
{
    if (error == NULL || error->domain != VL_CALL_ERROR || error->code != VL_RPC_INVALID_PARAMS ||
        !g_str_has_prefix(error->message, member)) {
        abort();
    }
    for (guint i = 0; catalogue_ok && catalogue_members[i]; i++) {
        if (strstr(error->message, catalogue_members[i])) {
            abort();
        }
    }
}

/* A channel of the domain named port, virtio, exactly once. */
static void
check_channel(GList *devices, const char *port)
{
    guint n = 0;

    for (GList *l = devices; l; l = l->next) {
        if (GVIR_CONFIG_IS_DOMAIN_CHANNEL(l->data) &&
            g_strcmp0(gvir_config_domain_channel_get_target_name(l->data), port) == 0 &&
            gvir_config_domain_channel_get_target_type(l->data) ==
                GVIR_CONFIG_DOMAIN_CHANNEL_TARGET_VIRTIO) {
            n++;
        }
    }
    if (n != 1) {
        abort();
    }
}

static void
check_domain(const VlJson *spec, const char *xml)
{
    GVirConfigDomain *domain = gvir_config_domain_new_from_xml(xml, NULL);
    g_autoptr(GHashTable) targets = g_hash_table_new(g_str_hash, g_str_equal);
    VlDomainChannels channels;
    GList *devices;

    if (domain == NULL || g_strcmp0(gvir_config_domain_get_name(domain),
                                    vl_json_get_string(vl_json_object_get(spec, "name"))) != 0) {
        abort();
    }
    devices = gvir_config_domain_get_devices(domain);
    check_channel(devices, VL_GUEST_PORT_NAME);
    check_channel(devices, VL_QGA_PORT_NAME);
    for (GList *l = devices; l; l = l->next) {
        const char *target;
        g_autoptr(VlJsonBuilder) b = NULL;
        g_autoptr(VlJson) device = NULL;
        g_autofree char *found = NULL;

        if (!GVIR_CONFIG_IS_DOMAIN_DISK(l->data)) {
            continue;
        }
        target = gvir_config_domain_disk_get_target_dev(l->data);
        if (target == NULL || !g_hash_table_add(targets, (gpointer)target)) {
            abort(); /* no target, or one given twice */
        }
        b = vl_json_builder_new();
        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "kind");
        vl_json_builder_add_string(b, "disk");
        vl_json_builder_member(b, "target");
        vl_json_builder_add_string(b, target);
        vl_json_builder_end_object(b);
        device = vl_json_builder_finish(b);
        found = vl_device_xml_find(xml, device, NULL);
        if (found == NULL) {
            abort();
        }
    }
    /* As defined, the channels have no socket yet. */
    if (!vl_domain_xml_channels(xml, &channels, NULL) || channels.agent_path || channels.qga_path) {
        abort();
    }
    g_list_free_full(devices, g_object_unref);
    g_object_unref(domain);
}

static void
check_spec(const VlJson *spec, gboolean catalogue_ok)
{
    static const VlDomainXmlOptions options = {.default_accel = "tcg"};
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = vl_domain_xml_from_spec(spec, &options, &error);

    if (xml) {
        check_domain(spec, xml);
    } else {
        check_refusal(error, "spec", catalogue_ok);
    }
}

static void
check_device(const VlJson *device, gboolean catalogue_ok)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = vl_device_xml_from_json(device, &error);
    xmlDocPtr doc;
    xmlNodePtr root;

    if (xml == NULL) {
        check_refusal(error, "device", catalogue_ok);
        return;
    }
    doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL || (!xmlStrEqual(root->name, BAD_CAST "disk") &&
                         !xmlStrEqual(root->name, BAD_CAST "interface"))) {
        abort();
    }
    xmlFreeDoc(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    g_autoptr(VlJson) input = NULL;

    if (size > FUZZ_MAX_INPUT || !vl_json_check(text, size, FUZZ_MAX_DEPTH, NULL)) {
        return 0;
    }
    input = vl_json_parse(text, size, NULL);
    if (input == NULL) {
        abort(); /* the strict checker accepted what the parser refuses */
    }
    /* vmlinkd builds only what the catalogue accepts; the rest is built too, and must not crash. */
    check_spec(input, vl_fields_validate(params_fields("vm.define", "spec"), input, "spec", NULL));
    check_device(input, vl_fields_validate(params_fields("vm.attach_device", "device"), input,
                                           "device", NULL));
    return 0;
}
