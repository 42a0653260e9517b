/**
 * Serial input: `tsxen run` feeds stdin to COM1 whether it is a terminal, a
 * pipe or a file (src/cli/run.ts), and lets go of it when the guest exits.
 * The kernel is guests/tests/uart-echo (from `make -C guests`): it prompts
 * "uart-echo: polled, send a line", reads a line by polling LSR.DR, then
 * prompts "uart-echo: irq, send a line" and reads one through IRQ 4 while
 * waiting in STI;HLT; each line comes back upper-cased.
 *
 *   - tsxen, all input at once through a pipe, and from a file (CRLF lines);
 *   - tsxen and QEMU (-serial stdio), each line written only after its
 *     prompt, so the input arrives while the guest waits: same output.
 *     QEMU needs the prompt: bytes that reach its UART before the kernel's
 *     serial_init are lost when that enables the FIFOs (PC16550D: changing
 *     FCR bit 0 resets the FIFOs), so piping everything up front drops the
 *     first byte there. tsxen delivers input only between slices, after the
 *     first one (boot) has run, so it takes the up-front pipe too;
 *   - an open pipe (never closed by the writer) does not keep tsxen alive
 *     once the guest exits; stdin on /dev/null changes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type StdioOptions } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { qemuArgs, repoRoot } from "../cpu/qemu.js";

const ROOT = repoRoot();
const TSXEN = join(ROOT, "bin", "tsxen");
const ECHO = join(ROOT, "guests", "build", "tests", "uart-echo.elf");
const HELLO = join(ROOT, "guests", "build", "tests", "hello.elf");
const TIMEOUT_MS = 30_000;
const EXIT_OK = 1; // exit_qemu(0)

const LINES = ["hello tsxen\n", "second line\n"];
const EXPECTED = [
  "uart-echo: polled, send a line",
  'polled: "HELLO TSXEN" len=11',
  "uart-echo: irq, send a line",
  'irq: "SECOND LINE" len=11',
  "irq iir=c4 iir-or=c4",
  "DONE",
  "",
].join("\n");
const PROMPT = "send a line\n";

interface Result { stdout: string; stderr: string; status: number | null; ms: number; timedOut: boolean }

interface Feed {
  /** Written to stdin at once. */
  upFront?: string;
  /** LINES[i] is written when the i-th prompt has appeared on stdout. */
  onPrompt?: boolean;
  /** Leave stdin open after the last write. */
  keepOpen?: boolean;
  /** Use this stdin instead of a pipe (a file descriptor, or "ignore"). */
  stdin?: number | "ignore";
}

function run(cmd: string, args: string[], feed: Feed): Promise<Result> {
  return new Promise((done) => {
    const started = Date.now();
    const stdio: StdioOptions = [feed.stdin ?? "pipe", "pipe", "pipe"];
    const child = spawn(cmd, args, { stdio });
    let stdout = "";
    let stderr = "";
    let sent = 0;
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, TIMEOUT_MS);
    const stdin = child.stdin;
    stdin?.on("error", () => {}); // the child may exit before reading everything
    const finish = (): void => { if (!feed.keepOpen) stdin?.end(); };
    if (feed.upFront !== undefined) { stdin?.write(feed.upFront); finish(); }
    child.stdout!.on("data", (b: Buffer) => {
      stdout += b.toString("latin1");
      if (!feed.onPrompt) return;
      const prompts = stdout.split(PROMPT).length - 1;
      while (sent < Math.min(prompts, LINES.length)) stdin?.write(LINES[sent++]!);
      if (sent === LINES.length) finish();
    });
    child.stderr!.on("data", (b: Buffer) => { stderr += b.toString("latin1"); });
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ stdout, stderr, status, ms: Date.now() - started, timedOut });
    });
  });
}

const tsxen = (elf: string, feed: Feed): Promise<Result> => run(process.execPath, [TSXEN, "run", elf], feed);

function assertEcho(who: string, r: Result): void {
  const info = `\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
  assert.ok(!r.timedOut, `${who} timed out${info}`);
  assert.equal(r.stdout, EXPECTED, `${who} output${info}`);
  assert.equal(r.status, EXIT_OK, `${who} exit status${info}`);
}

function kernelsBuilt(): void {
  for (const elf of [ECHO, HELLO]) assert.ok(existsSync(elf), `${elf} missing: run \`make -C guests\``);
}

test("tsxen: a pipe with all input up front", async () => {
  kernelsBuilt();
  assertEcho("tsxen", await tsxen(ECHO, { upFront: LINES.join("") }));
});

test("tsxen: stdin redirected from a file (CRLF lines)", async () => {
  kernelsBuilt();
  const dir = mkdtempSync(join(tmpdir(), "tsxen-uart-"));
  try {
    const path = join(dir, "input.txt");
    writeFileSync(path, LINES.map((l) => l.replace("\n", "\r\n")).join(""));
    const fd = openSync(path, "r");
    try {
      assertEcho("tsxen", await tsxen(ECHO, { stdin: fd }));
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsxen: each line after its prompt (input arrives while the guest polls, then while it halts)", async () => {
  kernelsBuilt();
  assertEcho("tsxen", await tsxen(ECHO, { onPrompt: true }));
});

test("tsxen: an open stdin pipe does not keep the process alive after the guest exits", async () => {
  kernelsBuilt();
  const echo = await tsxen(ECHO, { upFront: LINES.join(""), keepOpen: true });
  assertEcho("tsxen (pipe left open)", echo);
  const hello = await tsxen(HELLO, { keepOpen: true, upFront: "" });
  assert.ok(!hello.timedOut, "hello with an open, silent stdin pipe did not exit");
  assert.equal(hello.status, EXIT_OK);
  assert.ok(hello.stdout.endsWith("DONE\n"));
  assert.ok(hello.ms < 20_000, `took ${hello.ms} ms`);
});

test("tsxen: stdin on /dev/null changes nothing", async () => {
  kernelsBuilt();
  const r = await tsxen(HELLO, { stdin: "ignore" });
  assert.equal(r.status, EXIT_OK);
  assert.ok(r.stdout.endsWith("DONE\n"));
  assert.equal(r.stderr, "");
});

const haveQemu = spawnSync("qemu-system-i386", ["--version"], { stdio: "ignore" }).status === 0;

test("QEMU (-serial stdio) gives the same output, each line after its prompt", { skip: !haveQemu && "qemu-system-i386 not found" }, async () => {
  kernelsBuilt();
  const [qemu, ours] = await Promise.all([
    run("qemu-system-i386", qemuArgs(ECHO), { onPrompt: true }),
    tsxen(ECHO, { onPrompt: true }),
  ]);
  assertEcho("QEMU", qemu);
  assertEcho("tsxen", ours);
  assert.equal(ours.stdout, qemu.stdout);
});
