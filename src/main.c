/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210fs: parse options, mount, daemonise (before any thread exists: libusb's and the
 * worker's threads would not survive fork), start the device, serve, and tear down in order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fuse_lowlevel.h>

#include "fs.h"
#include "log.h"
#include "options.h"

static int serve(struct fuse_session *se, const struct fuse_cmdline_opts *cmd)
{
	struct fuse_loop_config *config;
	int ret;

	if (cmd->singlethread)
		return fuse_session_loop(se);
	config = fuse_loop_cfg_create();
	if (!config)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(config, cmd->clone_fd);
	if (cmd->max_threads > 0 && cmd->max_threads <= 100000) /* unset is UINT_MAX in some versions */
		fuse_loop_cfg_set_max_threads(config, cmd->max_threads);
	fuse_loop_cfg_set_idle_threads(config, cmd->max_idle_threads);
	ret = fuse_session_loop_mt(se, config);
	fuse_loop_cfg_destroy(config);
	return ret;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	static struct mount m;
	static struct fs fs = { .mount = &m };
	struct fuse_cmdline_opts cmd = { 0 };
	struct fuse_session *se;
	int ret = 1;

	if (options_parse(&args, &m.opt) < 0 || fuse_parse_cmdline(&args, &cmd) != 0)
		goto out_args;
	if (m.opt.show_help || cmd.show_help) {
		options_show_help(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (m.opt.show_version || cmd.show_version) {
		options_show_version();
		ret = 0;
		goto out_args;
	}
	if (m.opt.list || !m.opt.emulate) {
		fprintf(stderr, "mcp2210fs: this build has no USB transport yet; use --emulate (see mcp2210fs(8))\n");
		goto out_args;
	}
	if (!cmd.mountpoint) {
		fprintf(stderr, "usage: %s [options] MOUNTPOINT (try --help)\n", argv[0]);
		goto out_args;
	}
	if (cmd.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	if (m.opt.password_file) {
		if (options_read_password(&m.opt, m.password) < 0)
			goto out_args;
		m.have_password = true;
	}
	if (fs_tree_build(&fs.tree, &m) < 0) {
		log_err("the file tree does not fit its table");
		goto out_args;
	}
	/* Modes are the policy: the kernel checks them, also for other users with allow_other. */
	if (fuse_opt_add_arg(&args, "-odefault_permissions") != 0 || fuse_opt_add_arg(&args, "-ofsname=mcp2210fs") != 0 ||
	    fuse_opt_add_arg(&args, "-osubtype=mcp2210fs") != 0) {
		log_err("out of memory");
		goto out_args;
	}
	se = fuse_session_new(&args, &fs_lowlevel_ops, sizeof(fs_lowlevel_ops), &fs);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	if (fuse_daemonize(cmd.foreground) != 0)
		goto out_unmount;
	if (mount_start(&m) < 0)
		goto out_unmount;
	if (fs_poll_start(&fs) == 0)
		ret = serve(se, &cmd) == 0 ? 0 : 1;
	fs_poll_stop(&fs);
	mount_stop(&m);
out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	memset(m.password, 0, sizeof(m.password));
	options_free(&m.opt);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
