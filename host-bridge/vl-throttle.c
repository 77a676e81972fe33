/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-throttle.h"

#include <string.h>

#include <gio/gio.h>

typedef struct {
    char *key;
    guint failures;
    gint64 until_us; /* no attempt before this */
    gboolean busy;   /* an attempt is being checked */
    GList link;      /* in VlThrottle.order, least recently used first */
} Entry;

struct _VlThrottle {
    guint max_delay_s;
    guint max_entries;
    GHashTable *entries; /* key → Entry */
    GQueue order;
};

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
    return t;
}

void
vl_throttle_free(VlThrottle *t)
{
    if (t == NULL) {
        return;
    }
    g_hash_table_unref(t->entries);
    g_free(t);
}

char *
vl_throttle_key_for_address(const char *address)
{
    g_autoptr(GInetAddress) inet = NULL;
    guint8 prefix[16] = {0};
    g_autoptr(GInetAddress) net = NULL;
    g_autofree char *text = NULL;

    if (address == NULL) {
        return g_strdup("local");
    }
    inet = g_inet_address_new_from_string(address);
    if (inet == NULL || g_inet_address_get_family(inet) != G_SOCKET_FAMILY_IPV6 ||
        g_inet_address_get_is_loopback(inet)) {
        return g_strdup(address);
    }
    /* An IPv4 address mapped into IPv6 is one IPv4 client, not a /64. */
    memcpy(prefix, g_inet_address_to_bytes(inet), 16);
    if (memcmp(prefix, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
        return g_strdup(address);
    }
    memset(prefix + 8, 0, 8);
    net = g_inet_address_new_from_bytes(prefix, G_SOCKET_FAMILY_IPV6);
    text = g_inet_address_to_string(net);
    return g_strdup_printf("%s/64", text);
}

static void
forget(VlThrottle *t, Entry *e)
{
    g_queue_unlink(&t->order, &e->link);
    g_hash_table_remove(t->entries, e->key);
}

/* The entry of key, made (evicting the oldest when full) when missing; now the newest. */
static Entry *
touch(VlThrottle *t, const char *key)
{
    Entry *e = g_hash_table_lookup(t->entries, key);

    if (e) {
        g_queue_unlink(&t->order, &e->link);
    } else {
        while (g_hash_table_size(t->entries) >= t->max_entries) {
            forget(t, t->order.head->data);
        }
        e = g_new0(Entry, 1);
        e->key = g_strdup(key);
        e->link.data = e;
        g_hash_table_insert(t->entries, e->key, e);
    }
    g_queue_push_tail_link(&t->order, &e->link);
    return e;
}

gboolean
vl_throttle_begin(VlThrottle *t, const char *key, gint64 now_us, guint *ret_retry_s)
{
    Entry *e = g_hash_table_lookup(t->entries, key);

    *ret_retry_s = 0;
    if (e && e->busy) {
        *ret_retry_s = 1;
        return FALSE;
    }
    if (e && now_us < e->until_us) {
        gint64 left = e->until_us - now_us;

        *ret_retry_s = (guint)MAX((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1);
        return FALSE;
    }
    /* A source quiet for twice the longest delay after its wait starts over. */
    if (e && e->failures > 0 &&
        now_us - e->until_us > 2 * (gint64)t->max_delay_s * G_USEC_PER_SEC) {
        e->failures = 0;
    }
    e = touch(t, key);
    e->busy = TRUE;
    return TRUE;
}

void
vl_throttle_end(VlThrottle *t, const char *key, gboolean success, gint64 now_us)
{
    Entry *e;
    guint64 delay_s;

    if (success) {
        e = g_hash_table_lookup(t->entries, key);
        if (e) {
            forget(t, e);
        }
        return;
    }
    e = touch(t, key); /* it may have been evicted while being checked */
    e->busy = FALSE;
    e->failures = MIN(e->failures + 1, 64);
    delay_s = e->failures > 32
                  ? t->max_delay_s
                  : MIN(G_GUINT64_CONSTANT(1) << (e->failures - 1), (guint64)t->max_delay_s);
    e->until_us = now_us + (gint64)delay_s * G_USEC_PER_SEC;
}

void
vl_throttle_cancel(VlThrottle *t, const char *key)
{
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
