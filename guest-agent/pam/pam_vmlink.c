/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pam_vmlink.so: single sign-on with credentials that the guest agent holds (issue 7).
 *
 * Asks for a one-time token through the PAM conversation, trades it at the agent's credential
 * socket for a user and a password (the protocol is in ../vl-sso.h), and sets PAM_USER and
 * PAM_AUTHTOK. It never decides whether the password is right: the next module in the stack
 * (pam_unix with try_first_pass or use_first_pass) does, so the system's own rules apply.
 *
 * Loaded into login programs and greeters: plain C and libpam only, no global state, every
 * buffer that held a token or a password wiped before returning. Options:
 *
 *     socket=PATH    the credential socket (default PAM_VMLINK_SOCKET_PATH)
 *     debug          log each step (never a password or a token)
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam-vmlink-answer.h"
#include "pam-vmlink-wire.h"

/* Built with -fvisibility=hidden: only the PAM entry points leave the module. */
#define PAM_VMLINK_PUBLIC __attribute__((visibility("default")))

#define PAM_VMLINK_PROMPT "vmlink SSO token: "
/* For the whole exchange: a greeter must not hang on an agent that stopped answering. */
#define PAM_VMLINK_TIMEOUT_MS 5000

typedef struct {
    const char *socket_path;
    bool debug;
} PamVmlinkOptions;

/* The agent's answer; its fields point into buf. Wiped before the module returns. */
typedef struct {
    char buf[PAM_VMLINK_ANSWER_MAX + 1]; /* one byte more, to notice an answer too long */
    size_t len;
    PamVmlinkAnswerFields fields;
} PamVmlinkAnswer;

static void
pam_vmlink_parse_options(pam_handle_t *pamh, int argc, const char **argv,
                         PamVmlinkOptions *ret_opts)
{
    ret_opts->socket_path = PAM_VMLINK_SOCKET_PATH;
    ret_opts->debug = false;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "socket=", 7) == 0) {
            ret_opts->socket_path = argv[i] + 7;
        } else if (strcmp(argv[i], "debug") == 0) {
            ret_opts->debug = true;
        } else {
            pam_syslog(pamh, LOG_ERR, "unknown option ignored: %s", argv[i]);
        }
    }
}

/* A token is exactly PAM_VMLINK_TOKEN_LEN characters of base64url: anything else never leaves
 * the module, so a typo or a guess costs the agent nothing. */
static bool
pam_vmlink_token_is_valid(const char *token)
{
    size_t i;

    for (i = 0; token[i] != '\0'; i++) {
        char c = token[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';

        if (!ok || i >= PAM_VMLINK_TOKEN_LEN) {
            return false;
        }
    }
    return i == PAM_VMLINK_TOKEN_LEN;
}

static long long
pam_vmlink_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline_ms: 1 when ready, 0 on timeout, -1 on error. */
static int
pam_vmlink_wait(int fd, short events, long long deadline_ms)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        long long left = deadline_ms - pam_vmlink_now_ms();
        int r;

        if (left <= 0) {
            return 0;
        }
        r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
}

/* Connects to the agent: PAM_SUCCESS with *ret_fd, or PAM_AUTHINFO_UNAVAIL when it is not
 * there (not running, socket missing, backlog full). */
static int
pam_vmlink_connect(pam_handle_t *pamh, const PamVmlinkOptions *opts, long long deadline_ms,
                   int *ret_fd)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct ucred peer = {0};
    socklen_t peer_len = sizeof(peer);
    int fd;

    if (strlen(opts->socket_path) >= sizeof(addr.sun_path)) {
        pam_syslog(pamh, LOG_ERR, "socket path too long: %s", opts->socket_path);
        return PAM_SERVICE_ERR;
    }
    strcpy(addr.sun_path, opts->socket_path);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        pam_syslog(pamh, LOG_ERR, "socket: %m");
        return PAM_SYSTEM_ERR;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        if (errno != EINPROGRESS || pam_vmlink_wait(fd, POLLOUT, deadline_ms) <= 0) {
            pam_syslog(pamh, LOG_ERR, "vmlink agent not reachable at %s: %m", opts->socket_path);
            close(fd);
            return PAM_AUTHINFO_UNAVAIL;
        }
    }
    /* Credentials only from the agent, which runs as root: a socket left at the path by anyone
     * else (the folder of a socket= option open to others, say) must not hand out passwords.
     * A process that is not root itself may talk to its own user's socket (tests do). */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0 ||
        (peer.uid != 0 && peer.uid != getuid())) {
        pam_syslog(pamh, LOG_ERR, "%s is not served by root: refused", opts->socket_path);
        close(fd);
        return PAM_AUTHINFO_UNAVAIL;
    }
    *ret_fd = fd;
    return PAM_SUCCESS;
}

static int
pam_vmlink_send_request(pam_handle_t *pamh, int fd, const char *token, long long deadline_ms)
{
    char request[PAM_VMLINK_REQUEST_MAX + 1];
    size_t len = (size_t)snprintf(request, sizeof(request), "GET %s\n", token);
    size_t sent = 0;
    int rc = PAM_SUCCESS;

    while (sent < len) {
        ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);

        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN && pam_vmlink_wait(fd, POLLOUT, deadline_ms) > 0) {
            continue;
        } else {
            pam_syslog(pamh, LOG_ERR, "cannot send the request to the vmlink agent");
            rc = PAM_AUTHINFO_UNAVAIL;
            break;
        }
    }
    explicit_bzero(request, sizeof(request));
    return rc;
}

/* Reads until the agent closes, at most PAM_VMLINK_ANSWER_MAX bytes, by deadline_ms. */
static int
pam_vmlink_read_answer(pam_handle_t *pamh, int fd, long long deadline_ms, PamVmlinkAnswer *answer)
{
    for (;;) {
        ssize_t n;
        int w;

        if (answer->len == sizeof(answer->buf)) {
            pam_syslog(pamh, LOG_ERR, "answer of the vmlink agent too long");
            return PAM_AUTH_ERR;
        }
        n = recv(fd, answer->buf + answer->len, sizeof(answer->buf) - answer->len, 0);
        if (n > 0) {
            answer->len += (size_t)n;
            continue;
        }
        if (n == 0) {
            return PAM_SUCCESS;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            pam_syslog(pamh, LOG_ERR, "cannot read the answer of the vmlink agent: %m");
            return PAM_AUTHINFO_UNAVAIL;
        }
        w = pam_vmlink_wait(fd, POLLIN, deadline_ms);
        if (w == 0) {
            pam_syslog(pamh, LOG_ERR, "the vmlink agent did not answer within %d ms",
                       PAM_VMLINK_TIMEOUT_MS);
            return PAM_AUTHINFO_UNAVAIL;
        }
        if (w < 0) {
            pam_syslog(pamh, LOG_ERR, "poll: %m");
            return PAM_AUTHINFO_UNAVAIL;
        }
    }
}

/* Parses the answer (pam-vmlink-answer.h) and logs why one is refused. */
static int
pam_vmlink_parse_answer(pam_handle_t *pamh, PamVmlinkAnswer *answer)
{
    const PamVmlinkAnswerFields *f = &answer->fields;

    switch (pam_vmlink_answer_parse(answer->buf, answer->len, &answer->fields)) {
    case PAM_VMLINK_ANSWER_OK:
        return PAM_SUCCESS;
    case PAM_VMLINK_ANSWER_REFUSED:
        /* The parser kept only printable characters: the reason comes from another process. */
        pam_syslog(pamh, LOG_NOTICE, "the vmlink agent refused the token: %.*s", (int)f->reason_len,
                   f->reason);
        break;
    case PAM_VMLINK_ANSWER_MALFORMED:
        pam_syslog(pamh, LOG_ERR, "malformed answer of the vmlink agent");
        break;
    case PAM_VMLINK_ANSWER_BAD_USER:
        pam_syslog(pamh, LOG_ERR, "malformed user in the answer of the vmlink agent");
        break;
    case PAM_VMLINK_ANSWER_USER_CONTROL:
        pam_syslog(pamh, LOG_ERR, "control character in the user sent by the vmlink agent");
        break;
    case PAM_VMLINK_ANSWER_BAD_PASSWORD:
        pam_syslog(pamh, LOG_ERR, "malformed password field in the answer of the vmlink agent");
        break;
    }
    return PAM_AUTH_ERR;
}

/* One exchange with the agent: the token for a user and a password, in answer. */
static int
pam_vmlink_fetch(pam_handle_t *pamh, const PamVmlinkOptions *opts, const char *token,
                 PamVmlinkAnswer *answer)
{
    long long deadline_ms = pam_vmlink_now_ms() + PAM_VMLINK_TIMEOUT_MS;
    int fd = -1;
    int rc;

    if (opts->debug) {
        pam_syslog(pamh, LOG_DEBUG, "asking the vmlink agent at %s", opts->socket_path);
    }
    rc = pam_vmlink_connect(pamh, opts, deadline_ms, &fd);
    if (rc != PAM_SUCCESS) {
        return rc;
    }
    rc = pam_vmlink_send_request(pamh, fd, token, deadline_ms);
    /* Read even after a failed send: an agent that refuses a peer answers at once and closes
     * without reading (the send then fails with EPIPE), and its answer says why. */
    {
        int read_rc = pam_vmlink_read_answer(pamh, fd, deadline_ms, answer);

        if (rc != PAM_SUCCESS && read_rc == PAM_SUCCESS && answer->len > 0) {
            rc = PAM_SUCCESS;
        } else if (rc == PAM_SUCCESS) {
            rc = read_rc;
        }
    }
    close(fd);
    if (rc == PAM_SUCCESS) {
        rc = pam_vmlink_parse_answer(pamh, answer);
    }
    return rc;
}

/* A login program may have named the user already (login USER, a greeter's user list): the
 * token must be for that user, or someone else's credentials would log in. */
static int
pam_vmlink_check_user(pam_handle_t *pamh, const char *user)
{
    const void *item = NULL;
    int rc = pam_get_item(pamh, PAM_USER, &item);

    if (rc != PAM_SUCCESS) {
        return rc;
    }
    if (item != NULL && *(const char *)item != '\0' && strcmp(item, user) != 0) {
        pam_syslog(pamh, LOG_NOTICE, "SSO token is for user %s, not for the requested user %s",
                   user, (const char *)item);
        return PAM_AUTH_ERR;
    }
    return PAM_SUCCESS;
}

PAM_VMLINK_PUBLIC int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    PamVmlinkOptions opts;
    PamVmlinkAnswer answer = {.len = 0};
    char *token = NULL;
    int rc;

    pam_vmlink_parse_options(pamh, argc, argv, &opts);

    rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &token, "%s", PAM_VMLINK_PROMPT);
    if (rc != PAM_SUCCESS) {
        pam_syslog(pamh, LOG_ERR, "conversation failed: %s", pam_strerror(pamh, rc));
        return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
    }
    if (token == NULL || !pam_vmlink_token_is_valid(token)) {
        pam_syslog(pamh, LOG_NOTICE, "malformed SSO token refused");
        rc = PAM_AUTH_ERR;
    } else {
        rc = pam_vmlink_fetch(pamh, &opts, token, &answer);
    }
    if (token != NULL) {
        explicit_bzero(token, strlen(token));
        free(token);
    }

    if (rc == PAM_SUCCESS) {
        rc = pam_vmlink_check_user(pamh, answer.fields.user);
    }
    if (rc == PAM_SUCCESS) {
        rc = pam_set_item(pamh, PAM_USER, answer.fields.user);
    }
    if (rc == PAM_SUCCESS) {
        rc = pam_set_item(pamh, PAM_AUTHTOK, answer.fields.password);
    }
    if (rc == PAM_SUCCESS && opts.debug) {
        pam_syslog(pamh, LOG_DEBUG, "credentials for user %s handed to the next module",
                   answer.fields.user);
    }
    explicit_bzero(&answer, sizeof(answer));
    return rc;
}

PAM_VMLINK_PUBLIC int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return PAM_SUCCESS;
}
