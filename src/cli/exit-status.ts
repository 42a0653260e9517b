/**
 * Exit statuses of `tsxen` (sysexits.h numbering where one fits). A guest
 * that writes QEMU's isa-debug-exit port ends with (value << 1) | 1, which is
 * always odd; tsxen's own statuses are even or >= 64 so they never collide
 * with small guest values.
 */
export const EXIT_USAGE = 64; // bad command line
export const EXIT_DATAERR = 65; // not an ELF, no Multiboot header, broken image
export const EXIT_NOINPUT = 66; // a file cannot be read
export const EXIT_TRIPLE_FAULT = 68; // the guest triple-faulted (machine shutdown)
export const EXIT_IDLE = 74; // the guest halted with nothing left that could wake it
export const EXIT_TIMEOUT = 72; // --timeout elapsed (host seconds)
export const EXIT_INTERNAL = 70; // a bug in tsxen itself
export const EXIT_DOMAIN_CRASH = 76; // a PV domain crashed (SHUTDOWN_crash, watchdog, or the hypervisor crashed it)
export const EXIT_DOMAIN_REBOOT = 78; // a PV domain asked to reboot (SHUTDOWN_reboot)
// A PV domain that shuts down with SHUTDOWN_poweroff ends the run with status 0.
