// SPDX-License-Identifier: GPL-2.0
/*
 * Report the guest's result to the host as QEMU's exit status: a write of V
 * to the isa-debug-exit port makes QEMU exit with (V << 1) | 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <unistd.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	int v = argc > 1 ? atoi(argv[1]) : 1;

	if (v < 0 || v > 127)
		v = 127;
	fflush(NULL);
	sync();
	if (ioperm(DEBUG_EXIT_PORT, 4, 1)) {
		perror("ioperm");
		return 1;
	}
	outb(v, DEBUG_EXIT_PORT);
	/* Not reached when QEMU has the device. */
	fprintf(stderr, "guest-exit: no isa-debug-exit device\n");
	return 1;
}
