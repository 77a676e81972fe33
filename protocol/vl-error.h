/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Errors of the wire protocol: one GError domain for everything libvmlink-protocol reports,
 * with a stable wire name per code (the "code" of a guest channel error message).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_PROTOCOL_ERROR (vl_protocol_error_quark())
GQuark vl_protocol_error_quark(void);

typedef enum {
    VL_PROTOCOL_ERROR_FRAME_TOO_LARGE, /* frame longer than the reader's cap */
    VL_PROTOCOL_ERROR_INVALID_UTF8,    /* frame is not valid UTF-8 */
    VL_PROTOCOL_ERROR_TOO_DEEP,        /* nesting deeper than the reader's limit */
    VL_PROTOCOL_ERROR_INVALID_JSON,    /* not one RFC 8259 JSON text */
    VL_PROTOCOL_ERROR_NOT_OBJECT,      /* valid JSON, but not an object */
    VL_PROTOCOL_ERROR_UNKNOWN_TYPE,    /* message type, command, event or method not in catalogue */
    VL_PROTOCOL_ERROR_MISSING_FIELD,   /* a required field is absent */
    VL_PROTOCOL_ERROR_WRONG_TYPE,      /* a field has the wrong JSON type */
    VL_PROTOCOL_ERROR_OUT_OF_RANGE,    /* a value is outside its bounds or choices */
    VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION, /* no protocol version in common */
    VL_PROTOCOL_ERROR_RATE_LIMITED,        /* the peer sends faster than allowed */
    VL_PROTOCOL_ERROR_DISABLED,            /* the command is disabled by configuration */
    VL_PROTOCOL_ERROR_FAILED,              /* the command was understood but failed */
    VL_PROTOCOL_ERROR_TIMEOUT,             /* no answer in time */
    VL_PROTOCOL_ERROR_UNSUPPORTED,         /* the command exists but this agent cannot do it */
} VlProtocolError;

#define VL_PROTOCOL_ERROR_N_CODES (VL_PROTOCOL_ERROR_UNSUPPORTED + 1)

/* The stable wire name of a code ("frame_too_large"), or NULL for a code out of range. */
const char *vl_protocol_error_name(VlProtocolError code);

/* The code of a wire name; FALSE when the name is unknown. */
gboolean vl_protocol_error_from_name(const char *name, VlProtocolError *ret_code);

/* A one-line description of the code for documentation. */
const char *vl_protocol_error_describe(VlProtocolError code);

G_END_DECLS
