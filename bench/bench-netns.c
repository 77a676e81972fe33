/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench-netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-common.h"

#define ACK_TIMEOUT_S 2

struct _BenchNetns {
    int fd;
    int lo_index;
    guint32 seq;
};

typedef struct {
    GPid pid;
    BenchNetns *ns;
    char *failure;
} OpenJob;

/*
 * Runs in a thread of its own, because joining a network namespace moves only the calling
 * thread. A netlink socket stays in the namespace it was created in, so the thread can end.
 */
static gpointer
open_in_namespace(gpointer user_data)
{
    OpenJob *job = user_data;
    g_autofree char *path = g_strdup_printf("/proc/%d/ns/net", job->pid);
    int ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    struct timeval timeout = {.tv_sec = ACK_TIMEOUT_S};

    if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) < 0) {
        job->failure = g_strdup_printf("cannot enter %s: %s", path, g_strerror(errno));
        if (ns_fd >= 0) {
            close(ns_fd);
        }
        return NULL;
    }
    close(ns_fd);
    job->ns = g_new0(BenchNetns, 1);
    job->ns->lo_index = (int)if_nametoindex("lo");
    job->ns->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (job->ns->fd < 0 || job->ns->lo_index == 0) {
        job->failure = g_strdup_printf("no rtnetlink or no lo in %s: %s", path, g_strerror(errno));
        return NULL;
    }
    setsockopt(job->ns->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return NULL;
}

BenchNetns *
bench_netns_open(GPid pid, GError **error)
{
    OpenJob job = {.pid = pid};

    g_thread_join(g_thread_new("bench-netns", open_in_namespace, &job));
    if (job.failure) {
        g_set_error_literal(error, BENCH_ERROR, BENCH_ERROR_FAILED, job.failure);
        g_free(job.failure);
        bench_netns_free(job.ns);
        return NULL;
    }
    return job.ns;
}

void
bench_netns_free(BenchNetns *ns)
{
    if (ns) {
        if (ns->fd >= 0) {
            close(ns->fd);
        }
        g_free(ns);
    }
}

static void
add_attr(struct nlmsghdr *nh, gsize room, unsigned short type, const void *data, gsize len)
{
    struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

    g_assert(NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len) <= room);
    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(rta), data, len);
    nh->nlmsg_len = (guint32)(NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len));
}

gboolean
bench_netns_set_address(BenchNetns *ns, const char *ipv4, gboolean add, GError **error)
{
    struct {
        struct nlmsghdr nh;
        struct ifaddrmsg ifa;
        char attrs[64];
    } req = {0};
    union {
        struct nlmsghdr nh;
        char bytes[1024];
    } ack;
    struct in_addr address;
    ssize_t n;

    if (inet_pton(AF_INET, ipv4, &address) != 1) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "not an IPv4 address: %s", ipv4);
        return FALSE;
    }
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifa);
    req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    req.nh.nlmsg_seq = ++ns->seq;
    req.ifa.ifa_family = AF_INET;
    req.ifa.ifa_prefixlen = 32;
    req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    req.ifa.ifa_index = (unsigned)ns->lo_index;
    add_attr(&req.nh, sizeof req, IFA_LOCAL, &address, sizeof address);
    add_attr(&req.nh, sizeof req, IFA_ADDRESS, &address, sizeof address);

    if (send(ns->fd, &req, req.nh.nlmsg_len, 0) < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "rtnetlink send: %s",
                    g_strerror(errno));
        return FALSE;
    }
    /* The kernel has made the change when send() returns; the acknowledgement says how it went. */
    n = recv(ns->fd, &ack, sizeof ack, 0);
    if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || ack.nh.nlmsg_type != NLMSG_ERROR ||
        ack.nh.nlmsg_seq != ns->seq) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "no acknowledgement from rtnetlink%s%s",
                    n < 0 ? ": " : "", n < 0 ? g_strerror(errno) : "");
        return FALSE;
    }
    if (((struct nlmsgerr *)NLMSG_DATA(&ack.nh))->error != 0) {
        int code = -((struct nlmsgerr *)NLMSG_DATA(&ack.nh))->error;

        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s %s on lo: %s",
                    add ? "adding" : "removing", ipv4, g_strerror(code));
        return FALSE;
    }
    return TRUE;
}
