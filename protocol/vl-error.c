/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-error.h"

/* The macro stringifies its first argument: clang-format would space out the dashes. */
/* clang-format off */
G_DEFINE_QUARK(vl-protocol-error-quark, vl_protocol_error)
/* clang-format on */

static const struct {
    const char *name;
    const char *description;
} error_table[VL_PROTOCOL_ERROR_N_CODES] = {
    [VL_PROTOCOL_ERROR_FRAME_TOO_LARGE] = {"frame_too_large",
                                           "A frame is longer than the receiver's cap."},
    [VL_PROTOCOL_ERROR_INVALID_UTF8] = {"invalid_utf8", "A frame is not valid UTF-8."},
    [VL_PROTOCOL_ERROR_TOO_DEEP] = {"too_deep", "A frame nests deeper than the receiver allows."},
    [VL_PROTOCOL_ERROR_INVALID_JSON] = {"invalid_json", "A frame is not one RFC 8259 JSON text."},
    [VL_PROTOCOL_ERROR_NOT_OBJECT] = {"not_object", "A frame is valid JSON but not an object."},
    [VL_PROTOCOL_ERROR_UNKNOWN_TYPE] = {"unknown_type",
                                        "The message type, command, event or method is unknown."},
    [VL_PROTOCOL_ERROR_MISSING_FIELD] = {"missing_field", "A required field is absent."},
    [VL_PROTOCOL_ERROR_WRONG_TYPE] = {"wrong_type", "A field has the wrong JSON type."},
    [VL_PROTOCOL_ERROR_OUT_OF_RANGE] = {"out_of_range",
                                        "A value is outside its bounds or its allowed choices."},
    [VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION] = {"unsupported_version",
                                               "The peers share no protocol version."},
    [VL_PROTOCOL_ERROR_RATE_LIMITED] = {"rate_limited", "The peer sends faster than allowed."},
    [VL_PROTOCOL_ERROR_DISABLED] = {"disabled", "The command is disabled by configuration."},
    [VL_PROTOCOL_ERROR_FAILED] = {"failed", "The command was valid but carrying it out failed."},
    [VL_PROTOCOL_ERROR_TIMEOUT] = {"timeout", "No answer arrived in time."},
    [VL_PROTOCOL_ERROR_UNSUPPORTED] = {"unsupported",
                                       "The command exists, but this agent cannot carry it out."},
};

const char *
vl_protocol_error_name(VlProtocolError code)
{
    if ((guint)code >= VL_PROTOCOL_ERROR_N_CODES) {
        return NULL;
    }
    return error_table[code].name;
}

const char *
vl_protocol_error_describe(VlProtocolError code)
{
    if ((guint)code >= VL_PROTOCOL_ERROR_N_CODES) {
        return NULL;
    }
    return error_table[code].description;
}

gboolean
vl_protocol_error_from_name(const char *name, VlProtocolError *ret_code)
{
    g_return_val_if_fail(name != NULL, FALSE);

    for (guint i = 0; i < VL_PROTOCOL_ERROR_N_CODES; i++) {
        if (g_str_equal(error_table[i].name, name)) {
            if (ret_code) {
                *ret_code = (VlProtocolError)i;
            }
            return TRUE;
        }
    }
    return FALSE;
}
