// SPDX-License-Identifier: GPL-2.0
/*
 * Report the guest's result to the host as QEMU's exit status, (V << 1) | 1
 * for a status V on either architecture:
 * - x86_64: a write of V to the isa-debug-exit port, which makes QEMU exit
 *   with (V << 1) | 1;
 * - arm64: the semihosting call SYS_EXIT with ADP_Stopped_ApplicationExit and
 *   that value (QEMU's -semihosting-config enable=on,userspace=on lets a user
 *   program make it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <sys/io.h>

#define DEBUG_EXIT_PORT 0xf4

static int report(int v)
{
	if (ioperm(DEBUG_EXIT_PORT, 4, 1)) {
		perror("ioperm");
		return 1;
	}
	outb(v, DEBUG_EXIT_PORT);
	/* Not reached when QEMU has the device. */
	fprintf(stderr, "guest-exit: no isa-debug-exit device\n");
	return 1;
}
#elif defined(__aarch64__)
#define SYS_EXIT			0x18
#define ADP_STOPPED_APPLICATION_EXIT	0x20026

static int report(int v)
{
	unsigned long block[2] = { ADP_STOPPED_APPLICATION_EXIT, (v << 1) | 1 };

	/* x0: the operation, x1: its parameter block. */
	asm volatile("mov x0, %0\n\tmov x1, %1\n\thlt #0xf000"
		     : : "r"((unsigned long)SYS_EXIT), "r"(block) : "x0", "x1", "memory");
	/* Not reached when QEMU has semihosting for user programs. */
	fprintf(stderr, "guest-exit: no semihosting\n");
	return 1;
}
#else
#error "guest-exit: x86_64 or arm64"
#endif

int main(int argc, char **argv)
{
	int v = argc > 1 ? atoi(argv[1]) : 1;

	if (v < 0 || v > 127)
		v = 127;
	fflush(NULL);
	sync();
	return report(v);
}
