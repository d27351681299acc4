/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * thread_start(): see thread.h. The new thread inherits the creator's signal mask, so the
 * mask is full only around pthread_create.
 */
#include <signal.h>

#include "util/thread.h"

int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
