/**
 * The `tsxen` command. Subcommands:
 *   tsxen run KERNEL.elf [--memory MiB] [--disk FILE] [--cmdline S] [--module FILE[,CMDLINE]]
 *                        [--stats] [--timeout SECONDS] [--no-jit] [--jit-threshold N]
 * boots a Multiboot kernel on the bare emulated PC. COM1 goes to stdout line
 * by line as it is produced; stdin (a terminal in raw mode, a pipe or a file)
 * goes to COM1. The process exits when the guest writes port 0xF4, with
 * QEMU's status (value << 1) | 1.
 */
import { EXIT_INTERNAL } from "./exit-status.js";
import { runCommand } from "./run.js";

const USAGE = `usage: tsxen run KERNEL.elf [--memory MiB] [--disk FILE] [--cmdline S] [--module FILE[,CMDLINE]]
                      [--stats] [--timeout SECONDS] [--no-jit] [--jit-threshold N]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "run") return runCommand(rest);
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  process.stderr.write(`tsxen: ${command === undefined ? "no command" : `unknown command '${command}'`}\n${USAGE}\n`);
  return 64;
}

main(process.argv.slice(2)).then(
  (status) => { process.exitCode = status; },
  (error: unknown) => {
    process.stderr.write(`tsxen: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = EXIT_INTERNAL;
  },
);
