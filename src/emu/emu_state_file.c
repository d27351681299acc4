/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated chip's state file as a file: the path a symlink chain ends at, an exclusive
 * flock(2) held for the emulator's whole life (one file, one chip, one process), and atomic
 * replacement by a mode 0600 temp file renamed over it in the target's own directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/emu_internal.h"

#define STATE_SYMLINK_HOPS 40 /* as the kernel's own limit on nested symlinks */
#define STATE_LOCK_TRIES 8

/* dir_of(path) + "/" + name: a relative symlink's target is relative to the link's directory. */
static char *join_dir(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0, len = strlen(name);
	char *out = malloc(dir + len + 1);

	if (!out)
		return NULL;
	memcpy(out, path, dir);
	memcpy(out + dir, name, len + 1);
	return out;
}

char *emu_state_target(const char *path)
{
	char *cur = strdup(path);

	for (unsigned hops = 0; cur; hops++) {
		char link[PATH_MAX];
		struct stat st;
		char *next;
		ssize_t n;

		/* Missing, or not a symlink: this is the file (its open says what is wrong). */
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			return cur;
		n = hops < STATE_SYMLINK_HOPS ? readlink(cur, link, sizeof(link) - 1) : -1;
		if (n < 0) {
			int err = hops < STATE_SYMLINK_HOPS ? errno : ELOOP;

			free(cur);
			errno = err;
			return NULL;
		}
		link[n] = '\0';
		next = link[0] == '/' ? strdup(link) : join_dir(cur, link);
		free(cur);
		cur = next;
	}
	errno = ENOMEM;
	return NULL;
}

int emu_state_open(struct emu *e)
{
	for (unsigned tries = 0; tries < STATE_LOCK_TRIES; tries++) {
		struct stat held, named;
		int fd = open(e->state_file, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

			close(fd);
			return ret;
		}
		/* The lock is only good if the name still leads to this file: its previous holder
		 * may have replaced it (a save) between our open and our flock. */
		if (fstat(fd, &held) == 0 && stat(e->state_file, &named) == 0 && held.st_dev == named.st_dev &&
		    held.st_ino == named.st_ino) {
			e->state_fd = fd;
			return 0;
		}
		close(fd);
	}
	return -EBUSY;
}

void emu_state_close(struct emu *e)
{
	if (e->state_fd >= 0)
		close(e->state_fd);
	e->state_fd = -1;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A root daemon saving a user's file keeps it the user's (best effort: only root can). */
static void keep_owner(const struct emu *e, int fd)
{
	struct stat old;

	if (e->state_fd >= 0 && fstat(e->state_fd, &old) == 0 && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
	    fchown(fd, old.st_uid, old.st_gid) != 0) {
		/* not root: the file becomes ours, as any editor's save would make it */
	}
}

/* Put the new file in place. The first save must not replace a file another process made
 * meanwhile: link(2) fails with EEXIST where rename(2) would replace (file systems without
 * hard links fall back to rename). */
static int install(const struct emu *e, const char *tmp)
{
	if (e->state_fd < 0) {
		if (link(tmp, e->state_file) == 0) {
			unlink(tmp);
			return 0;
		}
		if (errno == EEXIST)
			return -EEXIST;
	}
	return rename(tmp, e->state_file) == 0 ? 0 : -errno;
}

int emu_state_replace(struct emu *e, const char *data, size_t len)
{
	size_t size = strlen(e->state_file) + sizeof(".XXXXXX");
	char *tmp = malloc(size);
	int fd, ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, size, "%s.XXXXXX", e->state_file);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600: the file holds the NVRAM password */
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	keep_owner(e, fd);
	ret = write_all(fd, data, len);
	if (!ret && fsync(fd) != 0)
		ret = -errno;
	/* Locked before its name appears: nobody can lock the new file first. */
	if (!ret && flock(fd, LOCK_EX | LOCK_NB) != 0)
		ret = -errno;
	if (!ret)
		ret = install(e, tmp);
	if (ret) {
		unlink(tmp);
		close(fd);
		goto out_free;
	}
	emu_state_close(e);
	e->state_fd = fd;
out_free:
	free(tmp);
	return ret;
}
