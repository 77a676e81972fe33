/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes from a peer through the frame reader and every validator.
 *
 * The first input byte chooses the chunk size (1..256), so the fuzzer also explores frame
 * boundaries that fall inside chunks. Every frame delivered is validated as a guest channel
 * message from either side and as a control plane message, then encoded again and read back:
 * what vmlink writes must be what vmlink reads.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vl-protocol.h"

#define FUZZ_MAX_FRAME 4096
#define FUZZ_MAX_DEPTH 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const VlJson *frame)
{
    g_autoptr(VlFrameReader) again = vl_frame_reader_new(FUZZ_MAX_FRAME * 8, FUZZ_MAX_DEPTH);
    g_autoptr(GString) encoded = vl_frame_encode(frame);
    g_autoptr(VlJson) decoded = NULL;
    g_autoptr(GError) error = NULL;
    gsize used = 0;

    if (!vl_frame_reader_push(again, encoded->str, encoded->len, &used, &decoded, &error) ||
        decoded == NULL || used != encoded->len) {
        abort(); /* vmlink wrote a frame that vmlink refuses */
    }
}

static void
check_frame(const VlJson *frame)
{
    VlRpcKind kind;
    VlRpcCode code;
    const VlEntry *entry = NULL;

    (void)vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_HOST, frame, &entry, NULL);
    (void)vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_GUEST, frame, &entry, NULL);
    (void)vl_rpc_validate(frame, VL_SENDER_CLIENT, &kind, &entry, &code, NULL);
    (void)vl_rpc_validate(frame, VL_SENDER_SERVER, &kind, &entry, &code, NULL);
    check_round_trip(frame);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VlFrameReader) reader = vl_frame_reader_new(FUZZ_MAX_FRAME, FUZZ_MAX_DEPTH);
    gsize chunk;

    if (size == 0) {
        return 0;
    }
    chunk = (gsize)data[0] + 1;
    data++;
    size--;

    while (size > 0) {
        gsize n = MIN(chunk, size);
        const char *p = (const char *)data;

        while (n > 0) {
            g_autoptr(VlJson) frame = NULL;
            g_autoptr(GError) error = NULL;
            gsize used = 0;

            if (vl_frame_reader_push(reader, p, n, &used, &frame, &error) && frame) {
                check_frame(frame);
            }
            if (used == 0 || used > n || vl_frame_reader_pending(reader) > FUZZ_MAX_FRAME) {
                abort(); /* no progress, or more held than the cap */
            }
            p += used;
            n -= used;
        }
        data += MIN(chunk, size);
        size -= MIN(chunk, size);
    }
    return 0;
}
