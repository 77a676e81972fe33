/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted control plane server for the client's tests: it listens on a UNIX socket in a
 * temporary folder, accepts one connection on its own thread and plays a script of steps (read a
 * request, send text, split text across writes, send a big frame, close). When the script ends
 * it waits for the client to close. It stands in for vmlinkd until the real one can be used.
 *
 * script_server_start_tls() plays the same steps over TLS on 127.0.0.1 (a real OpenSSL server
 * with vmlinkd's policy, or one limited to TLS 1.1 to see the client refuse it), and tells which
 * certificate the client presented.
 */
#pragma once

#include <glib.h>

#include "vl-tls-identity.h"

G_BEGIN_DECLS

typedef enum {
    STEP_END,    /* ends the script: wait for the client to close */
    STEP_READ,   /* read one request line and remember its id */
    STEP_SEND,   /* write text in one write; "$ID" is replaced by the last request's id */
    STEP_SPLIT,  /* write text in two parts (cut at size bytes), the second once the client has
                    read the first */
    STEP_STRING, /* write a response whose result is {"return": a string of size bytes} */
    STEP_CLOSE,  /* close the connection at once */
    STEP_HOLD,   /* read nothing more; wait for the client to hang up, then close */
} ScriptStepKind;

typedef struct {
    ScriptStepKind kind;
    const char *text;
    gsize size;
} ScriptStep;

/* The steps most scripts are made of, and the answer a server sends to the last request. */
/* clang-format off */
#define READ {STEP_READ, NULL, 0}
#define SEND(text) {STEP_SEND, (text), 0}
#define CLOSE {STEP_CLOSE, NULL, 0}
#define END {STEP_END, NULL, 0}
/* clang-format on */
#define RESPONSE(result) "{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":" result "}\n"

typedef struct _ScriptServer ScriptServer;

/* Listens and plays steps (ended by STEP_END) on the first connection. */
ScriptServer *script_server_start(const ScriptStep *steps);
typedef struct {
    const VlTlsIdentity *identity; /* the server's key and certificate */
    gboolean tls11_only;           /* TLS 1.0 and 1.1 only, at OpenSSL's lowest security level */
} ScriptTls;

/* Listens on 127.0.0.1 (a free port) and plays steps over TLS on the first connection. */
ScriptServer *script_server_start_tls(const ScriptStep *steps, const ScriptTls *tls);
guint16 script_server_port(const ScriptServer *server);
/* After script_server_finish(): the fingerprint of the certificate the client presented, or
 * NULL (none, or no handshake completed). */
const char *script_server_client_fingerprint(const ScriptServer *server);

/* "unix:/tmp/vl-client-XXXXXX/vmlinkd.sock" ("tls://127.0.0.1:PORT"), and the socket's path
 * alone (NULL for TLS). */
const char *script_server_address(const ScriptServer *server);
const char *script_server_path(const ScriptServer *server);
/* Waits for the script to end (after the client closed) and returns the request lines it read,
 * in order (borrowed, valid until the server is freed). */
GPtrArray *script_server_finish(ScriptServer *server);
void script_server_free(ScriptServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScriptServer, script_server_free)

G_END_DECLS
