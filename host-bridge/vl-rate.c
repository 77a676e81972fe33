/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-rate.h"

void
vl_token_bucket_init(VlTokenBucket *b, double rate, double burst, gint64 now_us)
{
    b->rate = rate;
    b->burst = burst;
    b->tokens = burst;
    b->last_us = now_us;
}

static void
refill(VlTokenBucket *b, gint64 now_us)
{
    if (now_us > b->last_us) {
        b->tokens = MIN(b->burst, b->tokens + b->rate * (double)(now_us - b->last_us) / 1e6);
        b->last_us = now_us;
    }
}

gboolean
vl_token_bucket_take(VlTokenBucket *b, double n, gint64 now_us)
{
    if (b->rate <= 0) {
        return TRUE;
    }
    refill(b, now_us);
    if (b->tokens < n) {
        return FALSE;
    }
    b->tokens -= n;
    return TRUE;
}

gboolean
vl_token_bucket_spend(VlTokenBucket *b, double n, gint64 now_us)
{
    if (b->rate <= 0) {
        return TRUE;
    }
    refill(b, now_us);
    b->tokens -= n;
    return b->tokens >= 0;
}

gint64
vl_token_bucket_wait_us(const VlTokenBucket *b, double n, gint64 now_us)
{
    VlTokenBucket copy = *b;
    double missing;

    if (b->rate <= 0) {
        return 0;
    }
    refill(&copy, now_us);
    missing = MIN(n, copy.burst) - copy.tokens; /* n = 0: until out of debt */
    return missing <= 0 ? 0 : (gint64)(missing / copy.rate * 1e6) + 1;
}

gboolean
vl_log_limit_allow(VlLogLimit *l, gint64 now_us, guint *ret_suppressed)
{
    if (l->window_start_us == 0 ||
        now_us - l->window_start_us >= VL_LOG_LIMIT_WINDOW_S * G_USEC_PER_SEC) {
        l->window_start_us = now_us;
        l->logged = 0;
    }
    if (l->logged >= VL_LOG_LIMIT_BURST) {
        l->suppressed++;
        return FALSE;
    }
    l->logged++;
    *ret_suppressed = l->suppressed;
    l->suppressed = 0;
    return TRUE;
}
