/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210 as the USB host sees it: OUT reports in, IN reports queued out, the
 * full-speed frame timing of an exchange, and the faults a test can inject on that path.
 */
#include <errno.h>
#include <string.h>

#include "emu/emu_internal.h"

void emu_usb_flush(struct emu *e)
{
	e->answer_ready = false;
	e->out_waiting = false;
}

/* Take one armed fault of this kind, counting it. */
bool emu_fault_fire(struct emu *e, enum emu_fault kind)
{
	if (!e->faults.armed[kind])
		return false;
	e->faults.armed[kind]--;
	e->counters.faults++;
	return true;
}

/* Corruption a host can detect: the status byte becomes one the chip never sends, and the
 * payload is scrambled. (USB's CRC makes silent bit flips on the wire implausible; what
 * reaches a driver in practice is a garbled or misrouted report.) */
static void corrupt(mcp2210_report resp)
{
	resp[1] = 0xEE;
	for (unsigned i = 2; i < MCP2210_REPORT_SIZE; i++)
		resp[i] ^= (uint8_t)(0xA5 + 7 * i);
}

/* An armed disconnect lets `count` more OUT reports through, then the cable is pulled. */
static void disconnect_countdown(struct emu *e)
{
	if (!e->plugged || !e->faults.disconnect_armed)
		return;
	if (e->faults.armed[EMU_FAULT_DISCONNECT]) {
		e->faults.armed[EMU_FAULT_DISCONNECT]--;
		return;
	}
	e->faults.disconnect_armed = false;
	e->counters.faults++;
	e->plugged = false;
	emu_usb_flush(e);
	emu_usb_changed(e);
}

/* The chip takes one OUT report and puts its answer in the IN buffer (which is free). */
static void process_out(struct emu *e, const mcp2210_report req)
{
	mcp2210_report resp;

	if (emu_fault_fire(e, EMU_FAULT_NO_ANSWER))
		return;
	if (emu_fault_fire(e, EMU_FAULT_BUSY)) {
		e->counters.commands++;
		e->counters.per_command[proto_cmd(req)]++;
		proto_answer_status(resp, proto_cmd(req), MCP2210_STATUS_BUSY);
	} else {
		emu_handle_command(e, req, resp);
	}
	if (emu_fault_fire(e, EMU_FAULT_CORRUPT))
		corrupt(resp);
	if (emu_fault_fire(e, EMU_FAULT_WRONG_ECHO))
		resp[0] ^= 0x01;
	if (emu_fault_fire(e, EMU_FAULT_LATE_ANSWER))
		e->faults.hold_next_in = true;
	memcpy(e->answer, resp, MCP2210_REPORT_SIZE);
	e->answer_ready = true;
}

/* While an answer is unread the endpoint NAKs: the report waits (the host controller's retry)
 * and is taken when the answer was read. A host can have one such report; -EAGAIN for another
 * (not accepted, nothing changed), as its transfer could not complete either. */
static int out_locked(struct emu *e, const mcp2210_report req)
{
	if (!e->plugged)
		return -ENODEV;
	if (!e->answer_ready) {
		process_out(e, req);
		return 0;
	}
	if (e->out_waiting)
		return -EAGAIN;
	memcpy(e->waiting_out, req, MCP2210_REPORT_SIZE);
	e->out_waiting = true;
	return 0;
}

static int in_locked(struct emu *e, mcp2210_report resp)
{
	if (!e->plugged)
		return -ENODEV;
	if (e->faults.hold_next_in) {
		e->faults.hold_next_in = false;
		return -EAGAIN;
	}
	if (!e->answer_ready)
		return -EAGAIN;
	memcpy(resp, e->answer, MCP2210_REPORT_SIZE);
	e->answer_ready = false;
	if (e->out_waiting) { /* the buffer is free: the NAKed report goes through now */
		e->out_waiting = false;
		process_out(e, e->waiting_out);
	}
	return 0;
}

int emu_out(struct emu *e, const mcp2210_report req)
{
	int ret;

	pthread_mutex_lock(&e->lock);
	disconnect_countdown(e);
	ret = out_locked(e, req);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int emu_in(struct emu *e, mcp2210_report resp)
{
	int ret;

	pthread_mutex_lock(&e->lock);
	ret = in_locked(e, resp);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

/*
 * The frame model of one exchange, the only one: emu_exchange() and the USB harness
 * (tests/usb-emu-run, which sees the OUT and the IN separately) both go through it.
 * The OUT goes in the first frame that starts at or after now and the chip answers at once.
 * An IN transfer that is already pending collects the answer at the end of that frame; one the
 * host submits only after it saw the OUT complete (end of that frame) costs the next frame too.
 * Counts the exchange and its frames and leaves now at the time the answer is collected.
 */
static int out_framed_locked(struct emu *e, const mcp2210_report req, enum emu_order order)
{
	uint64_t f = e->cfg.frame_ns;
	unsigned frames = order == EMU_IN_FIRST ? 1 : 2;
	int ret;

	disconnect_countdown(e);
	if (!e->plugged)
		return -ENODEV;
	if (f) {
		e->now_ns = (e->now_ns + f - 1) / f * f;
		emu_sync(e);
	}
	e->counters.exchanges++;
	e->counters.frames += frames;
	ret = out_locked(e, req);
	e->now_ns += frames * f;
	return ret;
}

int emu_out_framed(struct emu *e, const mcp2210_report req, enum emu_order order, uint64_t *answer_ns)
{
	int ret;

	pthread_mutex_lock(&e->lock);
	ret = out_framed_locked(e, req, order);
	*answer_ns = e->now_ns;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int emu_exchange(struct emu *e, const mcp2210_report req, mcp2210_report resp, enum emu_order order)
{
	int ret;

	pthread_mutex_lock(&e->lock);
	ret = out_framed_locked(e, req, order);
	if (ret == -EAGAIN) {
		/* An earlier emu_out() left a report waiting too: our IN reads the unread answer,
		 * which lets that report in, and ours waits in its place. */
		ret = in_locked(e, resp);
		if (ret == 0)
			ret = out_locked(e, req);
	} else if (ret == 0) {
		ret = in_locked(e, resp);
	}
	if (ret == -EAGAIN)
		ret = -ETIMEDOUT;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

/* Idle time as a host sees it. With USB frames it is rounded to the nearest whole frame: the
 * microseconds a host spends between an IN completion and its next OUT do not cost a real host
 * controller a frame, and must not cost the model one, while a host that waited 4.8 ms has let
 * the chip run for about 5. Without frames, whole microseconds (what a trace records). */
void emu_follow(struct emu *e, uint64_t elapsed_ns)
{
	uint64_t f = e->cfg.frame_ns;

	pthread_mutex_lock(&e->lock);
	if (elapsed_ns > e->now_ns) {
		uint64_t idle = elapsed_ns - e->now_ns;

		e->now_ns += f ? (idle + f / 2) / f * f : idle / 1000 * 1000;
		emu_sync(e);
	}
	pthread_mutex_unlock(&e->lock);
}

void emu_fault_arm(struct emu *e, enum emu_fault kind, unsigned count)
{
	if ((unsigned)kind >= EMU_FAULT_KIND_COUNT)
		return;
	pthread_mutex_lock(&e->lock);
	e->faults.armed[kind] = count;
	if (kind == EMU_FAULT_DISCONNECT)
		e->faults.disconnect_armed = true;
	pthread_mutex_unlock(&e->lock);
}

void emu_fault_clear(struct emu *e)
{
	pthread_mutex_lock(&e->lock);
	memset(e->faults.armed, 0, sizeof(e->faults.armed));
	e->faults.disconnect_armed = false;
	e->faults.hold_next_in = false;
	pthread_mutex_unlock(&e->lock);
}
