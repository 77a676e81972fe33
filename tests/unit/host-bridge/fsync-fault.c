/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fsync-fault.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

gboolean vl_test_fail_folder_fsync;

int
fsync(int fd)
{
    struct stat st;

    if (vl_test_fail_folder_fsync && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}
