/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pushing to the owning manager (issue 6, part 5): every event, in batches, to its event_url,
 * and every running VM's statistics each interval to its stats_url, as JSON-RPC notifications
 * (push.events, push.stats in the control catalogue) POSTed over HTTPS.
 *
 * Events wait in a bounded queue ([push] queue-size) while the manager is away; when it is full
 * the oldest is dropped and counted, and every batch carries that count as "dropped" so the
 * manager knows to fill the gap with events.since or resynchronise. Batches (at most
 * [push] batch-size events, in sequence order) go one at a time, never two in flight; a failed
 * POST is retried with a delay doubling from 1 s to [push] retry-max-delay, the same events
 * first. A POST whose answer was lost is sent again, so a receiver may see an event twice: it
 * dedupes by "seq". A failed statistics POST is counted but not retried: the next interval
 * brings fresher figures.
 *
 * TLS: the bridge's identity is the client certificate; the manager is pinned by the public key
 * of the certificate it gave at take-ownership (a certificate renewed with the same key keeps
 * working). No CA is consulted, no redirect followed, and only https:// URLs are used.
 *
 * Everything runs on the main loop's thread; statistics are gathered on a worker thread.
 */
#pragma once

#include <glib.h>

#include "vl-bridge.h"
#include "vl-json.h"

G_BEGIN_DECLS

/* Reads bridge->config and subscribes to bridge->events. Nothing is sent until a target is set;
 * bridge->identity (the client certificate) must be set by then. */
VlPush *vl_push_new(VlBridge *bridge);
void vl_push_free(VlPush *push);

/*
 * Where to push: called at take and release of ownership, at rotation of the manager's
 * certificate, and at startup from the stored state. A NULL or empty URL pushes nothing of that
 * kind; manager_cert_pem (the pinned certificate) is required when a URL is given. With no
 * event_url (a release) the queue is dropped: a later owner gets only events from its time.
 * A changed target keeps the queue and sends it to the new one.
 */
void vl_push_set_target(VlPush *push, const char *event_url, const char *stats_url,
                        const char *manager_cert_pem);

/* The members of host.info's "push" object (the caller opens and closes it). */
void vl_push_describe(VlPush *push, VlJsonBuilder *b);

/* What gathers statistics: called on a worker thread, returns {vms: [...]} as vm.stats does.
 * The default reads libvirt through bridge->domains; tests set their own. */
typedef VlJson *(*VlPushStatsFunc)(gpointer user_data, GError **error);
void vl_push_set_stats_func(VlPush *push, VlPushStatsFunc func, gpointer user_data);

G_END_DECLS
