/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Passwords and confirmations: typed on the terminal without echo, or one line each on the
 * standard input for scripts. Buffers that held a password are wiped before they are freed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vl-ctl.h"
#include "vl-protocol.h"

/* The catalogue's bound on a password, so that a longer one is refused before it is sent; one
 * byte more tells a line that is too long. */
#define SECRET_MAX_LEN VL_PASSWORD_MAX_LEN

void
vl_ctl_secret_free(VlCtlSecret *secret)
{
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        g_free(secret);
    }
}

/*
 * One line from fd, a byte at a time so that the next line stays for the next reader (change
 * password reads two). NULL at the end of input before any byte; *ret_too_long when the line
 * does not fit; *ret_not_text when it holds a NUL byte (what follows it would be neither sent
 * nor wiped, as secrets end at their NUL) or is not UTF-8 (JSON strings cannot carry it).
 */
static char *
read_line(int fd, gboolean *ret_too_long, gboolean *ret_not_text, int *ret_errno)
{
    char *buf = g_malloc0(SECRET_MAX_LEN + 2);
    gsize len = 0;
    gboolean any = FALSE;

    *ret_too_long = FALSE;
    *ret_not_text = FALSE;
    *ret_errno = 0;
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *ret_errno = errno;
            break;
        }
        if (n == 0 || c == '\n') {
            any = any || n == 1;
            break;
        }
        any = TRUE;
        if (len <= SECRET_MAX_LEN) {
            buf[len++] = c;
        } else {
            *ret_too_long = TRUE; /* read on to the line's end, keeping nothing more */
        }
        c = 0;
    }
    if (len > 0 && buf[len - 1] == '\r') {
        buf[--len] = '\0';
    }
    if (len > SECRET_MAX_LEN) {
        *ret_too_long = TRUE;
    }
    if (!*ret_too_long && (memchr(buf, '\0', len) || !g_utf8_validate(buf, (gssize)len, NULL))) {
        *ret_not_text = TRUE;
    }
    if (!any || *ret_errno != 0 || *ret_too_long || *ret_not_text) {
        OPENSSL_cleanse(buf, SECRET_MAX_LEN + 2);
        g_free(buf);
        return NULL;
    }
    return buf;
}

VlCtlSecret *
vl_ctl_read_secret(const char *prompt, gboolean from_stdin, GError **error)
{
    gboolean terminal = !from_stdin && isatty(STDIN_FILENO);
    struct termios saved;
    gboolean restore = FALSE;
    gboolean too_long = FALSE;
    gboolean not_text = FALSE;
    int errsv = 0;
    char *line;

    if (terminal) {
        /* The prompt starts a line, the messages below use it inside a sentence. */
        fprintf(stderr, "%c%s: ", g_ascii_toupper(prompt[0]), prompt + 1);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            struct termios quiet = saved;

            /* No echo, but the newline shows; TCSAFLUSH drops what was typed (and echoed)
             * before the prompt. */
            quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
            quiet.c_lflag |= ECHONL;
            restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    line = read_line(STDIN_FILENO, &too_long, &not_text, &errsv);
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
    }
    if (line == NULL || *line == '\0') {
        const char *where = terminal ? "typed" : "on the standard input";
        gboolean empty = line != NULL; /* a line, but nothing on it */

        vl_ctl_secret_free(line);
        if (errsv != 0) {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "cannot read the %s: %s", prompt,
                        g_strerror(errsv));
        } else if (too_long) {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT,
                        "the %s %s is longer than %d bytes", prompt, where, SECRET_MAX_LEN);
        } else if (not_text) {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT,
                        "the %s %s is not UTF-8 text (or holds a NUL byte): it cannot be sent",
                        prompt, where);
        } else if (empty) {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT,
                        "the %s %s is empty (an empty line)", prompt, where);
        } else {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "no %s %s (give it as one line%s)",
                        prompt, where, terminal ? "" : ", e.g. --password-stdin < FILE");
        }
        return NULL;
    }
    return line;
}

gboolean
vl_ctl_confirm(const char *question)
{
    g_autofree char *line = NULL;
    gboolean too_long = FALSE;
    gboolean not_text = FALSE;
    int errsv = 0;

    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    line = read_line(STDIN_FILENO, &too_long, &not_text, &errsv);
    if (line == NULL) {
        return FALSE;
    }
    g_strstrip(line);
    return g_ascii_strcasecmp(line, "y") == 0 || g_ascii_strcasecmp(line, "yes") == 0;
}
