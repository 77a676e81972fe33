/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's connection to the host: one byte stream that comes and goes. Three kinds, chosen
 * by METHOD:ADDRESS: virtio-serial:PATH (the port QEMU gives the guest), unix-listen:PATH and
 * vsock-listen:PORT (one host connection at a time; a new one replaces the old).
 *
 * Everything runs on the GLib main loop. While no host is attached nothing wakes the agent:
 * a virtio-serial port reports hang-up continuously then, so it leaves the poll set until the
 * kernel's SIGIO (read from a signalfd) says the host side changed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VlChannel VlChannel;

/* Blocks the signals channels read from signalfds (SIGIO). Call first in main(), before any
 * thread exists, so no thread can take the signal's default action (ending the process). */
void vl_channel_block_signals(void);

typedef struct {
    void (*connected)(gpointer user_data);
    void (*received)(const char *data, gsize len, gpointer user_data);
    void (*disconnected)(gpointer user_data);
} VlChannelCallbacks;

VlChannel *vl_channel_open(const char *spec, const VlChannelCallbacks *callbacks,
                           gpointer user_data, GError **error);
void vl_channel_free(VlChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlChannel, vl_channel_free)

/* Queues bytes for the host; they go out as the host reads. FALSE when no host is attached or
 * the queue is over its cap (the host stopped reading): the caller drops the message. */
gboolean vl_channel_send(VlChannel *channel, const char *data, gsize len);
gboolean vl_channel_is_connected(VlChannel *channel);

G_END_DECLS
