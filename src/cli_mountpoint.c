/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is this a place to mount mcp2210fs? Checked before mounting (and before going to the
 * background), so that the caller gets the reason and a non-zero exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/log.h"
#include "cli_mountpoint.h"

#define MOUNTINFO "/proc/self/mountinfo"

/* mountinfo writes space, tab, newline and backslash in a path as \ooo: undo it in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The file system type of the mount whose root is path on device dev ("" if none). A line:
 * ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS. */
static void mounted_type(const char *path, dev_t dev, char *type, size_t size)
{
	FILE *f = fopen(MOUNTINFO, "r");
	char *line = NULL;
	size_t cap = 0;

	type[0] = '\0';
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		unsigned major, minor;
		char where[4096], fstype[256];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %u:%u %*s %4095s", &major, &minor, where) != 3 ||
		    sscanf(dash, " - %255s", fstype) != 1)
			continue;
		unescape(where);
		if (makedev(major, minor) == dev && strcmp(where, path) == 0)
			snprintf(type, size, "%s", fstype);
	}
	free(line);
	fclose(f);
}

int mountpoint_check(const char *path)
{
	char type[256];
	struct stat st;

	/* mount.fuse3 may hand over an open /dev/fuse as /dev/fd/N instead of a directory */
	if (strncmp(path, "/dev/fd/", 8) == 0)
		return 0;
	if (stat(path, &st) != 0) {
		int err = errno;

		if (err == ENOTCONN) /* a daemon that died left its mount behind */
			log_err("cannot mount on %s: %s (a mount whose daemon died: fusermount3 -u %s first)", path,
				strerror(err), path);
		else
			log_err("cannot mount on %s: %s", path, strerror(err));
		return -err;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("cannot mount on %s: not a directory (mcp2210fs mounts a directory tree)", path);
		return -ENOTDIR;
	}
	mounted_type(path, st.st_dev, type, sizeof(type));
	if (strcmp(type, "fuse.mcp2210fs") == 0) {
		log_err("cannot mount on %s: an mcp2210fs is mounted there already (fusermount3 -u %s first)", path,
			path);
		return -EBUSY;
	}
	return 0;
}
