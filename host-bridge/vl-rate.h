/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rates: a token bucket (how much a guest may send) and a log limiter (how often one VM's
 * trouble may be logged). Both take the time from the caller (monotonic microseconds), so
 * tests drive them without sleeping.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    double rate;  /* tokens per second; 0: no limit */
    double burst; /* most tokens held */
    double tokens;
    gint64 last_us;
} VlTokenBucket;

void vl_token_bucket_init(VlTokenBucket *bucket, double rate, double burst, gint64 now_us);
/* Takes n tokens if there are that many (refilling first); FALSE leaves the bucket as is. */
gboolean vl_token_bucket_take(VlTokenBucket *bucket, double n, gint64 now_us);
/* Spends n tokens even when there are fewer (the bucket goes into debt, paid back before
 * anything more is allowed); TRUE when the bucket is not in debt afterwards. */
gboolean vl_token_bucket_spend(VlTokenBucket *bucket, double n, gint64 now_us);
/* Microseconds until n tokens are there (0 when they already are). */
gint64 vl_token_bucket_wait_us(const VlTokenBucket *bucket, double n, gint64 now_us);

typedef struct {
    gint64 window_start_us;
    guint logged;     /* messages logged in this window */
    guint suppressed; /* messages not logged in this window */
} VlLogLimit;

/* At most VL_LOG_LIMIT_BURST messages per VL_LOG_LIMIT_WINDOW_S. Returns TRUE when this one
 * may be logged; *ret_suppressed is then the number left out since the last one logged. */
#define VL_LOG_LIMIT_BURST 5
#define VL_LOG_LIMIT_WINDOW_S 60
gboolean vl_log_limit_allow(VlLogLimit *limit, gint64 now_us, guint *ret_suppressed);

G_END_DECLS
