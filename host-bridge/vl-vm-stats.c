/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm.stats: libvirt's bulk statistics (one call for every VM, or for one) mapped to the
 * catalogue's vm_stats_fields. libvirt hands back flat typed parameters ("block.0.rd.bytes");
 * each record's are indexed by name once, then read by the names the catalogue needs. A
 * parameter a driver does not give (the test driver gives only the state; a paused VM no
 * balloon figures) or gives in a form JSON cannot carry is left out: every figure is optional.
 */
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-jsonrpc.h"
#include "vl-vm-ops-private.h"

/* A list of records as libvirt returns it: NULL-terminated, freed as a whole. */
typedef virDomainStatsRecordPtr VlStatsRecords;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlStatsRecords, virDomainStatsRecordListFree)

#define STATS_GROUPS                                                                               \
    (VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |              \
     VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BLOCK | VIR_DOMAIN_STATS_INTERFACE)

/* The catalogue's bounds (block_stats_fields, net_stats_fields, vm_stats_fields). */
#define MAX_DEVICES 256
#define MAX_DEVICE_NAME_LEN 32
#define MAX_PATH_LEN 4096
#define MAX_VCPUS 65536

typedef struct {
    const char *param;  /* libvirt's name, after "block.N." or "net.N." for devices */
    const char *member; /* the catalogue's */
    gint64 max;
} Figure;

static const Figure vm_figures[] = {
    {"cpu.time", "cpu_time_ns", G_MAXINT64},
    {"vcpu.current", "vcpus", MAX_VCPUS},
    {"balloon.current", "balloon_current_kib", G_MAXINT64},
    {"balloon.maximum", "balloon_maximum_kib", G_MAXINT64},
    {"balloon.rss", "balloon_rss_kib", G_MAXINT64},
    {NULL},
};

static const Figure block_figures[] = {
    {"rd.bytes", "rd_bytes", G_MAXINT64},
    {"wr.bytes", "wr_bytes", G_MAXINT64},
    {"rd.reqs", "rd_reqs", G_MAXINT64},
    {"wr.reqs", "wr_reqs", G_MAXINT64},
    {"capacity", "capacity_bytes", G_MAXINT64},
    {"allocation", "allocation_bytes", G_MAXINT64},
    {NULL},
};

static const Figure net_figures[] = {
    {"rx.bytes", "rx_bytes", G_MAXINT64},
    {"tx.bytes", "tx_bytes", G_MAXINT64},
    {"rx.pkts", "rx_pkts", G_MAXINT64},
    {"tx.pkts", "tx_pkts", G_MAXINT64},
    {"rx.drop", "rx_drop", G_MAXINT64},
    {"tx.drop", "tx_drop", G_MAXINT64},
    {NULL},
};

/* A record's parameters by name; the first of a name wins. Borrowed from the record. */
static GHashTable *
index_params(virDomainStatsRecordPtr record)
{
    GHashTable *params = g_hash_table_new(g_str_hash, g_str_equal);

    for (int i = 0; i < record->nparams; i++) {
        virTypedParameterPtr param = &record->params[i];

        /* field is a fixed array that libvirt fills with a terminated string */
        if (memchr(param->field, '\0', sizeof(param->field)) != NULL &&
            !g_hash_table_contains(params, param->field)) {
            g_hash_table_insert(params, param->field, param);
        }
    }
    return params;
}

/* An integer parameter within 0..max, whatever integer type the driver chose. */
static gboolean
param_int(GHashTable *params, const char *name, gint64 max, gint64 *ret_value)
{
    virTypedParameterPtr param = g_hash_table_lookup(params, name);
    gint64 value;

    if (param == NULL) {
        return FALSE;
    }
    switch (param->type) {
    case VIR_TYPED_PARAM_INT:
        value = param->value.i;
        break;
    case VIR_TYPED_PARAM_UINT:
        value = param->value.ui;
        break;
    case VIR_TYPED_PARAM_LLONG:
        value = param->value.l;
        break;
    case VIR_TYPED_PARAM_ULLONG:
        if (param->value.ul > G_MAXINT64) {
            return FALSE;
        }
        value = (gint64)param->value.ul;
        break;
    default:
        return FALSE;
    }
    if (value < 0 || value > max) {
        return FALSE;
    }
    *ret_value = value;
    return TRUE;
}

/* A string parameter of min_len..max_len bytes of UTF-8. */
static const char *
param_string(GHashTable *params, const char *name, gsize min_len, gsize max_len)
{
    virTypedParameterPtr param = g_hash_table_lookup(params, name);
    gsize len;

    if (param == NULL || param->type != VIR_TYPED_PARAM_STRING || param->value.s == NULL) {
        return NULL;
    }
    len = strlen(param->value.s);
    if (len < min_len || len > max_len || !g_utf8_validate(param->value.s, len, NULL)) {
        return NULL;
    }
    return param->value.s;
}

/* Adds the member of each figure present; prefix is "" or "block.N.". */
static void
add_figures(VlJsonBuilder *builder, GHashTable *params, const char *prefix, const Figure *figures)
{
    for (const Figure *f = figures; f->param; f++) {
        g_autofree char *name = g_strconcat(prefix, f->param, NULL);
        gint64 value;

        if (param_int(params, name, f->max, &value)) {
            vl_json_builder_member(builder, f->member);
            vl_json_builder_add_int(builder, value);
        }
    }
}

/*
 * "block" or "net": one object per device libvirt counts, at most the catalogue's bound. The
 * count only bounds a loop over names looked up in the index, so a wrong count can at worst
 * leave devices out. A device without a usable name is left out (the name is required).
 */
static void
add_devices(VlJsonBuilder *builder, GHashTable *params, const char *group, const Figure *figures)
{
    g_autofree char *count_name = g_strconcat(group, ".count", NULL);
    gint64 count;

    if (!param_int(params, count_name, G_MAXINT64, &count)) {
        return;
    }
    count = MIN(count, MAX_DEVICES);
    vl_json_builder_member(builder, group);
    vl_json_builder_begin_array(builder);
    for (gint64 i = 0; i < count; i++) {
        g_autofree char *prefix = g_strdup_printf("%s.%" G_GINT64_FORMAT ".", group, i);
        g_autofree char *name_param = g_strconcat(prefix, "name", NULL);
        const char *name = param_string(params, name_param, 1, MAX_DEVICE_NAME_LEN);

        if (name == NULL) {
            continue;
        }
        vl_json_builder_begin_object(builder);
        vl_json_builder_member(builder, "name");
        vl_json_builder_add_string(builder, name);
        if (g_str_equal(group, "block")) {
            g_autofree char *path_param = g_strconcat(prefix, "path", NULL);
            const char *path = param_string(params, path_param, 0, MAX_PATH_LEN);

            if (path) {
                vl_json_builder_member(builder, "path");
                vl_json_builder_add_string(builder, path);
            }
        }
        add_figures(builder, params, prefix, figures);
        vl_json_builder_end_object(builder);
    }
    vl_json_builder_end_array(builder);
}

static void
add_record(VlJsonBuilder *builder, virDomainStatsRecordPtr record)
{
    g_autoptr(GHashTable) params = index_params(record);
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    gint64 state;

    virDomainGetUUIDString(record->dom, uuid);
    vl_json_builder_begin_object(builder);
    vl_json_builder_member(builder, "name");
    vl_json_builder_add_string(builder, virDomainGetName(record->dom));
    vl_json_builder_member(builder, "uuid");
    vl_json_builder_add_string(builder, uuid);
    vl_json_builder_member(builder, "state");
    /* The state group is always asked for; "nostate" only if a driver leaves it out. */
    vl_json_builder_add_string(builder, param_int(params, "state.state", G_MAXINT, &state)
                                            ? vl_vm_state_name((int)state)
                                            : vl_vm_state_name(VIR_DOMAIN_NOSTATE));
    add_figures(builder, params, "", vm_figures);
    add_devices(builder, params, "block", block_figures);
    add_devices(builder, params, "net", net_figures);
    vl_json_builder_end_object(builder);
}

static int
compare_record_names(const void *a, const void *b)
{
    return strcmp(virDomainGetName((*(virDomainStatsRecordPtr const *)a)->dom),
                  virDomainGetName((*(virDomainStatsRecordPtr const *)b)->dom));
}

VlJson *
vl_vm_stats(virConnectPtr conn, const char *vm, GError **error)
{
    g_autoptr(VlStatsRecords) records = NULL;
    g_autoptr(VlJsonBuilder) builder = NULL;
    int n;

    g_return_val_if_fail(conn != NULL, NULL);

    if (vm) {
        g_autoptr(virDomain) domain = vl_vm_lookup(conn, vm, error);
        virDomainPtr domains[2] = {NULL, NULL};
        g_autofree char *what = NULL;

        if (domain == NULL) {
            return NULL;
        }
        domains[0] = domain;
        what = g_strdup_printf("vm.stats %s", virDomainGetName(domain));
        /* A stopped VM gets a record too, with its state alone. */
        n = virDomainListGetStats(domains, STATS_GROUPS, &records, 0);
        if (n < 0) {
            vl_vm_set_libvirt_error(error, what);
            return NULL;
        }
    } else {
        n = virConnectGetAllDomainStats(conn, STATS_GROUPS, &records,
                                        VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
        if (n < 0) {
            vl_vm_set_libvirt_error(error, "vm.stats");
            return NULL;
        }
    }
    if (n > 0) {
        qsort(records, n, sizeof(*records), compare_record_names);
    }

    builder = vl_json_builder_new();
    vl_json_builder_begin_object(builder);
    vl_json_builder_member(builder, "vms");
    vl_json_builder_begin_array(builder);
    for (int i = 0; i < n; i++) {
        add_record(builder, records[i]);
    }
    vl_json_builder_end_array(builder);
    vl_json_builder_end_object(builder);
    return vl_json_builder_finish(builder);
}
