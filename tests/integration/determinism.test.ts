/**
 * Determinism (ARCHITECTURE.md §2 "Time"): the machine runs in simulated
 * time only, so the same kernel run twice gives byte-identical serial output,
 * the same exit value, the same simulated cycle count and the same number of
 * instructions — and so does a run cut into different host-side slices
 * (runFor's budget is the host's scheduling, never visible to the guest).
 * Kernels: the timer-interrupt test (PIT, PIC, RTC interrupts) and the demo
 * kernel (paging, demand faults, ring 3, timer), from `make -C guests`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pc } from "../../src/machine/pc.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, "package.json")) && existsSync(join(dir, "guests")))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}

const KERNELS = {
  "timer-irq": join(repoRoot(), "guests", "build", "tests", "timer-irq.elf"),
  demo: join(repoRoot(), "guests", "build", "demo", "demo.elf"),
};

/** Simulated-cycle budget: 10 simulated seconds, far above what either kernel needs. */
const BUDGET = 24_000_000_000;

interface Run { serial: string; exitCode: number | null; cycles: number; instructions: number; decodes: number }

function run(path: string, slice: number): Run {
  const bytes: number[] = [];
  const pc = new Pc({ memoryMiB: 128, serial: (b) => { bytes.push(b); } });
  pc.bootMultiboot(new Uint8Array(readFileSync(path)), path);
  let reason = "running";
  while (reason === "running" && pc.clock.now < BUDGET) reason = pc.runFor(slice);
  assert.equal(reason, "exit", `${path} did not exit (${reason}) within ${BUDGET} cycles`);
  return {
    serial: Buffer.from(bytes).toString("latin1"), exitCode: pc.exitCode, cycles: pc.clock.now,
    instructions: pc.cpu.instructions, decodes: pc.cpu.dc.decodes,
  };
}

for (const [name, path] of Object.entries(KERNELS)) {
  test(`${name}: two runs give identical output, exit value, cycles and instruction counts`, () => {
    assert.ok(existsSync(path), `${path} missing: run \`make -C guests\``);
    const a = run(path, 24_000_000);
    const b = run(path, 24_000_000);
    assert.ok(a.serial.endsWith("DONE\n"), `${name} output ends with DONE:\n${a.serial.slice(-500)}`);
    assert.equal(a.exitCode, 0);
    assert.deepEqual(b, a);
  });

  test(`${name}: host-side slicing of runFor does not change the guest's run`, () => {
    assert.ok(existsSync(path), `${path} missing: run \`make -C guests\``);
    const a = run(path, 24_000_000);
    const b = run(path, 99_991);
    assert.deepEqual(
      { serial: b.serial, exitCode: b.exitCode, cycles: b.cycles, instructions: b.instructions },
      { serial: a.serial, exitCode: a.exitCode, cycles: a.cycles, instructions: a.instructions },
    );
  });
}
