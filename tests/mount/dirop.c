/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One name-space or metadata operation with an exactly checkable outcome, for the mounted
 * tests: prints "OK" (or the value asked for) on success, the errno's name on failure.
 *
 *   dirop create PATH           open(O_CREAT|O_EXCL|O_WRONLY, 0644), as `touch NEW` or sed -i
 *   dirop mknod PATH            mknod(S_IFIFO|0644), as mkfifo
 *   dirop mkdir PATH | rmdir PATH | unlink PATH
 *   dirop rename OLD NEW | link OLD NEW | symlink TARGET PATH
 *   dirop touch PATH            utimensat(NULL): both times now, as `touch FILE`
 *   dirop settime PATH SEC      utimensat: atime and mtime SEC.0, as `touch -d`
 *   dirop times PATH            prints "atime mtime ctime" in whole seconds (stat)
 *
 * Exit status 0 on success, 1 on an error, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: dirop create|mknod|mkdir|rmdir|unlink|touch|times PATH |\n"
			"       dirop rename|link OLD NEW | symlink TARGET PATH | settime PATH SEC\n");
	return 2;
}

static int result(int ret)
{
	if (ret < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("OK\n");
	return 0;
}

static int create(const char *path)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static int settime(const char *path, const char *sec)
{
	char *end;
	long long v = strtoll(sec, &end, 10);
	struct timespec ts[2];

	if (end == sec || *end)
		return usage();
	ts[0] = ts[1] = (struct timespec){ .tv_sec = (time_t)v, .tv_nsec = 0 };
	return result(utimensat(AT_FDCWD, path, ts, 0));
}

static int times(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return result(-1);
	printf("%lld %lld %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec,
	       (long long)st.st_ctim.tv_sec);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (argc == 3) {
		if (!strcmp(op, "create"))
			return result(create(argv[2]));
		if (!strcmp(op, "mknod"))
			return result(mknod(argv[2], S_IFIFO | 0644, 0));
		if (!strcmp(op, "mkdir"))
			return result(mkdir(argv[2], 0755));
		if (!strcmp(op, "rmdir"))
			return result(rmdir(argv[2]));
		if (!strcmp(op, "unlink"))
			return result(unlink(argv[2]));
		if (!strcmp(op, "touch"))
			return result(utimensat(AT_FDCWD, argv[2], NULL, 0));
		if (!strcmp(op, "times"))
			return times(argv[2]);
	} else if (argc == 4) {
		if (!strcmp(op, "rename"))
			return result(rename(argv[2], argv[3]));
		if (!strcmp(op, "link"))
			return result(link(argv[2], argv[3]));
		if (!strcmp(op, "symlink"))
			return result(symlink(argv[2], argv[3]));
		if (!strcmp(op, "settime"))
			return settime(argv[2], argv[3]);
	}
	return usage();
}
