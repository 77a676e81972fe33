/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what a guest's QEMU guest agent makes libvirt hand vmlinkd (issue 8), turned into
 * guest.info's sections (vl-qga-info). The input is lines "KEY=VALUE" of typed parameters, as
 * virDomainGetGuestInfo returns them (a value of digits, optionally signed, is a number: a
 * 64-bit unsigned, int or long long by its first character; anything else a string, any bytes),
 * then after a line "--" the JSON of guest-get-vcpus' and guest-get-load's return values, one
 * per line. Every section that comes out passes the catalogue, and its JSON text parses back.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl-catalogue.h"
#include "vl-qga-info.h"

#define MAX_PARAMS 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
add_param(virTypedParameterPtr *params, int *n, int *max, const char *line)
{
    const char *eq = strchr(line, '=');
    g_autofree char *key = NULL;
    const char *value;
    char *end = NULL;

    if (eq == NULL || eq == line || *n >= MAX_PARAMS) {
        return;
    }
    key = g_strndup(line, (gsize)(eq - line));
    value = eq + 1;
    if (strlen(key) >= VIR_TYPED_PARAM_FIELD_LENGTH) {
        return;
    }
    if (value[0] == 'U' && value[1]) {
        unsigned long long v = g_ascii_strtoull(value + 1, &end, 10);

        if (*end == '\0') {
            virTypedParamsAddULLong(params, n, max, key, v);
            return;
        }
    } else if (value[0] == 'I' && value[1]) {
        gint64 v = g_ascii_strtoll(value + 1, &end, 10);

        if (*end == '\0' && v >= G_MININT && v <= G_MAXINT) {
            virTypedParamsAddInt(params, n, max, key, (int)v);
            return;
        }
    } else if (value[0] == 'L' && value[1]) {
        gint64 v = g_ascii_strtoll(value + 1, &end, 10);

        if (*end == '\0') {
            virTypedParamsAddLLong(params, n, max, key, v);
            return;
        }
    }
    virTypedParamsAddString(params, n, max, key, value);
    virResetLastError();
}

static VlJson *
parse_or_null(const char *line)
{
    return line ? vl_json_parse(line, strlen(line), NULL) : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gboolean initialised;
    g_autofree char *text = g_strndup((const char *)data, size); /* stops at a NUL */
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    virTypedParameterPtr params = NULL;
    int n = 0, max = 0;
    guint i = 0;
    g_autoptr(VlJson) vcpus = NULL;
    g_autoptr(VlJson) load = NULL;
    g_autoptr(VlJson) sections = NULL;
    g_autofree char *json = NULL;
    g_autoptr(VlJson) again = NULL;

    if (!initialised) {
        if (virInitialize() < 0) {
            abort();
        }
        initialised = TRUE;
    }
    for (; lines[i] && !g_str_equal(lines[i], "--"); i++) {
        add_param(&params, &n, &max, lines[i]);
    }
    if (lines[i]) {
        vcpus = parse_or_null(lines[++i]);
        load = parse_or_null(lines[i] ? lines[++i] : NULL);
    }
    sections = vl_qga_info_sections(
        &(VlQgaInfo){.params = params, .n_params = n, .vcpus = vcpus, .load = load}, NULL);
    for (guint s = 0; vl_report_sections[s]; s++) {
        const VlJson *value = vl_json_object_get(sections, vl_report_sections[s]);

        if (value && !vl_report_validate_section(vl_report_sections[s], value, NULL)) {
            abort();
        }
    }
    json = vl_json_to_string(sections, NULL);
    again = vl_json_parse(json, strlen(json), NULL);
    if (again == NULL) {
        abort();
    }
    virTypedParamsFree(params, n);
    return 0;
}
