/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vl-protocol.h"
#include "vl-tls-context.h"
#include "vl-transport.h"

#define READ_CHUNK (64 * 1024)

/* clang-format off */
G_DEFINE_QUARK(vl-client-error-quark, vl_client_error)
/* clang-format on */

struct _VlClient {
    VlTransport *transport;
    VlFrameReader *reader;
    char inbuf[READ_CHUNK]; /* bytes read and not yet given to the frame reader */
    gsize in_len, in_off;
    gboolean eof;           /* the server closed the stream */
    gint64 last_id;         /* ids are 1, 2, ...: every id up to this one was sent */
    GQueue events;          /* params of event notifications not yet handed out (VlJson *) */
    char *peer_fingerprint; /* tls: of transport->peer_cert */
    gboolean pin_renewed;   /* tls: the pin matched by key only */
};

/*
 * Checks the bridge's certificate against the pin, before anything is sent: a bridge that is
 * not the pinned one must not see even a request, let alone a password.
 */
static gboolean
check_pin(VlTransport *transport, const char *pinned_pem, const char *fingerprint,
          gboolean *ret_renewed, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree char *pinned_fp = NULL;

    if (vl_tls_pin_matches(transport->peer_cert, pinned_pem, ret_renewed, &local_error)) {
        return TRUE;
    }
    if (g_error_matches(local_error, VL_TLS_ERROR, VL_TLS_ERROR_EXPIRED)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY,
                    "the bridge at %s presents an expired certificate (%s): it renews its "
                    "certificate when it starts; if it does not, rotate it on the host",
                    transport->address, fingerprint);
        return FALSE;
    }
    pinned_fp = vl_tls_fingerprint_of_pem(pinned_pem, NULL);
    if (pinned_fp == NULL) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY,
                    "the pinned certificate of %s cannot be read (%s): pin it again by taking "
                    "ownership",
                    transport->address, local_error->message);
        return FALSE;
    }
    g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY,
                "%s is not the bridge pinned for it: it presents certificate %s, the pin is %s "
                "(another machine answers at this address, or the bridge was given a new key: "
                "if so, check its fingerprint on the host with vmlinkd --fingerprint, forget the "
                "pin and take ownership again)",
                transport->address, fingerprint, pinned_fp);
    return FALSE;
}

VlClient *
vl_client_connect(const char *address, GError **error)
{
    return vl_client_connect_full(address, NULL, error);
}

VlClient *
vl_client_connect_full(const char *address, const VlClientOptions *options, GError **error)
{
    static const VlClientOptions no_options = {0};
    g_autoptr(VlTransport) transport = NULL;
    g_autofree char *fingerprint = NULL;
    gboolean renewed = FALSE;
    VlClient *c;

    g_return_val_if_fail(address != NULL, NULL);

    if (options == NULL) {
        options = &no_options;
    }
    transport = vl_transport_open(address, options, error);
    if (transport == NULL) {
        return NULL;
    }
    if (transport->peer_cert) {
        fingerprint = vl_tls_x509_fingerprint(transport->peer_cert);
        if (fingerprint == NULL) {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY,
                        "the certificate of %s cannot be read", address);
            return NULL;
        }
        if (options->pinned_pem &&
            !check_pin(transport, options->pinned_pem, fingerprint, &renewed, error)) {
            return NULL;
        }
    }
    c = g_new0(VlClient, 1);
    c->transport = g_steal_pointer(&transport);
    c->peer_fingerprint = g_steal_pointer(&fingerprint);
    c->pin_renewed = renewed;
    c->reader = vl_frame_reader_new(VL_CLIENT_MAX_FRAME_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    g_queue_init(&c->events);
    return c;
}

void
vl_client_free(VlClient *client)
{
    if (client) {
        g_queue_clear_full(&client->events, (GDestroyNotify)vl_json_unref);
        vl_frame_reader_free(client->reader);
        vl_transport_free(client->transport);
        g_free(client->peer_fingerprint);
        g_free(client);
    }
}

const char *
vl_client_get_address(const VlClient *client)
{
    return client->transport->address;
}

X509 *
vl_client_peer_cert(const VlClient *client)
{
    return client->transport->peer_cert;
}

const char *
vl_client_peer_fingerprint(const VlClient *client)
{
    return client->peer_fingerprint;
}

gboolean
vl_client_pin_renewed(const VlClient *client)
{
    return client->pin_renewed;
}

guint
vl_client_pending_events(const VlClient *client)
{
    return client->events.length;
}

/* Deadlines -------------------------------------------------------------------------------- */

/* Monotonic time in µs after which waiting stops, or -1 for never. */
static gint64
deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

typedef enum {
    WAIT_READY,
    WAIT_TIMED_OUT, /* the caller says what it was waiting for */
    WAIT_FAILED,    /* error set */
} WaitResult;

/* Waits until the transport's descriptor is ready for cond, or the deadline. */
static WaitResult
wait_for(VlClient *c, GIOCondition cond, gint64 deadline, GError **error)
{
    for (;;) {
        struct pollfd pfd = {
            .fd = c->transport->fd,
            .events = (short)((cond & G_IO_IN ? POLLIN : 0) | (cond & G_IO_OUT ? POLLOUT : 0)),
        };
        int timeout = -1;
        int n;

        if (deadline >= 0) {
            gint64 left = deadline - g_get_monotonic_time();

            if (left <= 0) {
                return WAIT_TIMED_OUT;
            }
            timeout = (int)MIN((left + 999) / 1000, G_MAXINT);
        }
        n = poll(&pfd, 1, timeout);
        if (n > 0) {
            return WAIT_READY; /* readable, writable, hung up or failed: the next operation says */
        }
        if (n < 0 && errno != EINTR) {
            int errsv = errno;
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED, "waiting for %s failed: %s",
                        c->transport->address, g_strerror(errsv));
            return WAIT_FAILED;
        }
    }
}

/* Sending ---------------------------------------------------------------------------------- */

static gboolean
send_all(VlClient *c, const GString *frame, const char *method, int timeout_ms, gint64 deadline,
         GError **error)
{
    gsize done = 0;

    while (done < frame->len) {
        GIOCondition wait = 0;
        gssize n = c->transport->klass->write(c->transport, frame->str + done, frame->len - done,
                                              &wait, error);

        if (n >= 0) {
            done += (gsize)n;
            continue;
        }
        if (wait == 0) {
            return FALSE;
        }
        switch (wait_for(c, wait, deadline, error)) {
        case WAIT_READY:
            break;
        case WAIT_TIMED_OUT:
            g_set_error(error, VL_CALL_ERROR, VL_RPC_TIMEOUT,
                        "cannot send %s: %s read nothing for %g s", method, c->transport->address,
                        timeout_ms / 1000.0);
            return FALSE;
        case WAIT_FAILED:
            return FALSE;
        }
    }
    return TRUE;
}

/* Receiving -------------------------------------------------------------------------------- */

/*
 * The next frame from the server, or NULL with an error: a timeout (VL_CALL_ERROR), the
 * connection closed or lost, or a bad frame (VL_CLIENT_ERROR_PROTOCOL). what names what is
 * awaited, for the messages ("answer to vm.list").
 */
static VlJson *
read_frame(VlClient *c, const char *what, int timeout_ms, gint64 deadline, GError **error)
{
    for (;;) {
        GIOCondition wait = 0;
        gssize n;

        while (c->in_off < c->in_len) {
            g_autoptr(GError) frame_error = NULL;
            VlJson *frame = NULL;
            gsize used = 0;
            gboolean ok = vl_frame_reader_push(c->reader, c->inbuf + c->in_off,
                                               c->in_len - c->in_off, &used, &frame, &frame_error);

            c->in_off += used;
            if (!ok) {
                g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                            "%s sent a bad frame while we waited for the %s: %s",
                            c->transport->address, what, frame_error->message);
                return NULL;
            }
            if (frame) {
                return frame;
            }
        }
        if (c->eof) {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED,
                        "connection to %s is closed: connect again", c->transport->address);
            return NULL;
        }

        n = c->transport->klass->read(c->transport, c->inbuf, sizeof(c->inbuf), &wait, error);
        if (n > 0) {
            c->in_len = (gsize)n;
            c->in_off = 0;
            continue;
        }
        if (n == 0) {
            c->eof = TRUE;
            g_set_error(
                error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED,
                "%s closed the connection %swhile we waited for the %s", c->transport->address,
                vl_frame_reader_pending(c->reader) > 0 ? "in the middle of a message " : "", what);
            return NULL;
        }
        if (wait == 0) {
            return NULL;
        }
        switch (wait_for(c, wait, deadline, error)) {
        case WAIT_READY:
            break;
        case WAIT_TIMED_OUT:
            g_set_error(error, VL_CALL_ERROR, VL_RPC_TIMEOUT, "no %s from %s within %g s", what,
                        c->transport->address, timeout_ms / 1000.0);
            return NULL;
        case WAIT_FAILED:
            return NULL;
        }
    }
}

/*
 * Handles one message from the server: queues an event, drops what may be dropped, and sets
 * *ret_response (borrowed from message) when it is the response to the request with id
 * wanted_id (0: none is waiting). FALSE with error when the message breaks the protocol.
 */
static gboolean
handle_message(VlClient *c, VlJson *message, gint64 wanted_id, VlJson **ret_response,
               GError **error)
{
    g_autoptr(GError) local_error = NULL;
    const VlEntry *entry = NULL;
    VlRpcKind kind;
    VlRpcCode code;
    const VlJson *id;

    *ret_response = NULL;
    if (!vl_rpc_validate(message, VL_SENDER_SERVER, &kind, &entry, &code, &local_error)) {
        if (code == VL_RPC_METHOD_NOT_FOUND) {
            /* A newer server may notify what this client does not know yet: not our business. */
            g_debug("%s: ignoring %s", c->transport->address, local_error->message);
            return TRUE;
        }
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                    "%s sent a message the protocol does not allow: %s", c->transport->address,
                    local_error->message);
        return FALSE;
    }

    switch (kind) {
    case VL_RPC_NOTIFICATION:
        if (g_strcmp0(entry->name, "event") == 0) {
            g_queue_push_tail(&c->events, vl_json_ref(vl_json_object_get(message, "params")));
        }
        return TRUE;
    case VL_RPC_REQUEST:
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                    "%s sent a request (%s with an id); servers only notify", c->transport->address,
                    entry->name);
        return FALSE;
    case VL_RPC_RESULT:
    case VL_RPC_ERROR:
        break;
    }

    id = vl_json_object_get(message, "id");
    if (vl_json_kind(id) == VL_JSON_INT) {
        gint64 n = vl_json_get_int(id);

        if (wanted_id != 0 && n == wanted_id) {
            *ret_response = message;
            return TRUE;
        }
        if (n >= 1 && n <= c->last_id) {
            /* The late answer to a call that gave up waiting (timeout, bad frame): drop it. */
            g_debug("%s: dropping the late answer to request %" G_GINT64_FORMAT,
                    c->transport->address, n);
            return TRUE;
        }
    } else if (kind == VL_RPC_ERROR && vl_json_kind(id) == VL_JSON_NULL && wanted_id != 0) {
        /* The server could not read the request's id: with one call outstanding, it is ours. */
        *ret_response = message;
        return TRUE;
    }

    {
        g_autofree char *shown = vl_json_to_string(id, NULL);

        if (wanted_id != 0) {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                        "%s answered request id %.40s, but the request waiting has id "
                        "%" G_GINT64_FORMAT,
                        c->transport->address, shown, wanted_id);
        } else {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                        "%s answered request id %.40s, which was never sent", c->transport->address,
                        shown);
        }
    }
    return FALSE;
}

/* The result of a response, or NULL with the error it carries. */
static VlJson *
take_result(VlClient *c, const VlJson *response, const char *method, const VlEntry *entry,
            GError **error)
{
    const VlJson *err = vl_json_object_get(response, "error");
    VlJson *result = vl_json_object_get(response, "result");
    g_autoptr(GError) local_error = NULL;

    if (err) {
        /* The server's code and words as they are: callers match on the code, people read. */
        g_set_error_literal(error, VL_CALL_ERROR,
                            (int)vl_json_get_int(vl_json_object_get(err, "code")),
                            vl_json_get_string(vl_json_object_get(err, "message")));
        return NULL;
    }
    if (entry->result && !vl_fields_validate(entry->result, result, "result", &local_error)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                    "the answer of %s to %s breaks the protocol: %s", c->transport->address, method,
                    local_error->message);
        return NULL;
    }
    return vl_json_ref(result);
}

/* Calls ------------------------------------------------------------------------------------ */

static VlJson *
new_id(gint64 value)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) wrapper = NULL;

    /* The builder's root is an object or an array: wrap the number and take it out. */
    vl_json_builder_begin_array(b);
    vl_json_builder_add_int(b, value);
    vl_json_builder_end_array(b);
    wrapper = vl_json_builder_finish(b);
    return vl_json_ref(vl_json_array_get(wrapper, 0));
}

VlJson *
vl_client_call(VlClient *client, const char *method, const VlJson *params, int timeout_ms,
               GError **error)
{
    gint64 deadline = deadline_after(timeout_ms);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) request = NULL;
    g_autoptr(VlJson) id = NULL;
    g_autoptr(GString) frame = NULL;
    g_autofree char *what = NULL;
    const VlEntry *entry = NULL;
    VlRpcCode code = VL_RPC_INVALID_REQUEST;
    gint64 wanted;
    gboolean sent;

    g_return_val_if_fail(client != NULL, NULL);
    g_return_val_if_fail(method != NULL, NULL);

    wanted = client->last_id + 1;
    id = new_id(wanted);
    request = vl_rpc_new_request(method, params, id);
    /* A typo in a method or a parameter is told here, in the catalogue's words, and costs the
     * server nothing. */
    if (!vl_rpc_validate(request, VL_SENDER_CLIENT, NULL, &entry, &code, &local_error)) {
        g_set_error_literal(error, VL_CALL_ERROR, code, local_error->message);
        return NULL;
    }
    if (client->eof) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED,
                    "connection to %s is closed: connect again", client->transport->address);
        return NULL;
    }

    client->last_id = wanted;
    frame = vl_frame_encode(request);
    sent = send_all(client, frame, method, timeout_ms, deadline, error);
    /* It may carry a password; which requests do is the catalogue's business: wipe them all. */
    OPENSSL_cleanse(frame->str, frame->len);
    if (!sent) {
        return NULL;
    }

    what = g_strdup_printf("answer to %s", method);
    for (;;) {
        g_autoptr(VlJson) message = read_frame(client, what, timeout_ms, deadline, error);
        VlJson *response = NULL;

        if (message == NULL) {
            return NULL;
        }
        if (!handle_message(client, message, wanted, &response, error)) {
            return NULL;
        }
        if (response) {
            return take_result(client, response, method, entry, error);
        }
    }
}

VlJson *
vl_client_next_event(VlClient *client, int timeout_ms, GError **error)
{
    gint64 deadline = deadline_after(timeout_ms);

    g_return_val_if_fail(client != NULL, NULL);

    while (g_queue_is_empty(&client->events)) {
        g_autoptr(VlJson) message = read_frame(client, "event", timeout_ms, deadline, error);
        VlJson *response = NULL;

        if (message == NULL || !handle_message(client, message, 0, &response, error)) {
            return NULL;
        }
    }
    return g_queue_pop_head(&client->events);
}
