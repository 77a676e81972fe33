/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-throttle.h"

#include <string.h>

#include <gio/gio.h>

#include "vl-jsonrpc.h"

#define MINUTE (60 * G_USEC_PER_SEC)
#define MAX_GLOBAL_LIMIT 1024
#define MAX_KEYS 3

typedef struct {
    char *key;
    guint failures;
    gint64 until_us; /* no attempt before this (the last failure's time when it owes no wait) */
    gboolean busy;   /* an attempt of this source is being checked */
    GList link;      /* in VlThrottle.order, least recently used first */
} Entry;

struct _VlThrottle {
    guint max_delay_s;
    guint max_entries;
    GHashTable *entries; /* key → Entry */
    GQueue order;
    /* The times of the last failures bridge-wide, a ring of global_limit. */
    gint64 *failures;
    guint global_limit;
    guint failures_next;
    guint failures_len;
};

/* The keys an address counts under: its source first, then its networks, with the failures each
 * forgives before its sources wait. */
typedef struct {
    char *keys[MAX_KEYS];
    guint free[MAX_KEYS];
    guint len;
    gboolean local;
} Keys;

static void
entry_free(Entry *e)
{
    g_free(e->key);
    g_free(e);
}

VlThrottle *
vl_throttle_new(guint max_delay_s, guint max_entries)
{
    VlThrottle *t = g_new0(VlThrottle, 1);

    t->max_delay_s = MAX(max_delay_s, 1);
    t->max_entries = MAX(max_entries, 1);
    t->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)entry_free);
    g_queue_init(&t->order);
    vl_throttle_set_global_limit(t, VL_THROTTLE_GLOBAL_PER_MINUTE);
    return t;
}

void
vl_throttle_free(VlThrottle *t)
{
    if (t == NULL) {
        return;
    }
    g_hash_table_unref(t->entries);
    g_free(t->failures);
    g_free(t);
}

void
vl_throttle_set_global_limit(VlThrottle *t, guint failures_per_minute)
{
    t->global_limit = CLAMP(failures_per_minute, 1, MAX_GLOBAL_LIMIT);
    g_free(t->failures);
    t->failures = g_new0(gint64, t->global_limit);
    t->failures_next = 0;
    t->failures_len = 0;
}

/* The IPv6 address as 16 bytes when it is a real IPv6 client (not loopback, not IPv4-mapped). */
static gboolean
ipv6_bytes(const char *address, guint8 ret_bytes[16])
{
    g_autoptr(GInetAddress) inet = address ? g_inet_address_new_from_string(address) : NULL;

    if (inet == NULL || g_inet_address_get_family(inet) != G_SOCKET_FAMILY_IPV6 ||
        g_inet_address_get_is_loopback(inet)) {
        return FALSE;
    }
    memcpy(ret_bytes, g_inet_address_to_bytes(inet), 16);
    /* An IPv4 address mapped into IPv6 is one IPv4 client, not a network. */
    return memcmp(ret_bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) != 0;
}

static char *
prefix_key(const guint8 bytes[16], guint bits)
{
    guint8 prefix[16] = {0};
    g_autoptr(GInetAddress) net = NULL;
    g_autofree char *text = NULL;

    memcpy(prefix, bytes, bits / 8);
    net = g_inet_address_new_from_bytes(prefix, G_SOCKET_FAMILY_IPV6);
    text = g_inet_address_to_string(net);
    return g_strdup_printf("%s/%u", text, bits);
}

char *
vl_throttle_key_for_address(const char *address)
{
    guint8 bytes[16];

    if (address == NULL) {
        return g_strdup("local");
    }
    return ipv6_bytes(address, bytes) ? prefix_key(bytes, 64) : g_strdup(address);
}

static void
keys_for(const char *address, Keys *ret)
{
    guint8 bytes[16];

    memset(ret, 0, sizeof(*ret));
    ret->local = address == NULL;
    ret->keys[ret->len++] = vl_throttle_key_for_address(address);
    if (ipv6_bytes(address, bytes)) {
        ret->free[ret->len] = VL_THROTTLE_NET56_FREE;
        ret->keys[ret->len++] = prefix_key(bytes, 56);
        ret->free[ret->len] = VL_THROTTLE_NET48_FREE;
        ret->keys[ret->len++] = prefix_key(bytes, 48);
    }
}

static void
keys_clear(Keys *k)
{
    for (guint i = 0; i < k->len; i++) {
        g_free(k->keys[i]);
    }
}

static gboolean
evictable(const Entry *e, gint64 now_us)
{
    return !e->busy && now_us >= e->until_us;
}

static void
forget(VlThrottle *t, Entry *e)
{
    g_queue_unlink(&t->order, &e->link);
    g_hash_table_remove(t->entries, e->key);
}

/* Makes room for one more entry by forgetting the least recently used one that neither is
 * being checked nor still owes a wait; FALSE when there is none. */
static gboolean
make_room(VlThrottle *t, gint64 now_us)
{
    if (g_hash_table_size(t->entries) < t->max_entries) {
        return TRUE;
    }
    for (GList *l = t->order.head; l; l = l->next) {
        if (evictable(l->data, now_us)) {
            forget(t, l->data);
            return TRUE;
        }
    }
    return FALSE;
}

/* The entry of key, made when missing and there is room (else NULL); now the newest. */
static Entry *
touch(VlThrottle *t, const char *key, gint64 now_us)
{
    Entry *e = g_hash_table_lookup(t->entries, key);

    if (e) {
        g_queue_unlink(&t->order, &e->link);
    } else {
        if (!make_room(t, now_us)) {
            return NULL;
        }
        e = g_new0(Entry, 1);
        e->key = g_strdup(key);
        e->link.data = e;
        g_hash_table_insert(t->entries, e->key, e);
    }
    g_queue_push_tail_link(&t->order, &e->link);
    return e;
}

static guint
seconds_until(gint64 until_us, gint64 now_us)
{
    gint64 left = until_us - now_us;

    return (guint)MAX((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1);
}

/* When the bridge-wide limit lets the next attempt go: 0 when now. */
static gint64
global_until(const VlThrottle *t, gint64 now_us)
{
    gint64 oldest;

    if (t->failures_len < t->global_limit) {
        return 0;
    }
    oldest = t->failures[t->failures_next];
    return now_us - oldest < MINUTE ? oldest + MINUTE : 0;
}

/* The earliest time some entry may be forgotten (a full table); now + 1 s when all are busy. */
static gint64
earliest_free(const VlThrottle *t, gint64 now_us)
{
    gint64 best = G_MAXINT64;

    for (GList *l = t->order.head; l; l = l->next) {
        const Entry *e = l->data;

        if (!e->busy) {
            best = MIN(best, e->until_us);
        }
    }
    return best == G_MAXINT64 ? now_us + G_USEC_PER_SEC : best;
}

static gboolean refuse(guint *ret_retry_s, guint retry_s, GError **error, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean
refuse(guint *ret_retry_s, guint retry_s, GError **error, const char *format, ...)
{
    g_autofree char *why = NULL;
    va_list args;

    va_start(args, format);
    why = g_strdup_vprintf(format, args);
    va_end(args);
    *ret_retry_s = retry_s;
    g_set_error(error, VL_CALL_ERROR, VL_RPC_RATE_LIMITED, "%s: retry in %u s", why, retry_s);
    return FALSE;
}

gboolean
vl_throttle_begin(VlThrottle *t, const char *address, gint64 now_us, guint *ret_retry_s,
                  GError **error)
{
    Keys k;
    Entry *e;
    const char *who = address ? address : "the local socket";
    gboolean ok = TRUE;
    gint64 until;

    *ret_retry_s = 0;
    keys_for(address, &k);
    e = g_hash_table_lookup(t->entries, k.keys[0]);
    if (e && e->busy) {
        ok = refuse(ret_retry_s, 1, error,
                    "too many failed attempts from %s (one is still being checked)", who);
        goto out;
    }
    for (guint i = 0; i < k.len; i++) {
        e = g_hash_table_lookup(t->entries, k.keys[i]);
        if (e && now_us < e->until_us) {
            ok = refuse(ret_retry_s, seconds_until(e->until_us, now_us), error,
                        i == 0 ? "too many failed attempts from %s"
                               : "too many failed attempts from the network %s",
                        i == 0 ? who : k.keys[i]);
            goto out;
        }
        /* A key quiet for twice the longest delay after its wait starts over. */
        if (e && e->failures > 0 &&
            now_us - e->until_us > 2 * (gint64)t->max_delay_s * G_USEC_PER_SEC) {
            e->failures = 0;
        }
    }
    if (!k.local && (until = global_until(t, now_us)) > 0) {
        ok = refuse(ret_retry_s, seconds_until(until, now_us), error,
                    "too many failed password attempts on this host (%u in a minute)",
                    t->global_limit);
        goto out;
    }
    e = touch(t, k.keys[0], now_us);
    if (e == NULL) {
        ok = refuse(ret_retry_s, seconds_until(earliest_free(t, now_us), now_us), error,
                    "too many sources are waiting after failed password attempts");
        goto out;
    }
    e->busy = TRUE;
out:
    keys_clear(&k);
    return ok;
}

static guint64
delay_s(const VlThrottle *t, guint failures)
{
    return failures > 32 ? t->max_delay_s
                         : MIN(G_GUINT64_CONSTANT(1) << (failures - 1), (guint64)t->max_delay_s);
}

void
vl_throttle_end(VlThrottle *t, const char *address, gboolean success, gint64 now_us)
{
    Keys k;
    Entry *e;

    keys_for(address, &k);
    if (success) {
        /* Its networks keep counting: another source there may be the one guessing. */
        e = g_hash_table_lookup(t->entries, k.keys[0]);
        if (e) {
            forget(t, e);
        }
        keys_clear(&k);
        return;
    }
    for (guint i = 0; i < k.len; i++) {
        e = touch(t, k.keys[i], now_us);
        if (e == NULL) {
            continue; /* a network without room: its sources still wait on their own */
        }
        e->busy = FALSE;
        e->failures = MIN(e->failures + 1, 64);
        e->until_us = now_us;
        if (e->failures > k.free[i]) {
            e->until_us += (gint64)delay_s(t, e->failures - k.free[i]) * G_USEC_PER_SEC;
        }
    }
    if (!k.local) {
        t->failures[t->failures_next] = now_us;
        t->failures_next = (t->failures_next + 1) % t->global_limit;
        t->failures_len = MIN(t->failures_len + 1, t->global_limit);
    }
    keys_clear(&k);
}

void
vl_throttle_cancel(VlThrottle *t, const char *address)
{
    g_autofree char *key = vl_throttle_key_for_address(address);
    Entry *e = g_hash_table_lookup(t->entries, key);

    if (e == NULL) {
        return;
    }
    e->busy = FALSE;
    if (e->failures == 0) {
        forget(t, e);
    }
}

guint
vl_throttle_size(const VlThrottle *t)
{
    return g_hash_table_size(t->entries);
}
