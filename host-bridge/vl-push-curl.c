/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push's HTTPS client: libcurl's multi interface on the GLib main loop.
 *
 * Why the multi interface rather than a thread with curl_easy_perform(): the bridge's state
 * lives on the loop's thread, and a POST is a handful of callbacks there (libcurl asks which
 * sockets to watch and when to wake it; curl_multi_socket_action() does the rest without
 * blocking). A push thread would need the queue, the counters and the target shared under a
 * lock, and cancelling a POST at a release would mean interrupting a blocking call.
 *
 * libcurl calls back (on_socket, on_timer) from inside its own functions, where it must not be
 * re-entered: those callbacks only change GLib sources, and the work happens when the loop
 * dispatches them.
 */
#include "vl-push-private.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "vl-openssl.h"
#include "vl-tls-identity.h"

/* A manager answers a push with a status and a few words at most. */
#define MAX_ANSWER (64 * 1024)
/* What of an answer's body goes into last_error. */
#define ANSWER_EXCERPT 200

/* The control plane's policy (vl-tls-context.c): ECDHE with an AEAD cipher. */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:"   \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

/* clang-format off */
G_DEFINE_QUARK(vl-push-error-quark, vl_push_error)
/* clang-format on */

struct _VlPushHttp {
    CURLM *multi;
    GHashTable *watches; /* socket → GLib source id */
    guint timer_id;
    GHashTable *posts; /* VlPushPost set */
    char *cert_file;
    char *key_file;
    char *pin;
    guint timeout_s;
};

struct _VlPushPost {
    VlPushHttp *http;
    CURL *easy;
    GBytes *body;
    struct curl_slist *headers;
    GString *answer;
    gboolean answer_too_large;
    char errbuf[CURL_ERROR_SIZE];
    VlPushDoneFunc done;
    gpointer user_data;
};

/* The pin --------------------------------------------------------------------------------- */

char *
vl_push_pin_of_pem(const char *pem, GError **error)
{
    g_autoptr(BIO) bio = BIO_new_mem_buf(pem, -1);
    g_autoptr(X509) cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = cert ? X509_get0_pubkey(cert) : NULL;
    unsigned char *der = NULL;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    g_autofree char *b64 = NULL;
    int len;

    if (key == NULL || (len = i2d_PUBKEY(key, &der)) <= 0) {
        g_set_error(error, VL_PUSH_ERROR, VL_PUSH_ERROR_PIN,
                    "the manager's certificate cannot be read to pin its key");
        return NULL;
    }
    SHA256(der, (size_t)len, digest);
    OPENSSL_free(der);
    b64 = g_base64_encode(digest, sizeof(digest));
    return g_strconcat("sha256//", b64, NULL);
}

/* Posts ------------------------------------------------------------------------------------ */

static void
post_free(VlPushPost *post)
{
    curl_multi_remove_handle(post->http->multi, post->easy);
    curl_easy_cleanup(post->easy);
    curl_slist_free_all(post->headers);
    g_bytes_unref(post->body);
    g_string_free(post->answer, TRUE);
    g_free(post);
}

static size_t
collect_answer(char *data, size_t size, size_t nmemb, void *user_data)
{
    VlPushPost *post = user_data;
    size_t len = size * nmemb;

    if (post->answer->len + len > MAX_ANSWER) {
        post->answer_too_large = TRUE;
        return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    g_string_append_len(post->answer, data, (gssize)len);
    return len;
}

/* The start of an answer's body, printable ASCII only: the manager's words go into a log. */
static char *
answer_excerpt(const GString *answer)
{
    GString *s = g_string_new(NULL);

    for (gsize i = 0; i < answer->len && s->len < ANSWER_EXCERPT; i++) {
        char c = answer->str[i];

        if (c == '\n' || c == '\r') {
            break;
        }
        g_string_append_c(s, g_ascii_isprint(c) ? c : '?');
    }
    return g_string_free(s, FALSE);
}

static GError *
post_error(VlPushPost *post, CURLcode code)
{
    long status = 0;

    if (post->answer_too_large) {
        return g_error_new(VL_PUSH_ERROR, VL_PUSH_ERROR_TRANSPORT,
                           "the answer is larger than %d bytes", MAX_ANSWER);
    }
    if (code != CURLE_OK) {
        return g_error_new(VL_PUSH_ERROR, VL_PUSH_ERROR_TRANSPORT, "%s",
                           post->errbuf[0] ? post->errbuf : curl_easy_strerror(code));
    }
    curl_easy_getinfo(post->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        g_autofree char *excerpt = answer_excerpt(post->answer);

        return g_error_new(VL_PUSH_ERROR, VL_PUSH_ERROR_STATUS, "HTTP status %ld%s%s", status,
                           excerpt[0] ? ": " : "", excerpt);
    }
    return NULL;
}

/* Hands each finished POST to its done function. */
static void
check_done(VlPushHttp *http)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
        VlPushPost *post = NULL;
        g_autoptr(GError) error = NULL;
        VlPushDoneFunc done;
        gpointer user_data;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&post);
        /* msg is libcurl's and dies with the handle: read everything first. */
        error = post_error(post, msg->data.result);
        done = post->done;
        user_data = post->user_data;
        g_hash_table_remove(http->posts, post);
        post_free(post);
        done(error, user_data);
    }
}

/* libcurl on the GLib loop ------------------------------------------------------------------ */

static gboolean
on_fd(int fd, GIOCondition condition, gpointer user_data)
{
    VlPushHttp *http = user_data;
    int action = 0;
    int running;

    if (condition & G_IO_IN) {
        action |= CURL_CSELECT_IN;
    }
    if (condition & G_IO_OUT) {
        action |= CURL_CSELECT_OUT;
    }
    if (condition & (G_IO_ERR | G_IO_HUP)) {
        action |= CURL_CSELECT_ERR;
    }
    /* on_socket may remove this source meanwhile: returning TRUE for it is harmless. */
    curl_multi_socket_action(http->multi, fd, action, &running);
    check_done(http);
    return G_SOURCE_CONTINUE;
}

static void
unwatch(VlPushHttp *http, curl_socket_t fd)
{
    gpointer id;

    if (g_hash_table_steal_extended(http->watches, GINT_TO_POINTER(fd), NULL, &id)) {
        g_source_remove(GPOINTER_TO_UINT(id));
    }
}

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *user_data, void *socket_data)
{
    VlPushHttp *http = user_data;
    GIOCondition condition = G_IO_ERR | G_IO_HUP;
    guint id;

    unwatch(http, fd);
    if (what == CURL_POLL_REMOVE) {
        return 0;
    }
    if (what & CURL_POLL_IN) {
        condition |= G_IO_IN;
    }
    if (what & CURL_POLL_OUT) {
        condition |= G_IO_OUT;
    }
    id = g_unix_fd_add(fd, condition, on_fd, http);
    g_hash_table_insert(http->watches, GINT_TO_POINTER(fd), GUINT_TO_POINTER(id));
    return 0;
}

static gboolean
on_timeout(gpointer user_data)
{
    VlPushHttp *http = user_data;
    int running;

    http->timer_id = 0; /* on_timer may set a new one from inside the call */
    curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(http);
    return G_SOURCE_REMOVE;
}

static int
on_timer(CURLM *multi, long timeout_ms, void *user_data)
{
    VlPushHttp *http = user_data;

    if (http->timer_id) {
        g_source_remove(http->timer_id);
        http->timer_id = 0;
    }
    /* Even a timeout of 0 goes through the loop: libcurl must not be re-entered from here. */
    if (timeout_ms >= 0) {
        http->timer_id = g_timeout_add((guint)MIN(timeout_ms, G_MAXINT), on_timeout, http);
    }
    return 0;
}

static CURLM *
multi_new(VlPushHttp *http)
{
    CURLM *multi = curl_multi_init();

    g_assert(multi != NULL); /* only out of memory */
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, http);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, http);
    return multi;
}

/* Drops every POST, connection and source: at free, and when the peer to pin changes. */
static void
multi_close(VlPushHttp *http)
{
    GHashTableIter iter;
    gpointer post;

    g_hash_table_iter_init(&iter, http->posts);
    while (g_hash_table_iter_next(&iter, &post, NULL)) {
        g_hash_table_iter_remove(&iter);
        post_free(post);
    }
    g_clear_pointer(&http->multi, curl_multi_cleanup);
    g_hash_table_remove_all(http->watches); /* values are source ids: removed below */
    g_clear_handle_id(&http->timer_id, g_source_remove);
}

static void
remove_source(gpointer id)
{
    g_source_remove(GPOINTER_TO_UINT(id));
}

VlPushHttp *
vl_push_http_new(void)
{
    VlPushHttp *http = g_new0(VlPushHttp, 1);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    http->watches = g_hash_table_new_full(NULL, NULL, NULL, remove_source);
    http->posts = g_hash_table_new(NULL, NULL);
    http->multi = multi_new(http);
    return http;
}

void
vl_push_http_free(VlPushHttp *http)
{
    if (http == NULL) {
        return;
    }
    multi_close(http);
    g_hash_table_unref(http->watches);
    g_hash_table_unref(http->posts);
    g_free(http->cert_file);
    g_free(http->key_file);
    g_free(http->pin);
    g_free(http);
    curl_global_cleanup();
}

gboolean
vl_push_http_configure(VlPushHttp *http, const char *identity_dir, const char *manager_cert_pem,
                       guint timeout_s, GError **error)
{
    g_autofree char *pin = vl_push_pin_of_pem(manager_cert_pem, error);

    if (pin == NULL) {
        return FALSE;
    }
    /* Connections kept alive were checked against the old pin and identity: start afresh. */
    multi_close(http);
    http->multi = multi_new(http);
    g_free(http->cert_file);
    g_free(http->key_file);
    g_free(http->pin);
    http->cert_file = g_build_filename(identity_dir, VL_TLS_CERT_FILE, NULL);
    http->key_file = g_build_filename(identity_dir, VL_TLS_KEY_FILE, NULL);
    http->pin = g_steal_pointer(&pin);
    http->timeout_s = timeout_s;
    return TRUE;
}

static void
set_tls(VlPushHttp *http, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, TLS12_CIPHERS);
    curl_easy_setopt(e, CURLOPT_TLS13_CIPHERS, TLS13_SUITES);
    curl_easy_setopt(e, CURLOPT_SSLCERT, http->cert_file);
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLKEY, http->key_file);
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    /* The manager's certificate is self-signed and no CA vouches for it: the pin of its key is
     * the check, and libcurl makes it whether or not it verifies the chain. */
    curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, http->pin);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
}

static void
set_http(VlPushHttp *http, VlPushPost *post, const char *url)
{
    CURL *e = post->easy;
    gsize len;
    const char *data = g_bytes_get_data(post->body, &len);

    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    /* An https_proxy in vmlinkd's environment must not see the bridge's pushes. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "vmlinkd/" VL_VERSION);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)http->timeout_s * 1000);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)http->timeout_s * 1000);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    /* "Expect:" off: a large batch goes at once rather than after a round trip. */
    post->headers = curl_slist_append(post->headers, "Content-Type: application/json");
    post->headers = curl_slist_append(post->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, post->headers);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_ANSWER);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect_answer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, post);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, post->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, post);
}

VlPushPost *
vl_push_http_post(VlPushHttp *http, const char *url, GBytes *body, VlPushDoneFunc done,
                  gpointer user_data)
{
    VlPushPost *post = g_new0(VlPushPost, 1);

    g_return_val_if_fail(http->pin != NULL, NULL);

    post->http = http;
    post->easy = curl_easy_init();
    g_assert(post->easy != NULL); /* only out of memory */
    post->body = g_bytes_ref(body);
    post->answer = g_string_new(NULL);
    post->done = done;
    post->user_data = user_data;
    set_http(http, post, url);
    set_tls(http, post->easy);
    g_hash_table_add(http->posts, post);
    /* Nothing happens here but a timer: the transfer starts when the loop runs it. */
    curl_multi_add_handle(http->multi, post->easy);
    return post;
}

void
vl_push_http_cancel(VlPushHttp *http, VlPushPost *post)
{
    if (post && g_hash_table_remove(http->posts, post)) {
        post_free(post);
    }
}
