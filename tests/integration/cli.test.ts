/**
 * `tsxen run` as a user meets it: exit statuses (src/cli/exit-status.ts,
 * sysexits numbering; a guest's isa-debug-exit value v gives (v << 1) | 1),
 * one-line diagnostics on stderr, the guest's COM1 output on stdout, and
 * --stats. Kernels are built here as tiny Multiboot ELFs (test-elf.ts), in a
 * temporary directory; the demo kernel comes from `make -C guests`.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildTestElf } from "../../src/machine/boot/test-elf.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, "package.json")) && existsSync(join(dir, "bin", "tsxen")))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const TSXEN = join(ROOT, "bin", "tsxen");
const DEMO = join(ROOT, "guests", "build", "demo", "demo.elf");
const work = mkdtempSync(join(tmpdir(), "tsxen-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface Result { status: number | null; stdout: string; stderr: string }

function tsxen(...args: string[]): Result {
  const r = spawnSync(process.execPath, [TSXEN, ...args], { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

/** A Multiboot kernel whose code is loaded and entered at 1 MiB. */
function kernel(name: string, code: number[], multiboot = true): string {
  const elf = buildTestElf({ segments: [{ paddr: 0x100000, data: Uint8Array.from(code) }], ...(multiboot ? {} : { multiboot: null }) });
  return file(name, elf);
}

const serialOut = (s: string): number[] => [...s].flatMap((ch) => [0xb0, ch.charCodeAt(0), 0xee]); // mov al, c; out dx, al
const MOV_DX_COM1 = [0x66, 0xba, 0xf8, 0x03];
const EXIT5 = [0xb0, 0x05, 0xe6, 0xf4]; // mov al, 5; out 0xf4, al

function oneLine(r: Result, pattern: RegExp, what: string): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, pattern, what);
  assert.ok(r.stderr.endsWith("\n"), `${what}: stderr ends with a newline`);
}

test("a missing kernel file: status 66 (EX_NOINPUT) and one line naming the file", () => {
  const path = join(work, "does-not-exist.elf");
  const r = tsxen("run", path);
  assert.equal(r.status, 66);
  assert.equal(r.stdout, "");
  oneLine(r, new RegExp(`^tsxen: cannot read kernel '${path.replace(/[.]/g, "\\.")}': ENOENT$`), "missing file");
});

test("a file that is not ELF: status 65 (EX_DATAERR)", () => {
  const path = file("hello.txt", "hello, world\n");
  const r = tsxen("run", path);
  assert.equal(r.status, 65);
  assert.equal(r.stdout, "");
  oneLine(r, /hello\.txt: not an ELF file/, "non-ELF");
});

test("an ELF without a Multiboot header: status 65", () => {
  const r = tsxen("run", kernel("no-multiboot.elf", [...EXIT5], false));
  assert.equal(r.status, 65);
  assert.equal(r.stdout, "");
  oneLine(r, /no-multiboot\.elf: .*[Mm]ultiboot/, "no Multiboot header");
});

test("a kernel that triple-faults: status 68 and one line", () => {
  // lidt [idtr] with a zero limit, then int3: #GP -> #GP (#DF) -> #GP while delivering #DF
  const code = [0x0f, 0x01, 0x1d, 0x10, 0x00, 0x10, 0x00, 0xcc];
  while (code.length < 0x10) code.push(0x90);
  code.push(0, 0, 0, 0, 0, 0); // idtr at 0x100010: limit 0, base 0
  const r = tsxen("run", kernel("triple.elf", code));
  assert.equal(r.status, 68);
  assert.equal(r.stdout, "");
  oneLine(r, /^tsxen: guest triple fault .*cs:eip 00000008:00100007$/, "triple fault");
});

test("ud2 with an IDT of empty gates also ends in a triple fault (68)", () => {
  const code = [0x0f, 0x01, 0x1d, 0x10, 0x00, 0x10, 0x00, 0x0f, 0x0b];
  while (code.length < 0x10) code.push(0x90);
  code.push(0xff, 0x07, 0x00, 0x00, 0x20, 0x00); // 256 zero gates at 0x200000 (zeroed RAM)
  const r = tsxen("run", kernel("ud2.elf", code));
  assert.equal(r.status, 68);
  oneLine(r, /triple fault/, "ud2");
});

test("the guest writes 5 to port 0xF4: status 11, its serial output on stdout", () => {
  const r = tsxen("run", kernel("exit5.elf", [...MOV_DX_COM1, ...serialOut("ok\n"), ...EXIT5]));
  assert.equal(r.status, 11);
  assert.equal(r.stdout, "ok\n");
  assert.equal(r.stderr, "");
});

test("a guest writing 0 exits 1, writing 0x7f exits 255", () => {
  assert.equal(tsxen("run", kernel("exit0.elf", [0xb0, 0x00, 0xe6, 0xf4])).status, 1);
  assert.equal(tsxen("run", kernel("exit7f.elf", [0xb0, 0x7f, 0xe6, 0xf4])).status, 255);
});

test("--stats prints guest instructions, simulated cycles and seconds, host seconds and MIPS on stderr", () => {
  const code = [...MOV_DX_COM1, ...serialOut("ok\n"), ...EXIT5]; // 1 + 3*2 + 2 = 9 instructions
  const r = tsxen("run", kernel("stats.elf", code), "--stats");
  assert.equal(r.status, 11);
  assert.equal(r.stdout, "ok\n", "statistics do not go to stdout");
  const figure = (label: string): string => {
    const m = new RegExp(`^tsxen: ${label.replace(/[()]/g, "\\$&")}\\s+(\\S+)$`, "m").exec(r.stderr);
    assert.ok(m, `--stats shows "${label}"; stderr was:\n${r.stderr}`);
    return m[1]!;
  };
  assert.equal(figure("guest instructions"), "9");
  const cycles = Number(figure("simulated cycles"));
  assert.ok(Number.isInteger(cycles) && cycles > 0, `simulated cycles ${cycles}`);
  assert.equal(figure("simulated seconds"), (cycles / 2.4e9).toFixed(6));
  assert.ok(Number(figure("host seconds")) >= 0);
  assert.ok(Number.isFinite(Number(figure("MIPS (host)"))));
  // the simulated figures are the same on a second run; the host figures are not compared
  const again = tsxen("run", kernel("stats.elf", code), "--stats");
  assert.match(again.stderr, new RegExp(`^tsxen: simulated cycles\\s+${cycles}$`, "m"));
});

test("without --stats nothing is printed on stderr", () => {
  assert.equal(tsxen("run", kernel("quiet.elf", EXIT5)).stderr, "");
});

test("a guest that halts with interrupts off: status 74; --timeout ends a spinning guest with 72", () => {
  const idle = tsxen("run", kernel("idle.elf", [0xfa, 0xf4])); // cli; hlt
  assert.equal(idle.status, 74);
  oneLine(idle, /^tsxen: guest halted/, "idle");
  const spin = tsxen("run", kernel("spin.elf", [0xeb, 0xfe]), "--timeout", "0.5"); // jmp $
  assert.equal(spin.status, 72);
  oneLine(spin, /^tsxen: timeout after 0\.5 s/, "timeout");
});

test("bad command lines: status 64 (EX_USAGE) with a message, nothing run", () => {
  const k = kernel("ok.elf", EXIT5);
  const cases: [string, string[], RegExp][] = [
    ["unknown option", ["run", k, "--bogus"], /unknown option --bogus/],
    ["flag with a value", ["run", k, "--stats=yes"], /--stats takes no value/],
    ["option without a value", ["run", k, "--memory"], /--memory needs a value/],
    ["memory too small", ["run", k, "--memory", "1"], /--memory must be/],
    ["memory not a number", ["run", k, "--memory", "lots"], /--memory must be/],
    ["memory too large", ["run", k, "--memory", "4096"], /--memory must be/],
    ["memory at 2 GiB", ["run", k, "--memory", "2048"], /--memory must be .* 2047/],
    ["zero timeout", ["run", k, "--timeout", "0"], /--timeout must be/],
    ["negative timeout", ["run", k, "--timeout=-1"], /--timeout must be/],
    ["no kernel", ["run"], /expected KERNEL\.elf/],
    ["zero vCPUs", ["run", k, "--vcpus", "0"], /--vcpus must be/],
    ["33 vCPUs", ["run", k, "--vcpus", "33"], /--vcpus must be/],
    ["two kernels", ["run", k, k], /expected exactly one KERNEL\.elf/],
    ["unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["no command", [], /no command/],
  ];
  for (const [what, args, message] of cases) {
    const r = tsxen(...args);
    assert.equal(r.status, 64, `${what}: status`);
    assert.equal(r.stdout, "", `${what}: stdout`);
    assert.match(r.stderr, message, what);
  }
});

test("the demo kernel: status 1 (exit_qemu(0)), banner first, DONE last", () => {
  assert.ok(existsSync(DEMO), `${DEMO} missing: run \`make -C guests\``);
  const r = tsxen("run", DEMO);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.stdout.startsWith("tsxen demo kernel: IA-32 protected mode, paging, interrupts\n"), r.stdout.slice(0, 200));
  assert.ok(r.stdout.endsWith("demo complete\nDONE\n"), r.stdout.slice(-200));
  assert.equal(r.stderr, "");
});
