/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text attributes over FUSE requests, sysfs style: the file offset is ignored, each write(2)
 * is applied at once, and a line written in several write(2)s ends as the whole line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "util/log.h"

/* The value is produced at offset 0 and served from the open file for later offsets, like
 * sysfs. */
ssize_t fs_text_read(struct mount *m, struct fs_file *f, char *buf, size_t size, off_t off)
{
	if (off == 0 || !f->text_valid) {
		int ret;

		text_init(&f->text);
		f->text_valid = false;
		if (f->node->ops->value) {
			ret = f->node->ops->value(m, f->node, &f->shown);
			if (ret == 0)
				text_printf(&f->text, "%u\n", f->shown);
		} else {
			ret = f->node->ops->show(m, f->node, &f->text);
		}
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
	f->pending_invalid = false;
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

/* Keep text as the value a later piece may go on from (see fs_text_write). */
static int keep(struct fs_file *f, const char *data, size_t size, bool invalid)
{
	int ret;

	drop_pending(f);
	ret = hold(f, data, size);
	f->pending_invalid = ret == 0 && invalid;
	return ret;
}

/*
 * One-value files. Two habits meet here: a shell or printf that writes one line in pieces
 * ("1", "5", "0", "\n" to a delay; a byte at a time), and a program that keeps the file open
 * and writes one whole value per write(2) without a newline ("1", then "0", as on sysfs).
 * Each write is applied at once when it makes a valid value:
 * - with the text written before it on the same open file without a newline, when the two
 *   make a valid value ("1" then "5" is 15), else alone ("1" then "0" on gpio/N/value is 1,
 *   then 0): a line written in pieces ends as the whole line, never as one of its pieces;
 * - a write with a newline ends the line: if neither makes a valid value, EINVAL, and
 *   nothing changed; a lone "\n" changes nothing;
 * - a piece without a newline that makes no valid value yet ("4" of "4000000") is held for
 *   the pieces to come; if the line is never completed, close(2) fails with EINVAL.
 * The text is kept across close(2) of a dup (a shell's `printf 1 >&3` closes one each time):
 * only the last close of the open file (release) forgets it.
 */
ssize_t fs_text_write(struct mount *m, struct fs_file *f, const char *data, size_t size)
{
	char text[TEXT_MAX];
	size_t len = f->pending_len, from = 0; /* the applied value starts at text + from */
	bool line = memchr(data, '\n', size) != NULL;
	int ret;

	if (f->node->ops->multiline)
		return lines_write(f, data, size);
	if (len + size > TEXT_MAX) {
		drop_pending(f);
		return -EINVAL;
	}
	if (len)
		memcpy(text, f->pending, len);
	memcpy(text + len, data, size);
	ret = apply(m, f, text, len + size);
	/* after a valid piece, this write may be a value of its own; after an invalid one, not */
	if (ret == -EINVAL && len && !f->pending_invalid) {
		int alone = apply(m, f, data, size);

		if (alone != -EINVAL) {
			ret = alone;
			from = len;
		}
	}
	if (line || (ret < 0 && ret != -EINVAL))
		drop_pending(f);
	else /* a value a later piece may go on from; an invalid one may become valid with it */
		ret = keep(f, text + from, len + size - from, ret == -EINVAL);
	explicit_bzero(text, len + size);
	return ret < 0 ? ret : (ssize_t)size;
}

/* close(2) of any descriptor of the open file, dups included. Multi-line text is applied now,
 * as one job, and its error is close's. One-value files applied every valid piece at once:
 * only a held piece that is no valid value fails here (and stays, for pieces to come). */
int fs_text_flush(struct mount *m, struct fs_file *f)
{
	char text[TEXT_MAX];
	size_t len = f->pending_len;
	int ret;

	if (!f->node->ops->multiline) {
		if (!f->pending_invalid)
			return 0;
		/* the text itself is not logged: it may be the NVRAM password (nvram/unlock) */
		log_warn("%s: the text written without a newline is not a valid value", f->node->name);
		return -EINVAL;
	}
	if (!len)
		return 0;
	memcpy(text, f->pending, len);
	drop_pending(f);
	ret = apply(m, f, text, len);
	explicit_bzero(text, len);
	if (ret < 0)
		log_warn("%s: the lines written were refused at close: %s", f->node->name, strerror(-ret));
	return ret;
}

void fs_text_release(struct fs_file *f)
{
	/* valid pieces were applied when written; only text that never made a value is lost */
	if (f->pending_invalid)
		log_warn("%s: %zu bytes written without a newline never made a valid value: dropped", f->node->name,
			 f->pending_len);
	drop_pending(f);
}
