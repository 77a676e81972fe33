/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted control plane server for the client's tests: it listens on a UNIX socket in a
 * temporary folder, accepts one connection on its own thread and plays a script of steps (read a
 * request, send text, split text across writes, send a big frame, close). When the script ends
 * it waits for the client to close. It stands in for vmlinkd until the real one can be used.
 */
#pragma once

#include <glib.h>

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

typedef struct _ScriptServer ScriptServer;

/* Listens and plays steps (ended by STEP_END) on the first connection. */
ScriptServer *script_server_start(const ScriptStep *steps);
/* "unix:/tmp/vl-client-XXXXXX/vmlinkd.sock", and the socket's path alone. */
const char *script_server_address(const ScriptServer *server);
const char *script_server_path(const ScriptServer *server);
/* Waits for the script to end (after the client closed) and returns the request lines it read,
 * in order (borrowed, valid until the server is freed). */
GPtrArray *script_server_finish(ScriptServer *server);
void script_server_free(ScriptServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScriptServer, script_server_free)

G_END_DECLS
