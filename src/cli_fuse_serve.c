/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The FUSE session loop (see fuse_serve.h). */
#include <errno.h>

#include "cli_fuse_serve.h"

int fuse_serve(struct fuse_session *se, const struct fuse_cmdline_opts *cmd)
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
	if (cmd->max_idle_threads <= 100000) /* unset is UINT_MAX, which libfuse 3.14 logs as invalid */
		fuse_loop_cfg_set_idle_threads(config, cmd->max_idle_threads);
	ret = fuse_session_loop_mt(se, config);
	fuse_loop_cfg_destroy(config);
	return ret;
}
