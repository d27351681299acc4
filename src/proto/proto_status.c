/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one place where MCP2210 status bytes become -errno (and names for logs), plus the
 * command names. Device status codes never leave this table as such.
 */
#include <errno.h>
#include <stddef.h>

#include "proto/proto.h"

static const struct {
	uint8_t status;
	int err;
	const char *name;
} status_table[] = {
	{ MCP2210_STATUS_OK, 0, "success" },
	{ MCP2210_STATUS_BUS_NOT_AVAILABLE, -EBUSY, "bus not available" },
	/* Transfer in progress / settings not accepted now: the worker retries, bounded, and
	 * turns a persistent one into EBUSY itself. */
	{ MCP2210_STATUS_BUSY, -EAGAIN, "busy" },
	/* We never send a command the chip does not know: a bug. */
	{ MCP2210_STATUS_UNKNOWN_COMMAND, -EIO, "unknown command" },
	{ MCP2210_STATUS_EEPROM_WRITE_FAILED, -EIO, "EEPROM write failed" },
	{ MCP2210_STATUS_BLOCKED, -EACCES, "blocked" },
	/* Only 0x70 answers it: the chip is permanently locked (DS22288A p. 32, table 3-29). */
	{ MCP2210_STATUS_ACCESS_REJECTED, -EPERM, "access rejected" },
	{ MCP2210_STATUS_WRONG_PASSWORD, -EACCES, "wrong password" },
};

static const struct {
	uint8_t cmd;
	const char *name;
} cmd_table[] = {
	{ MCP2210_CMD_GET_STATUS, "get chip status" },
	{ MCP2210_CMD_CANCEL_SPI, "cancel SPI transfer" },
	{ MCP2210_CMD_GET_GP6_COUNT, "read GP6 event counter" },
	{ MCP2210_CMD_GET_CHIP_SETTINGS, "get chip settings" },
	{ MCP2210_CMD_SET_CHIP_SETTINGS, "set chip settings" },
	{ MCP2210_CMD_SET_GPIO_VALUES, "set GPIO values" },
	{ MCP2210_CMD_GET_GPIO_VALUES, "get GPIO values" },
	{ MCP2210_CMD_SET_GPIO_DIRECTIONS, "set GPIO directions" },
	{ MCP2210_CMD_GET_GPIO_DIRECTIONS, "get GPIO directions" },
	{ MCP2210_CMD_SET_SPI_SETTINGS, "set SPI settings" },
	{ MCP2210_CMD_GET_SPI_SETTINGS, "get SPI settings" },
	{ MCP2210_CMD_SPI_TRANSFER, "transfer SPI data" },
	{ MCP2210_CMD_READ_EEPROM, "read EEPROM" },
	{ MCP2210_CMD_WRITE_EEPROM, "write EEPROM" },
	{ MCP2210_CMD_SET_NVRAM, "set NVRAM" },
	{ MCP2210_CMD_GET_NVRAM, "get NVRAM" },
	{ MCP2210_CMD_SEND_PASSWORD, "send access password" },
	{ MCP2210_CMD_REQUEST_BUS_RELEASE, "request SPI bus release" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int proto_status_errno(uint8_t status)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_table); i++) {
		if (status_table[i].status == status)
			return status_table[i].err;
	}
	return -EPROTO;
}

const char *proto_status_name(uint8_t status)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_table); i++) {
		if (status_table[i].status == status)
			return status_table[i].name;
	}
	return "unknown status";
}

const char *proto_cmd_name(uint8_t cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		if (cmd_table[i].cmd == cmd)
			return cmd_table[i].name;
	}
	return NULL;
}
