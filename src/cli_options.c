/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The option table (fuse_opt over offsetof), help and version. fstab noise such as _netdev
 * or noauto is dropped so that `mount -t fuse.mcp2210fs` lines work as written.
 */
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "util/log.h"
#include "cli_options.h"
#include "util/text.h"

enum { KEY_HELP, KEY_VERSION, KEY_DISCARD };

#define OPT(t, field, value) { t, offsetof(struct mount_options, field), value }

static const struct fuse_opt option_table[] = {
	OPT("--emulate", emulate, 1),
	OPT("--emulate=%s", state_file, 0),
	OPT("emulate", emulate, 1), /* -o forms, for fstab */
	OPT("emulate=%s", state_file, 0),
	OPT("peripherals=%s", peripherals, 0),
	OPT("emu_frame_us=%s", emu_frame_us_arg, 0),
	OPT("serial=%s", serial, 0),
	OPT("device=%s", device, 0),
	OPT("vid=%s", vid_arg, 0),
	OPT("pid=%s", pid_arg, 0),
	OPT("exit_on_unplug", exit_on_unplug, 1),
	OPT("timeout=%s", timeout_arg, 0),
	OPT("poll_interval=%s", poll_interval_arg, 0),
	OPT("nvram=rw", nvram_rw, 1),
	OPT("nvram=ro", nvram_rw, 0),
	OPT("allow_permanent_lock", allow_permanent_lock, 1),
	OPT("password_file=%s", password_file, 0),
	OPT("gid=%s", group, 0),
	OPT("trace=%s", trace_file, 0),
	OPT("--list", list, 1),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("_netdev", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("auto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("noauto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("user", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nouser", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("users", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nofail", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_END,
};

/* The fstab "device" field of a mcp2210fs line: "mcp2210fs", "mcp2210fs:SOMETHING", "none".
 * mount(8) turns a source that names an existing file into its full path, so ".../mcp2210fs"
 * counts too. */
static bool is_fstab_source(const char *arg)
{
	const char *base = strrchr(arg, '/');

	base = base ? base + 1 : arg;
	return strcmp(arg, "none") == 0 || strncmp(base, "mcp2210fs", 9) == 0;
}

static int option_key(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct mount_options *opt = data;

	(void)out;
	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		/* mount.fuse3 runs "mcp2210fs SOURCE MOUNTPOINT": the source names nothing for us */
		if (!opt->source_seen++ && is_fstab_source(arg))
			return 0;
		return 1;
	case KEY_HELP:
		opt->show_help = 1;
		return 0;
	case KEY_VERSION:
		opt->show_version = 1;
		return 0;
	default:
		return 1; /* keep: libfuse's own, or the mount point */
	}
}

/* -o NAME=N: a number as the files take them (decimal, or hexadecimal after 0x), within
 * [min, max]; the default stays when the option is absent. */
static int parse_unsigned(const char *name, const char *arg, unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v;

	if (!arg)
		return 0;
	if (text_number(arg, 0, min, max, &v) < 0) {
		fprintf(stderr, "mcp2210fs: -o %s=%s: expected a number from %lu to %lu (decimal, or hexadecimal after 0x)\n",
			name, arg, min, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* -o vid=, -o pid=: hexadecimal */
static int parse_usb_id(const char *name, const char *arg, uint16_t *out)
{
	unsigned long v;

	if (!arg)
		return 0;
	if (text_number(arg, 16, 0, 0xffff, &v) < 0) {
		fprintf(stderr, "mcp2210fs: -o %s=%s: expected a hexadecimal ID such as 0x%04x\n", name, arg, *out);
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

/* -o device=BUS:ADDR, decimal as lsusb prints them ("Bus 001 Device 005") */
static int parse_device(struct mount_options *opt)
{
	unsigned long bus = 0, address = 0;
	char *colon;
	int ret;

	if (!opt->device)
		return 0;
	colon = strchr(opt->device, ':');
	if (!colon) {
		ret = -EINVAL;
	} else {
		*colon = '\0';
		ret = text_number(opt->device, 10, 0, 255, &bus);
		if (ret == 0)
			ret = text_number(colon + 1, 10, 0, 255, &address);
		*colon = ':';
	}
	if (ret < 0) {
		fprintf(stderr, "mcp2210fs: -o device=%s: expected BUS:ADDRESS as mcp2210fs --list shows, e.g. 001:005\n",
			opt->device);
		return ret;
	}
	opt->bus = (int)bus;
	opt->address = (int)address;
	return 0;
}

/* -o gid=GROUP: a group name or number that gets read-write access to the writable files. */
static int resolve_group(struct mount_options *opt)
{
	const struct group *g;
	unsigned long n;

	opt->gid = -1;
	if (!opt->group)
		return 0;
	if (text_number(opt->group, 0, 0, (gid_t)-1 - 1, &n) == 0) {
		opt->gid = (long)n;
		return 0;
	}
	g = getgrnam(opt->group);
	if (!g) {
		fprintf(stderr, "mcp2210fs: -o gid=%s: no such group\n", opt->group);
		return -EINVAL;
	}
	opt->gid = (long)g->gr_gid;
	return 0;
}

/* A relative path names a file in the directory the daemon was started in (also from fstab:
 * mount(8)'s): make it absolute now, as the daemon goes to "/" before it opens the file. */
static int absolute_path(const char *what, char **path)
{
	size_t size;
	char *cwd, *abs;

	if (!*path || (*path)[0] == '/')
		return 0;
	if (!(*path)[0]) {
		fprintf(stderr, "mcp2210fs: %s: the file name is empty\n", what);
		return -EINVAL;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd) {
		fprintf(stderr, "mcp2210fs: %s%s: cannot tell the current directory: %s\n", what, *path, strerror(errno));
		return -EINVAL;
	}
	size = strlen(cwd) + strlen(*path) + 2;
	abs = malloc(size);
	if (abs) {
		snprintf(abs, size, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", *path);
		free(*path);
		*path = abs;
	}
	free(cwd);
	if (!abs) {
		fprintf(stderr, "mcp2210fs: out of memory\n");
		return -ENOMEM;
	}
	return 0;
}

int options_parse(struct fuse_args *args, struct mount_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->vid = MCP2210_VID_FACTORY;
	opt->pid = MCP2210_PID_FACTORY;
	opt->bus = opt->address = -1;
	opt->emu_frame_us = 1000;
	opt->timeout_ms = DEVICE_DEFAULT_TIMEOUT_MS;
	opt->poll_interval_ms = 20;
	if (fuse_opt_parse(args, opt, option_table, option_key) != 0)
		return -EINVAL;
	if (opt->state_file)
		opt->emulate = 1;
	if (absolute_path("--emulate=", &opt->state_file) < 0 || absolute_path("-o password_file=", &opt->password_file) < 0)
		return -EINVAL;
	if (resolve_group(opt) < 0)
		return -EINVAL;
	if (parse_unsigned("timeout", opt->timeout_arg, 1, 600000, &opt->timeout_ms) < 0 ||
	    parse_unsigned("poll_interval", opt->poll_interval_arg, 1, 60000, &opt->poll_interval_ms) < 0 ||
	    parse_unsigned("emu_frame_us", opt->emu_frame_us_arg, 0, 100000, &opt->emu_frame_us) < 0)
		return -EINVAL;
	if (parse_usb_id("vid", opt->vid_arg, &opt->vid) < 0 || parse_usb_id("pid", opt->pid_arg, &opt->pid) < 0 ||
	    parse_device(opt) < 0)
		return -EINVAL;
	if (opt->emulate && (opt->device || opt->vid_arg || opt->pid_arg)) {
		fprintf(stderr, "mcp2210fs: -o device=, vid= and pid= choose a USB device: not with --emulate\n");
		return -EINVAL;
	}
	return 0;
}

void options_free(struct mount_options *opt)
{
	free(opt->state_file);
	free(opt->peripherals);
	free(opt->serial);
	free(opt->device);
	free(opt->vid_arg);
	free(opt->pid_arg);
	free(opt->password_file);
	free(opt->group);
	free(opt->emu_frame_us_arg);
	free(opt->timeout_arg);
	free(opt->poll_interval_arg);
	free(opt->trace_file);
}

void options_show_help(const char *progname)
{
	printf("usage: %s [options] MOUNTPOINT\n"
	       "       %s --list [-o vid=VID,pid=PID]\n"
	       "Mount a Microchip MCP2210 USB-to-SPI bridge as a file tree (see mcp2210fs(8)).\n\n"
	       "mcp2210fs options:\n"
	       "    --list                 print the attached MCP2210s (BUS:ADDR VID:PID SERIAL PRODUCT), exit\n"
	       "    -o serial=S            use the MCP2210 with this serial number; with --emulate, the\n"
	       "                           emulated chip's (default EMU0000001; a state file's must match)\n"
	       "    -o device=BUS:ADDR     use the MCP2210 at this USB bus and address\n"
	       "    -o vid=VID,pid=PID     its USB IDs in hexadecimal, if NVRAM changed them (default 04d8:00de)\n"
	       "    -o exit_on_unplug      exit when the device is unplugged (default: wait for it)\n"
	       "    --emulate[=STATEFILE]  use an emulated MCP2210 (NVRAM/EEPROM kept in STATEFILE)\n"
	       "    -o peripherals=SPEC    emulated SPI parts, TYPE@CS[:TYPE@CS...], TYPE loopback|flash|shiftreg\n"
	       "                           (default flash@0:loopback@1:shiftreg@2)\n"
	       "    -o emu_frame_us=N      emulated USB frame length, 0 = no timing (default 1000)\n"
	       "    -o timeout=MS          timeout of each USB exchange (default 1000)\n"
	       "    -o poll_interval=MS    sampling period for poll() on values (default 20)\n"
	       "    -o nvram=rw            allow writes under nvram/ (they wear the chip's flash)\n"
	       "    -o allow_permanent_lock  allow writing \"locked\" to nvram/access (irreversible)\n"
	       "    -o password_file=PATH  file with the 8-character NVRAM password\n"
	       "    -o gid=GROUP           files belong to GROUP, writable ones group-writable\n"
	       "    -o trace=FILE          record every USB exchange in FILE (mcp2210fs(8), Traces)\n"
	       "Without -f the daemon logs to syslog; -V prints the versions of mcp2210fs, libfuse, libusb.\n\n",
	       progname, progname);
	printf("libfuse options:\n");
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

void options_show_version(void)
{
	/* libusb's: built against (only the USB transport calls libusb) */
	printf("mcp2210fs %s\nlibfuse %s\nlibusb %s\n", PACKAGE_VERSION, fuse_pkgversion(), LIBUSB_PKGVERSION);
}

int options_read_password(const struct mount_options *opt, char password[MCP2210_PASSWORD_LEN])
{
	char line[64];
	size_t len;
	FILE *f = fopen(opt->password_file, "r");
	int ret = 0;

	if (!f) {
		ret = -errno;
		log_err("cannot read the password file %s: %s", opt->password_file, strerror(errno));
		return ret;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	len = strcspn(line, "\n");
	if (len != MCP2210_PASSWORD_LEN) {
		log_err("the password in %s must be exactly %d characters", opt->password_file, MCP2210_PASSWORD_LEN);
		ret = -EINVAL;
	} else {
		memcpy(password, line, MCP2210_PASSWORD_LEN);
	}
	memset(line, 0, sizeof(line)); /* never leave the password lying around */
	return ret;
}
