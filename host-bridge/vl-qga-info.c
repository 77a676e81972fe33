/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-qga-info.h"

#include <stdarg.h>
#include <string.h>

#include "vl-catalogue.h"

#define KEY_MAX VIR_TYPED_PARAM_FIELD_LENGTH

typedef struct {
    GHashTable *params; /* field → const virTypedParameter * */
    VlJsonBuilder *out; /* the sections object, open */
    guint dropped;
} Conv;

static const virTypedParameter *param(const Conv *c, const char *format, ...) G_GNUC_PRINTF(2, 3);

static const virTypedParameter *
param(const Conv *c, const char *format, ...)
{
    char key[KEY_MAX];
    va_list ap;
    int n;

    va_start(ap, format);
    n = g_vsnprintf(key, sizeof key, format, ap);
    va_end(ap);
    if (n < 0 || (gsize)n >= sizeof key) {
        return NULL;
    }
    return g_hash_table_lookup(c->params, key);
}

/* A string parameter, or NULL when absent, of another type or not UTF-8 (a builder would take
 * it as it is, and the JSON sent on would not be valid). */
static const char *
string_of(const virTypedParameter *p)
{
    if (p == NULL || p->type != VIR_TYPED_PARAM_STRING || p->value.s == NULL ||
        !g_utf8_validate(p->value.s, -1, NULL)) {
        return NULL;
    }
    return p->value.s;
}

/* An integer parameter of any integer type that fits in gint64. */
static gboolean
int_of(const virTypedParameter *p, gint64 *ret)
{
    if (p == NULL) {
        return FALSE;
    }
    switch (p->type) {
    case VIR_TYPED_PARAM_INT:
        *ret = p->value.i;
        return TRUE;
    case VIR_TYPED_PARAM_UINT:
        *ret = p->value.ui;
        return TRUE;
    case VIR_TYPED_PARAM_LLONG:
        *ret = p->value.l;
        return TRUE;
    case VIR_TYPED_PARAM_ULLONG:
        if (p->value.ul > G_MAXINT64) {
            return FALSE;
        }
        *ret = (gint64)p->value.ul;
        return TRUE;
    default:
        return FALSE;
    }
}

/* A count parameter, bounded by what the catalogue allows (more entries would be refused). */
static guint
count_of(const virTypedParameter *p, gint64 max)
{
    gint64 n = 0;

    if (!int_of(p, &n) || n < 0) {
        return 0;
    }
    return (guint)MIN(n, max);
}

static void
add_int_member(VlJsonBuilder *b, const char *name, const virTypedParameter *p)
{
    gint64 value;

    if (int_of(p, &value)) {
        vl_json_builder_add_member_int(b, name, value);
    }
}

/* The field named name among fields (ended by a NULL name). */
static const VlField *
member_of(const VlField *fields, const char *name)
{
    for (const VlField *m = fields; m && m->name; m++) {
        if (g_str_equal(m->name, name)) {
            return m;
        }
    }
    g_return_val_if_reached(NULL);
}

/* The catalogue's field of a section, or of an array member of an object section. */
static const VlField *
field_of(const char *section, const char *member)
{
    const VlField *f = vl_report_section_field(section);

    return member ? member_of(f->fields, member) : f;
}

/* Adds a finished section when it validates; counts it dropped otherwise. */
static void
add_section(Conv *c, const char *name, VlJson *value)
{
    g_autoptr(GError) error = NULL;

    if (!vl_report_validate_section(name, value, &error)) {
        g_debug("qemu-ga: the %s section left out: %s", name, error->message);
        c->dropped++;
        return;
    }
    vl_json_builder_member(c->out, name);
    vl_json_builder_add_node(c->out, value);
}

/* Writes the members of entry i (of the outer entry's list, for a list inside an entry). */
typedef void (*ItemFunc)(Conv *c, guint outer, guint i, VlJsonBuilder *b);

/*
 * Adds to b the array of the entries that count_key announces (bounded by the array field's
 * maximum), each written by item into an object of its own and kept only when it passes the
 * catalogue's item fields: one odd entry does not hide the others.
 */
static void
add_items(Conv *c, VlJsonBuilder *b, const VlField *array, const char *count_key, ItemFunc item,
          guint outer)
{
    guint n = count_of(param(c, "%s", count_key), array->max);

    vl_json_builder_begin_array(b);
    for (guint i = 0; i < n; i++) {
        g_autoptr(VlJsonBuilder) ib = vl_json_builder_new();
        g_autoptr(VlJson) entry = NULL;
        g_autoptr(GError) error = NULL;

        vl_json_builder_begin_object(ib);
        item(c, outer, i, ib);
        vl_json_builder_end_object(ib);
        entry = vl_json_builder_finish(ib);
        if (!vl_fields_validate(array->items->fields, entry, count_key, &error)) {
            g_debug("qemu-ga: %s entry %u left out: %s", count_key, i, error->message);
            c->dropped++;
            continue;
        }
        vl_json_builder_add_node(b, entry);
    }
    vl_json_builder_end_array(b);
}

/* os ------------------------------------------------------------------------------------------ */

static void
add_os(Conv *c)
{
    static const char *const names[][2] = {
        {"os.id", "id"},
        {"os.name", "name"},
        {"os.pretty-name", "pretty_name"},
        {"os.version", "version"},
        {"os.version-id", "version_id"},
        {"os.variant", "variant"},
        {"os.variant-id", "variant_id"},
        {"os.kernel-release", "kernel_release"},
        {"os.kernel-version", "kernel_version"},
        {"os.machine", "arch"},
    };
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) os = NULL;
    gboolean any = FALSE;

    vl_json_builder_begin_object(b);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *value = string_of(param(c, "%s", names[i][0]));

        vl_json_builder_add_member_string(b, names[i][1], value);
        any |= value != NULL;
    }
    vl_json_builder_end_object(b);
    os = vl_json_builder_finish(b);
    if (any) {
        add_section(c, "os", os);
    }
}

/* host ---------------------------------------------------------------------------------------- */

static void
add_host(Conv *c)
{
    const char *hostname = string_of(param(c, "hostname"));
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(VlJson) host = NULL;

    if (hostname == NULL) {
        return; /* the section's one required member */
    }
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "hostname", hostname);
    add_int_member(b, "utc_offset_s", param(c, "timezone.offset"));
    vl_json_builder_end_object(b);
    host = vl_json_builder_finish(b);
    add_section(c, "host", host);
}

/* network ------------------------------------------------------------------------------------- */

static void
address_item(Conv *c, guint n, guint j, VlJsonBuilder *b)
{
    vl_json_builder_add_member_string(b, "family", string_of(param(c, "if.%u.addr.%u.type", n, j)));
    vl_json_builder_add_member_string(b, "address",
                                      string_of(param(c, "if.%u.addr.%u.addr", n, j)));
    add_int_member(b, "prefix", param(c, "if.%u.addr.%u.prefix", n, j));
}

static void
interface_item(Conv *c, guint unused, guint n, VlJsonBuilder *b)
{
    const VlField *interfaces = field_of("network", "interfaces");
    char count_key[KEY_MAX];

    vl_json_builder_add_member_string(b, "name", string_of(param(c, "if.%u.name", n)));
    vl_json_builder_add_member_string(b, "mac", string_of(param(c, "if.%u.hwaddr", n)));
    g_snprintf(count_key, sizeof count_key, "if.%u.addr.count", n);
    if (param(c, "%s", count_key) == NULL) {
        return;
    }
    vl_json_builder_member(b, "addresses");
    add_items(c, b, member_of(interfaces->items->fields, "addresses"), count_key, address_item, n);
}

static void
add_network(Conv *c)
{
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(VlJson) network = NULL;

    if (param(c, "if.count") == NULL) {
        return;
    }
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "interfaces");
    add_items(c, b, field_of("network", "interfaces"), "if.count", interface_item, 0);
    vl_json_builder_end_object(b);
    network = vl_json_builder_finish(b);
    add_section(c, "network", network);
}

/* filesystems --------------------------------------------------------------------------------- */

static void
filesystem_item(Conv *c, guint unused, guint n, VlJsonBuilder *b)
{
    const char *name = string_of(param(c, "fs.%u.name", n));

    vl_json_builder_add_member_string(b, "mountpoint", string_of(param(c, "fs.%u.mountpoint", n)));
    vl_json_builder_add_member_string(b, "type", string_of(param(c, "fs.%u.fstype", n)));
    if (name && *name && strchr(name, '/') == NULL) {
        g_autofree char *device = g_strconcat("/dev/", name, NULL); /* the kernel's name */

        vl_json_builder_add_member_string(b, "device", device);
    }
    add_int_member(b, "total_bytes", param(c, "fs.%u.total-bytes", n));
    add_int_member(b, "used_bytes", param(c, "fs.%u.used-bytes", n));
}

/* users --------------------------------------------------------------------------------------- */

static void
user_item(Conv *c, guint unused, guint n, VlJsonBuilder *b)
{
    const char *name = string_of(param(c, "user.%u.name", n));
    const char *domain = string_of(param(c, "user.%u.domain", n));
    gint64 login_ms;

    if (name && domain && *domain) {
        g_autofree char *full = g_strconcat(domain, "\\", name, NULL);

        vl_json_builder_add_member_string(b, "name", full);
    } else {
        vl_json_builder_add_member_string(b, "name", name);
    }
    if (int_of(param(c, "user.%u.login-time", n), &login_ms) && login_ms >= 0) {
        vl_json_builder_add_member_int(b, "since", login_ms / 1000);
    }
}

static void
add_array_section(Conv *c, const char *section, const char *count_key, ItemFunc item)
{
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(VlJson) value = NULL;

    if (param(c, "%s", count_key) == NULL) {
        return;
    }
    b = vl_json_builder_new();
    add_items(c, b, field_of(section, NULL), count_key, item, 0);
    value = vl_json_builder_finish(b);
    add_section(c, section, value);
}

/* cpu ----------------------------------------------------------------------------------------- */

static void
add_load_member(VlJsonBuilder *b, const VlJson *load, const char *name)
{
    const VlJson *value = vl_json_object_get(load, name);
    VlJsonKind kind = vl_json_kind(value);

    if (value && (kind == VL_JSON_INT || kind == VL_JSON_DOUBLE)) {
        vl_json_builder_member(b, name);
        vl_json_builder_add_double(b, vl_json_get_double(value));
    }
}

static void
add_cpu(Conv *c, const VlJson *vcpus, const VlJson *load)
{
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(VlJson) cpu = NULL;
    gint64 online = 0;

    for (guint i = 0; i < vl_json_array_length(vcpus); i++) {
        const VlJson *flag = vl_json_object_get(vl_json_array_get(vcpus, i), "online");

        online += vl_json_kind(flag) == VL_JSON_BOOL && vl_json_get_bool(flag);
    }
    if (online == 0) {
        return; /* the count is required: no cpu section without it */
    }
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_int(b, "count", online);
    if (vl_json_kind(load) == VL_JSON_OBJECT) {
        add_load_member(b, load, "load1");
        add_load_member(b, load, "load5");
        add_load_member(b, load, "load15");
    }
    vl_json_builder_end_object(b);
    cpu = vl_json_builder_finish(b);
    add_section(c, "cpu", cpu);
}

VlJson *
vl_qga_info_sections(const VlQgaInfo *info, guint *ret_dropped)
{
    g_autoptr(GHashTable) params = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(VlJsonBuilder) out = vl_json_builder_new();
    Conv c = {.params = params, .out = out};

    for (int i = 0; info->params && i < info->n_params; i++) {
        const virTypedParameter *p = &info->params[i];

        /* libvirt NUL-terminates the field; a first occurrence wins, as virTypedParamsGet. */
        if (memchr(p->field, '\0', sizeof p->field) && !g_hash_table_contains(params, p->field)) {
            g_hash_table_insert(params, (gpointer)p->field, (gpointer)p);
        }
    }
    vl_json_builder_begin_object(out);
    add_os(&c);
    add_host(&c);
    add_network(&c);
    add_array_section(&c, "filesystems", "fs.count", filesystem_item);
    add_array_section(&c, "users", "user.count", user_item);
    add_cpu(&c, info->vcpus, info->load);
    vl_json_builder_end_object(out);
    if (ret_dropped) {
        *ret_dropped = c.dropped;
    }
    return vl_json_builder_finish(out);
}
