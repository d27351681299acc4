/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text attributes over FUSE requests, sysfs style: the file offset is ignored, a value is a
 * line, and a line written in several write(2)s is applied once, whole, when it is complete.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"

/* The value is produced at offset 0 and served from the open file for later offsets, like
 * sysfs. */
ssize_t fs_text_read(struct mount *m, struct fs_file *f, char *buf, size_t size, off_t off)
{
	if (off == 0 || !f->text_valid) {
		int ret;

		text_init(&f->text);
		f->text_valid = false;
		ret = f->node->ops->show(m, f->node, &f->text);
		if (ret < 0)
			return ret;
		if (f->text.overflow)
			return -EIO;
		f->text_valid = true;
	}
	if (off < 0 || (size_t)off >= f->text.len)
		return 0;
	if (size > f->text.len - (size_t)off)
		size = f->text.len - (size_t)off;
	memcpy(buf, f->text.buf + off, size);
	return (ssize_t)size;
}

/* Held text may be the NVRAM password (nvram/unlock): wiped, not just freed. */
static void drop_pending(struct fs_file *f)
{
	if (f->pending)
		explicit_bzero(f->pending, f->pending_len);
	free(f->pending);
	f->pending = NULL;
	f->pending_len = 0;
}

/* Apply text (held text and the write that completed it) as one value or one batch of lines. */
static int apply(struct mount *m, struct fs_file *f, const char *text, size_t len)
{
	char value[TEXT_MAX];
	int ret;

	/* The newline of a line that came in pieces, or one written alone: nothing to apply. */
	if (len == 1 && text[0] == '\n')
		return 0;
	ret = text_value(text, len, f->node->ops->multiline, value, sizeof(value)) < 0 ? -EINVAL
											   : f->node->ops->store(m, f->node, value);
	explicit_bzero(value, sizeof(value));
	return ret;
}

/* Append data to the held text: -EINVAL (everything dropped) when it grows longer than any
 * text attribute takes (TEXT_MAX with its newline). */
static int hold(struct fs_file *f, const char *data, size_t size)
{
	if (f->pending_len + size > TEXT_MAX) {
		drop_pending(f);
		return -EINVAL;
	}
	/* one allocation of the largest size: realloc would leave copies behind */
	if (!f->pending) {
		f->pending = malloc(TEXT_MAX);
		if (!f->pending)
			return -ENOMEM;
	}
	memcpy(f->pending + f->pending_len, data, size);
	f->pending_len += size;
	return 0;
}

/* Multi-line files: shells write "a=1\nb=2" as "a=1\n" then "b=2" (bash line-buffers its
 * builtins), so no single write(2) shows the whole input. Each write is checked with the
 * text before it, so a bad line fails the write that brings it (visible to the shell) and
 * nothing is applied; the whole text is applied at close, as one job. */
static ssize_t lines_write(struct fs_file *f, const char *data, size_t size)
{
	char value[TEXT_MAX];
	int ret = hold(f, data, size);

	if (ret < 0)
		return ret;
	if (f->pending_len == 1 && f->pending[0] == '\n')
		return (ssize_t)size;
	if (text_value(f->pending, f->pending_len, true, value, sizeof(value)) < 0 || f->node->ops->check(value) < 0)
		ret = -EINVAL;
	explicit_bzero(value, sizeof(value));
	if (ret < 0)
		drop_pending(f);
	return ret < 0 ? ret : (ssize_t)size;
}

/*
 * One-value files: shells and printf implementations may write one line in pieces ("1",
 * "5", "0", "\n"). Applying each piece as sysfs does would set 1, then 5, then 0 and fail on
 * the newline: a state nobody asked for. Text without a newline is held and applied by the
 * write that brings the newline (its error returned by that write) or at close (the error
 * returned by close(2)). `echo 1 > value` is one write with its newline: applied at once.
 */
ssize_t fs_text_write(struct mount *m, struct fs_file *f, const char *data, size_t size)
{
	char text[TEXT_MAX];
	size_t len;
	int ret;

	if (f->node->ops->multiline)
		return lines_write(f, data, size);
	ret = hold(f, data, size);
	if (ret < 0 || !memchr(data, '\n', size))
		return ret < 0 ? ret : (ssize_t)size;
	len = f->pending_len;
	memcpy(text, f->pending, len);
	drop_pending(f);
	ret = apply(m, f, text, len);
	explicit_bzero(text, len);
	return ret < 0 ? ret : (ssize_t)size;
}

int fs_text_flush(struct mount *m, struct fs_file *f)
{
	char text[TEXT_MAX];
	size_t len = f->pending_len;
	int ret;

	if (!len)
		return 0;
	memcpy(text, f->pending, len);
	drop_pending(f);
	ret = apply(m, f, text, len);
	explicit_bzero(text, len);
	if (ret < 0)
		log_warn("%s: the value written without a newline was refused at close: %s", f->node->name,
			 strerror(-ret));
	return ret;
}

void fs_text_release(struct fs_file *f)
{
	if (f->pending_len)
		log_warn("%s: %zu bytes written but never flushed, dropped", f->node->name, f->pending_len);
	drop_pending(f);
}
