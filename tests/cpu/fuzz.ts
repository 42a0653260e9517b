/**
 * Randomized instruction tester, host side: build the fuzz kernel
 * (guests/fuzz/) around a batch of generated cases, run it on QEMU (the
 * oracle, ARCHITECTURE.md §6) and on tsxen, and compare the result lines.
 *
 *   generate (fuzz-gen.ts) -> guests/build/fuzz/<tag>/cases.S
 *   gcc -m32 boot.S kernel.c cases.S; ld -T guests/fuzz/link.ld -> fuzz.elf
 *   QEMU (tests/cpu/qemu.ts) and `bin/tsxen run`, twice (runBatch), in parallel
 *   per case: registers, EFLAGS, scratch checksum, exception vector, error
 *   code and EIP offset must match, except what comparisonMask() leaves out
 *   (flags and registers the SDM leaves undefined at that point).
 *
 * RF is not compared with QEMU (TCG does not set it in exception frames);
 * tsxen's RF is checked against the SDM rule instead (checkSdm).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { comparisonMask, describe, offsets, toAssembly, type FuzzCase } from "./fuzz-case.js";
import { generateCases } from "./fuzz-gen.js";
import { FAULT_VECTORS, REG32, RF, SCRATCH, SCRATCH_LEN, STACK_FILL, STACK_MID, ZF } from "./fuzz-layout.js";
import { repoRoot, runQemu, runQemuCached, type RunResult } from "./qemu.js";

const CFLAGS = [
  "-m32", "-march=i686", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-pie", "-O2",
  "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fcf-protection=none",
  "-Wall", "-Wextra", "-mgeneral-regs-only",
];
const EXIT_OK = 1; // exit(0) through isa-debug-exit

/** fuzz.h must agree with fuzz-layout.ts. */
function checkLayout(src: string): void {
  const h = readFileSync(join(src, "fuzz.h"), "utf8");
  const want: Record<string, number> = {
    FUZZ_STACK_MID: STACK_MID, FUZZ_STACK_FILL: STACK_FILL, FUZZ_SCRATCH: SCRATCH, FUZZ_SCRATCH_LEN: SCRATCH_LEN,
  };
  for (const [name, v] of Object.entries(want)) {
    const m = new RegExp(`#define ${name}\\s+(0x[0-9a-fA-F]+|\\d+)`).exec(h);
    if (!m || Number(m[1]) !== v) throw new Error(`guests/fuzz/fuzz.h ${name} disagrees with tests/cpu/fuzz-layout.ts`);
  }
}

/** Build guests/build/fuzz/<tag>/fuzz.elf for these cases; returns its path. */
export function buildKernel(cases: FuzzCase[], tag: string): string {
  const root = repoRoot();
  const src = join(root, "guests", "fuzz");
  const out = join(root, "guests", "build", "fuzz", tag);
  checkLayout(src);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "cases.S"), toAssembly(cases));
  const objs: string[] = [];
  for (const [file, dir] of [["boot.S", src], ["kernel.c", src], ["cases.S", out]] as const) {
    const obj = join(out, file + ".o");
    execFileSync("gcc", [...CFLAGS, `-I${src}`, "-c", join(dir, file), "-o", obj], { stdio: "pipe" });
    objs.push(obj);
  }
  const elf = join(out, "fuzz.elf");
  execFileSync("ld", ["-m", "elf_i386", "-T", join(src, "link.ld"), "-z", "noexecstack",
    "--no-warn-rwx-segments", "-o", elf, ...objs], { stdio: "pipe" });
  return elf;
}

/** One result line of the kernel (guests/fuzz/kernel.c). */
export interface CaseResult {
  line: string;
  /** EAX ECX EDX EBX, ESP - stack mid, EBP ESI EDI. */
  regs: number[];
  eflags: number;
  sum: number;
  vec: number | null;
  err: number | null;
  eip: number | null;
}

export interface Output {
  /** First run of each case. */
  first: Map<number, CaseResult>;
  /** Last run of each case with reps > 1 (the "J" lines). */
  hot: Map<number, CaseResult>;
}

export function parseOutput(stdout: string): Output {
  const out: Output = { first: new Map(), hot: new Map() };
  for (const line of stdout.split("\n")) {
    const f = line.trim().split(" ");
    const m = /^(J?)(\d+)$/.exec(f[0]!);
    if (f.length !== 14 || !m) continue;
    const h = (s: string) => (s === "-" ? null : parseInt(s, 16) >>> 0);
    (m[1] ? out.hot : out.first).set(Number(m[2]), {
      line: line.trim(), regs: f.slice(1, 9).map((s) => h(s)!), eflags: h(f[9]!)!, sum: h(f[10]!)!,
      vec: h(f[11]!), err: h(f[12]!), eip: h(f[13]!),
    });
  }
  return out;
}

const hex = (v: number | null): string => (v === null ? "-" : (v >>> 0).toString(16));

/** Differences between QEMU's and tsxen's results for one case, after masking; empty when they agree. */
export function compareCase(c: FuzzCase, q: CaseResult, t: CaseResult): string[] {
  const diffs: string[] = [];
  const mask = comparisonMask(c, q.vec === null ? null : q.eip, ((q.eflags | t.eflags) & ZF) !== 0);
  for (let r = 0; r < 8; r++) {
    if (mask.regs & (1 << r) && q.regs[r] !== t.regs[r]) diffs.push(`${r === 4 ? "esp-mid" : REG32[r]} ${hex(q.regs[r]!)} vs ${hex(t.regs[r]!)}`);
  }
  const fl = (q.eflags ^ t.eflags) & mask.flags;
  if (fl) diffs.push(`eflags differ in ${hex(fl)} (compared ${hex(mask.flags)})`);
  if (q.sum !== t.sum) diffs.push("scratch checksum");
  if (q.vec !== t.vec) diffs.push(`vector ${hex(q.vec)} vs ${hex(t.vec)}`);
  else if (q.err !== t.err || q.eip !== t.eip) diffs.push(`error code/eip ${hex(q.err)}/${hex(q.eip)} vs ${hex(t.err)}/${hex(t.eip)}`);
  return diffs;
}

/**
 * Where tsxen departs from the SDM although QEMU is not compared: RF in the
 * EFLAGS image. SDM Vol. 3B §17.3.1.1: "For any fault-class exception except
 * a debug exception generated in response to an instruction breakpoint, the
 * value pushed for RF is 1", and 1 for "any trap-class exception generated
 * by any iteration of a repeated string instruction but the last iteration"
 * (a single-step #DB whose EIP is still the REP instruction, its count
 * register already decremented); other traps push the current RF (0 here);
 * PUSHF (the normal end of a case) stores RF as 0 (Vol. 2B, PUSHF).
 */
export function checkSdm(c: FuzzCase, t: CaseResult): string[] {
  let rf = t.vec !== null && FAULT_VECTORS.has(t.vec) ? RF : 0;
  if (t.vec === 1 && t.eip !== null) {
    const k = offsets(c).indexOf(t.eip);
    const insn = k >= 0 ? c.insns[k] : undefined;
    if (insn && insn.sem.iterations !== undefined && [0xf2, 0xf3].some((p) => insn.bytes.slice(0, -1).includes(p))) {
      const count = insn.bytes.slice(0, -1).includes(0x67) ? t.regs[1]! & 0xffff : t.regs[1]!;
      if (count !== insn.sem.iterations) rf = RF; // stopped between iterations
    }
  }
  return (t.eflags & RF) !== rf ? [`RF=${(t.eflags & RF) ? 1 : 0} in the EFLAGS image of vector ${hex(t.vec)}, SDM says ${rf ? 1 : 0}`] : [];
}

export interface Mismatch {
  c: FuzzCase;
  qemu: CaseResult | undefined;
  tsxen: CaseResult | undefined;
  diffs: string[];
}

export interface BatchResult {
  cases: number;
  /** Cases whose every run matched QEMU. */
  matched: number;
  /** Differences from QEMU. */
  mismatches: Mismatch[];
  /** Differences from the SDM where QEMU is no oracle (checkSdm). */
  sdm: Mismatch[];
  /** Problems with a whole run (timeout, no DONE, bad exit status). */
  errors: string[];
}

function runProblems(who: string, r: RunResult): string[] {
  const tail = r.stdout.split("\n").slice(-3).join(" | ") + (r.stderr ? ` | stderr: ${r.stderr.slice(-300)}` : "");
  if (r.timedOut) return [`${who} timed out (${tail})`];
  if (!r.stdout.endsWith("DONE\n") || r.exitStatus !== EXIT_OK) return [`${who} exit status ${r.exitStatus} (${tail})`];
  return [];
}

export interface BatchOptions {
  timeoutMs: number;
  /** Build directory under guests/build/fuzz/. */
  tag: string;
  /** Memoise QEMU's output (tests/cpu/qemu.ts): for fixed seeds, not for one-off runs. */
  cacheQemu: boolean;
}

/**
 * tsxen is run twice: as configured (cases start in the interpreter; those
 * with reps > 1 are compiled by their 17th run, the "J" lines) and with
 * `--jit-threshold 1`, where every block is compiled on first entry.
 */
const TSXEN_VARIANTS: readonly [string, readonly string[]][] = [["", []], ["--jit-threshold 1: ", ["--jit-threshold", "1"]]];

function runTsxenWith(elf: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(join(repoRoot(), "bin", "tsxen"), ["run", ...args, elf], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => { clearTimeout(timer); done({ stdout: "", stderr: String(e), exitStatus: null, timedOut }); });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1"), exitStatus: code, timedOut });
    });
  });
}

/** Generate, build, run and compare cases start..start+count-1 of seed. */
export async function runBatch(seed: number, start: number, count: number, opts: BatchOptions): Promise<BatchResult> {
  const cases = generateCases(seed, count, start);
  const elf = buildKernel(cases, opts.tag);
  const timeoutMs = opts.timeoutMs;
  const [q, ...ts] = await Promise.all([
    opts.cacheQemu ? runQemuCached(elf, { timeoutMs }) : runQemu(elf, { timeoutMs }),
    ...TSXEN_VARIANTS.map(([, args]) => runTsxenWith(elf, args, timeoutMs)),
  ]);
  const errors = [...runProblems("qemu", q!), ...ts.flatMap((t, v) => runProblems(`tsxen ${TSXEN_VARIANTS[v]![0]}`, t))];
  const qr = parseOutput(q!.stdout);
  const trs = ts.map((t) => parseOutput(t.stdout));
  const mismatches: Mismatch[] = [];
  const sdm: Mismatch[] = [];
  let matched = 0;
  cases.forEach((c, k) => {
    const runs: [string, Map<number, CaseResult>, Map<number, CaseResult>][] = [];
    trs.forEach((tr, v) => {
      const variant = TSXEN_VARIANTS[v]![0];
      runs.push([variant, qr.first, tr.first]);
      if (c.reps > 1) runs.push([`${variant}run ${c.reps}${variant ? "" : " (compiled on tsxen)"}: `, qr.hot, tr.hot]);
    });
    let ok = true;
    for (const [label, qm, tm] of runs) {
      const qc = qm.get(k);
      const tc = tm.get(k);
      const diffs = qc && tc ? compareCase(c, qc, tc) : [`no result line from ${qc ? "tsxen" : "qemu"}`];
      if (diffs.length) {
        mismatches.push({ c, qemu: qc, tsxen: tc, diffs: diffs.map((d) => label + d) });
        ok = false;
      }
      const bad = tc ? checkSdm(c, tc) : [];
      if (bad.length) sdm.push({ c, qemu: qc, tsxen: tc, diffs: bad.map((d) => label + d) });
    }
    if (ok) matched++;
  });
  return { cases: count, matched, mismatches, sdm, errors };
}

export function formatMismatch(m: Mismatch): string {
  const head = "      idx eax      ecx      edx      ebx      esp-mid  ebp      esi      edi      eflags   sum      vec err eip";
  return [
    describe(m.c),
    head,
    `  qemu:  ${m.qemu?.line ?? "(none)"}`,
    `  tsxen: ${m.tsxen?.line ?? "(none)"}`,
    `  differs: ${m.diffs.join("; ")}`,
  ].join("\n");
}
