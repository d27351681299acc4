/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Threads of our own (the worker, the poll sampler, the stop watcher) start with every signal
 * blocked, so that SIGTERM/SIGINT reach the main thread, whose FUSE loop they must wake.
 */
#ifndef MCP2210FS_THREAD_H
#define MCP2210FS_THREAD_H

#include <pthread.h>

/* pthread_create with all signals blocked in the new thread; 0 or a positive errno. */
int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
