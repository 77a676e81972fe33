/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QEMU guest agent protocol (issue 8), as qemu-ga 7.2 speaks it, so that libvirt and every
 * tool on it (virsh guestinfo, domifaddr --source agent) find vmlink-agent on
 * org.qemu.guest_agent.0 as they would qemu-ga:
 *
 *     {"execute": "guest-sync", "arguments": {"id": 42}, "id": "c1"}
 *     {"return": 42, "id": "c1"}
 *     {"id": "c2", "error": {"class": "CommandNotFound", "desc": "The command x has not been
 * found"}}
 *
 * One table names the commands this agent answers and their arguments; requests are checked
 * against it with qemu-ga's error classes and descriptions, word for word. No I/O: the agent
 * reads with vl-qga-reader.h and answers with the encoders here.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

#define VL_QGA_GENERIC_ERROR "GenericError"
#define VL_QGA_COMMAND_NOT_FOUND "CommandNotFound"
#define VL_QGA_SENTINEL '\xff' /* before guest-sync-delimited's answer */

typedef enum {
    VL_QGA_INT,
    VL_QGA_STRING,
    VL_QGA_BOOL,
} VlQgaType;

typedef struct {
    const char *name;
    VlQgaType type;
    gboolean required;
} VlQgaParam;

typedef struct {
    const char *name;
    const VlQgaParam *params;  /* ended by {NULL} */
    gboolean success_response; /* FALSE: nothing is sent when it succeeds (guest-shutdown) */
} VlQgaCommand;

/* Every command this agent answers, ended by {NULL}. */
extern const VlQgaCommand vl_qga_commands[];
const VlQgaCommand *vl_qga_command_lookup(const char *name);

typedef struct {
    const VlQgaCommand *command;
    const VlJson *arguments; /* an object, or NULL when none was given */
    const VlJson *id;        /* the request's "id", any JSON value, or NULL */
} VlQgaRequest;

/*
 * Checks a parsed MESSAGE as qemu-ga does: an object of execute, arguments and id, a command
 * of the table, its arguments. FALSE with *ret_class (VL_QGA_GENERIC_ERROR or
 * VL_QGA_COMMAND_NOT_FOUND) and *ret_desc (freed by the caller); ret->id is set whenever the
 * message had one, so that the error can carry it.
 */
gboolean vl_qga_request_check(const VlJson *message, VlQgaRequest *ret, const char **ret_class,
                              char **ret_desc);

/*
 * An answer written as it is made: vl_qga_answer_begin() writes {"return": after what FRAME
 * holds and gives a text builder for the value; vl_qga_answer_end() writes the id (ID may be
 * NULL) and the end, and frees the builder. No newline.
 */
VlJsonBuilder *vl_qga_answer_begin(GString *frame);
void vl_qga_answer_end(VlJsonBuilder *b, const VlJson *id);
/* {"return": VALUE, "id": ID} and a newline; ID may be NULL. */
GString *vl_qga_encode_return(const VlJson *value, const VlJson *id);
/* {"id": ID, "error": {"class": CLASS, "desc": DESC}} and a newline; ID may be NULL. */
GString *vl_qga_encode_error(const char *klass, const char *desc, const VlJson *id);

G_END_DECLS
