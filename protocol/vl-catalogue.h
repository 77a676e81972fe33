/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The message catalogue: every message of both protocols as data, and one validator for all.
 *
 * A catalogue is a table of entries keyed by the value of one member of a message ("type" on
 * the guest channel, "method" in the control plane). An entry lists the fields of its message:
 * name, JSON type, required or not, bounds, allowed values, and for objects and arrays the
 * fields of what they hold. A field may also dispatch on a sibling: the "args" of a guest
 * command are checked against the entry of the commands catalogue named by its "name" member.
 * Adding a message is adding an entry; no parsing code changes.
 *
 * Members a field list does not name are ignored (forward compatibility). Bounds are inclusive;
 * for strings they count bytes of UTF-8, for arrays elements, for integers the value.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

typedef enum {
    VL_TYPE_STRING,
    VL_TYPE_INT,    /* an integer */
    VL_TYPE_NUMBER, /* any finite number, integer or not */
    VL_TYPE_BOOL,
    VL_TYPE_OBJECT,
    VL_TYPE_ARRAY,
    VL_TYPE_ID,  /* JSON-RPC id: a string or an integer */
    VL_TYPE_ANY, /* any JSON value; only the frame's limits bound it */
} VlType;

typedef enum {
    VL_FIELD_REQUIRED = 1 << 0,
    VL_FIELD_NULLABLE = 1 << 1, /* null is accepted in place of the value */
} VlFieldFlags;

/* Which side sends a message. Catalogues name their two sides in their titles. */
typedef enum {
    VL_SENDER_HOST = 1 << 0,   /* guest channel: the bridge */
    VL_SENDER_GUEST = 1 << 1,  /* guest channel: the agent */
    VL_SENDER_CLIENT = 1 << 0, /* control plane: the manager */
    VL_SENDER_SERVER = 1 << 1, /* control plane: the bridge */
    VL_SENDER_BOTH = 3,
} VlSender;

typedef struct _VlField VlField;
typedef struct _VlEntry VlEntry;
typedef struct _VlCatalogue VlCatalogue;

struct _VlField {
    const char *name;
    VlType type;
    guint flags;                 /* VlFieldFlags */
    gint64 min, max;             /* bounds; both 0 means unbounded (see VL_NO_BOUND) */
    const char *const *choices;  /* allowed string values, NULL-terminated */
    const VlField *fields;       /* VL_TYPE_OBJECT: its members, ended by a {NULL} field */
    const VlField *items;        /* VL_TYPE_ARRAY: the element (one field; its name is ignored) */
    const VlCatalogue *dispatch; /* VL_TYPE_OBJECT: checked against the entry of this catalogue */
    const char *dispatch_on;     /*   named by this sibling member's string value */
    const char *doc;
};

struct _VlEntry {
    const char *name;      /* the value of the catalogue's key member */
    guint senders;         /* VlSender bits: who may send it */
    const char *summary;   /* one line for the documentation */
    const VlField *fields; /* the message's members (besides the key), ended by {NULL} */
    const VlField *result; /* commands and methods: members of the reply's result, or NULL */
    const char *example;   /* a complete valid message, checked by the tests */
};

struct _VlCatalogue {
    const char *id;     /* short name used in anchors and errors, e.g. "guest-command" */
    const char *title;  /* heading for the documentation */
    const char *key;    /* the member whose value selects the entry */
    const char *member; /* where an entry's fields live: NULL for the message itself, or the
                           member holding them ("args", "data", "params") */
    const char *sender_names[2]; /* what VlSender bit 0 and bit 1 mean here */
    const VlEntry *entries;      /* ended by an entry whose name is NULL */
};

/* Looks up the entry of a name that one of the senders (VlSender bits) may send; NULL when absent.
 * A name may have one entry per sender (the guest channel's hello differs by direction). */
const VlEntry *vl_catalogue_lookup(const VlCatalogue *catalogue, const char *name, guint senders);

/*
 * Checks a whole message: finds the entry named by its key member (which must be a string), and
 * checks the sender may send it and the members against the entry's fields. On success
 * *ret_entry (may be NULL) is set. On failure the error is one of VL_PROTOCOL_ERROR_NOT_OBJECT,
 * _MISSING_FIELD (the key itself too), _UNKNOWN_TYPE, _WRONG_TYPE or _OUT_OF_RANGE, and the
 * message names the path of the offending member ("sections.os.id").
 */
gboolean vl_catalogue_validate(const VlCatalogue *catalogue, VlSender sender, const VlJson *message,
                               const VlEntry **ret_entry, GError **error);

/* Checks an object against a field list alone (the result of a reply, say). */
gboolean vl_fields_validate(const VlField *fields, const VlJson *object, const char *path,
                            GError **error);

/* The catalogues of this protocol version. */
extern const VlCatalogue vl_guest_catalogue;         /* guest channel messages, key "type" */
extern const VlCatalogue vl_guest_command_catalogue; /* "args" of command messages, key "name" */
extern const VlCatalogue vl_guest_event_catalogue;   /* "data" of event messages, key "event" */
extern const VlCatalogue vl_control_catalogue;       /* control plane methods, key "method" */

/* The report sections, in report order, NULL-terminated. */
extern const char *const vl_report_sections[];

/* The catalogue field of a report section ("os", "applications"...), or NULL. */
const VlField *vl_report_section_field(const char *name);

/* Checks the value of one report section against the catalogue, as a report would be. */
gboolean vl_report_validate_section(const char *name, const VlJson *value, GError **error);

/* All catalogues, NULL-terminated, in documentation order. */
extern const VlCatalogue *const vl_catalogues[];

G_END_DECLS
