/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file tree: a table of nodes, each with the operations behind it. Text attributes give
 * show/store; binary files (spi/xfer, eeprom) give read/write. The FUSE layer (fs_ops.c) does
 * the rest: inodes, attributes, offsets, one reply per request.
 */
#ifndef MCP2210FS_FS_H
#define MCP2210FS_FS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "mount.h"
#include "util/text.h"

struct fs_node;

/* Per open file. The lock serialises requests on the same open file. */
struct fs_file {
	const struct fs_node *node;
	struct fs_file *open_next, *open_prev; /* the open-file list of struct fs */
	pthread_mutex_t lock;
	bool writable, readable;
	struct text text; /* the value read at offset 0, served to later offsets */
	bool text_valid;
	unsigned shown; /* nodes with a value op: the number text holds */
	char *pending; /* text attributes: written text still without its newline (fs_text.c) */
	size_t pending_len;
	bool pending_invalid; /* one-value files: the held text is not a valid value (yet) */
	/* poll() on gpio/N/value and interrupt/count (fs_poll.c; under the poll lock) */
	bool watched;
	bool event;          /* changed since the last read: poll reports it */
	bool baseline_valid; /* value seen by the last read (a pin: its physical level) */
	unsigned baseline;
	struct fuse_pollhandle *ph;
	bool waiting;           /* ph came from a poll that found nothing: sample for it */
	uint64_t waiting_since; /* CLOCK_MONOTONIC ms of that poll */
	struct fs_file *watch_next;
	uint8_t *rx; /* spi/xfer: bytes clocked in by the last write */
	size_t rx_len, rx_off;
};

struct fs_node_ops {
	int (*show)(struct mount *m, const struct fs_node *n, struct text *out);
	/* Instead of show, for files whose text is one number poll() watches (gpio/N/value,
	 * interrupt/count): the value, shown as "%u\n" and kept for poll (fs_poll_rearm). */
	int (*value)(struct mount *m, const struct fs_node *n, unsigned *out);
	/* value: what was written, without its one optional trailing newline */
	int (*store)(struct mount *m, const struct fs_node *n, char *value);
	ssize_t (*read)(struct mount *m, struct fs_file *f, char *buf, size_t size, off_t off);
	ssize_t (*write)(struct mount *m, struct fs_file *f, const char *buf, size_t size, off_t off);
	off_t size;     /* st_size; text attributes report TEXT_MAX */
	/* read gives bytes that exist once (spi/xfer): only read(2) may take them */
	bool stream;
	/* store takes "key=value" lines, all checked before any is applied: the lines of all
	 * the write(2)s of one open file, checked by check (which changes nothing; it may modify
	 * value) at each write and applied together by store at close (fs_text.c) */
	bool multiline;
	int (*check)(char *value);
	/* Never uses the device (host-side state, the emulator's own controls): served at once
	 * on the FUSE thread. All other files' requests are jobs on the worker (fs_request.c). */
	bool local;
};

struct fs_node {
	char name[24];
	unsigned parent; /* index of the parent directory; the root is its own parent */
	mode_t mode;     /* S_IFDIR or S_IFREG with permission bits */
	const struct fs_node_ops *ops;
	int arg; /* e.g. the pin number of gpio/N/... */
	/* Read-only by a mount option, not by nature (nvram/ without -o nvram=rw): opening it for
	 * writing fails with EROFS, as on a read-only mount, rather than EACCES. */
	bool erofs;
};

#define FS_MAX_NODES 128

struct fs_tree {
	struct fs_node nodes[FS_MAX_NODES];
	unsigned count;
};

/* The whole tree for this mount (emulator/ only on emulated ones). */
int fs_tree_build(struct fs_tree *t, const struct mount *m);
/* Child of dir by name, as an index, or -1. */
int fs_tree_lookup(const struct fs_tree *t, unsigned dir, const char *name);

/* Node operations, by file (fs_attr_*.c). */
extern const struct fs_node_ops fs_info_ops, fs_status_ops, fs_stats_ops, fs_settings_ops, fs_eeprom_ops;
extern const struct fs_node_ops fs_gpio_value_ops, fs_gpio_direction_ops, fs_gpio_function_ops, fs_gpio_edge_ops;
extern const struct fs_node_ops fs_gpio_active_low_ops;
extern const struct fs_node_ops fs_irq_count_ops, fs_irq_mode_ops;
extern const struct fs_node_ops fs_spi_xfer_ops, fs_spi_bitrate_ops, fs_spi_mode_ops, fs_spi_cs_ops;
extern const struct fs_node_ops fs_spi_cs_idle_ops, fs_spi_cs_active_ops;
extern const struct fs_node_ops fs_spi_delay_cs_to_data_ops, fs_spi_delay_data_to_cs_ops, fs_spi_delay_between_bytes_ops;
extern const struct fs_node_ops fs_nvram_settings_ops, fs_nvram_usb_ops, fs_nvram_access_ops, fs_nvram_unlock_ops;
extern const struct fs_node_ops fs_emu_inputs_ops, fs_emu_power_cycle_ops, fs_emu_plugged_ops;
extern const struct fs_node_ops fs_emu_external_master_ops, fs_emu_peripherals_ops, fs_emu_faults_ops;
extern const struct fs_node_ops fs_emu_counters_ops;

/* The libfuse low-level operations (fs_ops.c). */
struct fuse_lowlevel_ops;
extern const struct fuse_lowlevel_ops fs_lowlevel_ops;

/* Sampling for poll(): a thread reads the watched values every poll_interval while anyone
 * waits in poll(), and wakes pollers whose value changed (fs_poll.c). */
struct fs_poll {
	pthread_t thread;
	pthread_mutex_t lock; /* protects the list and every watched file's poll fields */
	pthread_cond_t cond;
	struct fs_file *watched;
	bool stop, started;
};

/* A node's times in ns since the epoch, 0 until set: the mount time. Writes through the
 * tree set mtime and ctime; touch (utimensat) sets atime and mtime as on sysfs. */
struct fs_times {
	_Atomic int64_t atime, mtime, ctime;
};

/* What fs_ops.c hands to the operations as userdata. */
struct fs {
	struct mount *mount;
	struct fs_tree tree;
	_Atomic int64_t mount_ns; /* when the kernel connected (FUSE init) */
	struct fs_times times[FS_MAX_NODES];
	struct fs_poll poll;
	/* Files still open when the session ends get no release: freed by fs_close_all(). */
	pthread_mutex_t open_lock; /* protects the open-file list */
	struct fs_file *open_files;
};

void fs_close_all(struct fs *fs);
/* A successful write through the tree changed what the node holds: mtime and ctime now. */
void fs_touch_written(struct fs *fs, const struct fs_node *n);

struct fuse_req;
typedef struct fuse_req *fuse_req_t; /* as fuse_lowlevel.h has it (C11 allows the repeat) */
enum fs_request_op { FS_REQ_READ, FS_REQ_WRITE, FS_REQ_FLUSH, FS_REQ_POLL };
/* Serve a read (size bytes at off), a write (data, size, off), a flush (close of a text
 * file), or a poll that does not wait (sample the value now) on the open file f, and reply to
 * req: at once for local files, else from the worker thread when the job ends (fs_request.c).
 * Never waits for the chip. Errors: the node's, -ENOMEM, -EBUSY (queue full), -EINTR
 * (interrupted), -ETIMEDOUT (waited in the queue past WORKER_QUEUE_MS), -ECONNABORTED (the
 * daemon stops). */
void fs_request(fuse_req_t req, struct fs_file *f, enum fs_request_op op, const char *data, size_t size, off_t off);
/* At exit, after the last request: free the buffers fs_request() keeps for reuse. */
void fs_request_cleanup(void);
/* The bytes of the write(2), pwrite(2), writev(2), pwritev(2) or pwritev2(2) thread tid waits
 * in, read from /proc/TID/syscall and its memory; size (this request's) when that cannot be
 * known (another system call such as io_uring, no permission to look, tid 0). More than size
 * means the kernel cut the call into several requests (fs_caller.c). */
size_t fs_caller_write_total(pid_t tid, size_t size);
/* The fewest pages a request may carry here: libfuse asks max_pages = max_write / page size
 * (rounded up), and fs_init keeps max_write at 65536 or more (256 pages by default, the
 * kernel's limit). The first request of a cut write carries at least one byte per page. */
#define FS_CUT_MIN 16
/* Pin levels now (bit n = GPn) and the GP6 event count, for gpio/N/value, interrupt/count and
 * the poll sampler: one job each, so that concurrent reads share one exchange
 * (fs_attr_gpio.c). 0 or -errno. */
int fs_gpio_levels(struct mount *m, uint16_t *levels);
int fs_irq_count(struct mount *m, uint16_t *count);
/* spi/xfer: free the received bytes an open file still holds. */
void fs_spi_xfer_release(struct mount *m, struct fs_file *f);

/* Text attributes (nodes with show/store), sysfs style: the offset is ignored on write.
 * One-value files: a write(2) that contains a newline applies the text held so far and its
 * own as one value and returns the store's error; text without a newline is held until such
 * a write, or until flush (close(2)), which applies it and returns its error. A lone newline
 * applies nothing and succeeds. Multi-line files: every write(2) is checked with what the
 * open file already holds (-EINVAL drops it all), and flush applies the whole text at once.
 * (fs_text.c; called under the file's lock.) */
ssize_t fs_text_read(struct mount *m, struct fs_file *f, char *buf, size_t size, off_t off);
ssize_t fs_text_write(struct mount *m, struct fs_file *f, const char *data, size_t size);
int fs_text_flush(struct mount *m, struct fs_file *f);
/* Frees held text (none is left after a flush). */
void fs_text_release(struct fs_file *f);

struct fuse_pollhandle;
int fs_poll_start(struct fs *fs);
void fs_poll_stop(struct fs *fs);
/* Is this node one poll() can wait on? */
bool fs_poll_node(const struct fs_node *n);
/* poll() request: remember ph (may be NULL) and return the events known now. */
unsigned fs_poll_watch(struct fs *fs, struct fs_file *f, struct fuse_pollhandle *ph);
/* A poll() that does not wait (no ph) on a file with no event known: read its value now and
 * return the events (uses the device: on the worker thread). */
unsigned fs_poll_sample_now(struct fs *fs, struct fs_file *f);
/* A read of a watched node at offset 0 re-arms it with the value just read. */
void fs_poll_rearm(struct fs *fs, struct fs_file *f, unsigned value);
void fs_poll_release(struct fs *fs, struct fs_file *f);

#endif
