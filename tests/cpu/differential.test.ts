/**
 * Differential CPU test: every bare-metal kernel in guests/build/tests/*.elf
 * whose guests/tests/<name>/info.json lists "pc" in `runs` is run on tsxen
 * and compared (ARCHITECTURE.md §6; contract in guests/tests/README.md):
 *
 *   oracle "qemu": tsxen stdout === QEMU stdout, both end with "DONE\n",
 *                  both exit with status 1 (exit_qemu(0)).
 *   oracle "sdm":  tsxen stdout === expected.txt (written from the Intel SDM),
 *                  status 1; whether QEMU differs is reported, not asserted.
 *
 * A kernel whose info.json has "disk": {"sectors": N, "pattern": "lba"} runs
 * on both machines with that image (built by qemu.ts diskImage()) as the IDE
 * primary master. A kernel with an empty `runs` (e.g. uart-echo, which needs
 * stdin) is not run here.
 *
 * QEMU results are cached by ELF and disk hash (qemu.ts). Two kernels run at a time,
 * each with a 60 s budget (QEMU gets 15 s on sdm kernels, timeouts cached). TSXEN_TESTS=a,b restricts the run to those names.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diskImage, repoRoot, runQemuCached, runTsxen, type DiskSpec, type MachineOptions, type RunResult } from './qemu.js';

interface TestInfo {
  runs: string[];
  oracle: 'qemu' | 'sdm';
  description?: string;
  /** A disk image for the IDE primary master (guests/tests/README.md). */
  disk?: DiskSpec;
}

interface Kernel {
  name: string;
  elf: string;
  dir: string;
  info: TestInfo;
}

const TIMEOUT_MS = 60_000;
/** QEMU only informs sdm kernels, and hangs on some of them (see docs/qemu-deviations.md). */
const SDM_QEMU_TIMEOUT_MS = 15_000;
const EXIT_OK = 1; // exit_qemu(0) -> (0 << 1) | 1

function discover(): Kernel[] {
  const root = repoRoot();
  const buildDir = join(root, 'guests', 'build', 'tests');
  if (!existsSync(buildDir)) return [];
  const only = process.env.TSXEN_TESTS?.split(',').filter(Boolean);
  const kernels: Kernel[] = [];
  for (const file of readdirSync(buildDir).sort()) {
    if (!file.endsWith('.elf')) continue;
    const name = file.slice(0, -4);
    if (only && !only.includes(name)) continue;
    const dir = join(root, 'guests', 'tests', name);
    const infoPath = join(dir, 'info.json');
    if (!existsSync(infoPath)) continue;
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as TestInfo;
    if (!info.runs?.includes('pc')) continue;
    kernels.push({ name, elf: join(buildDir, file), dir, info });
  }
  return kernels;
}

/** First differing line, for a readable failure message. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}: got ${JSON.stringify(a[i])}, want ${JSON.stringify(e[i])}`;
  }
  return 'identical';
}

function assertFinished(who: string, r: RunResult): void {
  const tail = `\n--- stdout (tail) ---\n${r.stdout.slice(-2000)}\n--- stderr (tail) ---\n${r.stderr.slice(-2000)}`;
  assert.ok(!r.timedOut, `${who} timed out after ${TIMEOUT_MS} ms${tail}`);
  assert.ok(r.stdout.endsWith('DONE\n'), `${who} output does not end with DONE (exit status ${r.exitStatus})${tail}`);
  assert.equal(r.exitStatus, EXIT_OK, `${who} exit status${tail}`);
}

const kernels = discover();

describe('differential: bare-metal kernels, tsxen vs oracle', { concurrency: 2 }, () => {
  if (kernels.length === 0) {
    it('finds kernels (run `make -C guests` first)', () => {
      assert.fail('no kernels in guests/build/tests with "pc" in info.json runs');
    });
  }
  for (const k of kernels) {
    it(`${k.name} (${k.info.oracle})`, { timeout: TIMEOUT_MS + 5_000 }, async (t) => {
      const opts = { timeoutMs: TIMEOUT_MS };
      const qemuOpts = k.info.oracle === 'sdm' ? { timeoutMs: SDM_QEMU_TIMEOUT_MS, cacheTimeouts: true } : opts;
      const machine: MachineOptions = k.info.disk === undefined ? {} : { disk: diskImage(k.info.disk) };
      const [qemu, tsxen, compiled] = await Promise.all([
        runQemuCached(k.elf, qemuOpts, machine), runTsxen(k.elf, opts, machine),
        // every block compiled at its first entry: the block compiler must not change a byte
        runTsxen(k.elf, opts, machine, ['--jit-threshold', '1']),
      ]);
      assert.ok(compiled.stdout === tsxen.stdout,
        `--jit-threshold 1 changes the output at ${firstDifference(compiled.stdout, tsxen.stdout)}`);
      if (k.info.oracle === 'qemu') {
        assertFinished('QEMU', qemu);
        assertFinished('tsxen', tsxen);
        assert.ok(tsxen.stdout === qemu.stdout,
          `tsxen differs from QEMU at ${firstDifference(tsxen.stdout, qemu.stdout)}`);
      } else if (k.info.oracle === 'sdm') {
        const expected = readFileSync(join(k.dir, 'expected.txt'), 'latin1');
        assert.ok(expected.endsWith('DONE\n'), 'expected.txt must end with DONE');
        const qemuSame = qemu.stdout === expected;
        t.diagnostic(qemuSame ? 'QEMU agrees with the SDM here'
          : `QEMU deviates from the SDM (documented): ${firstDifference(qemu.stdout, expected)}`);
        assertFinished('tsxen', tsxen);
        assert.ok(tsxen.stdout === expected,
          `tsxen differs from expected.txt at ${firstDifference(tsxen.stdout, expected)}`);
      } else {
        assert.fail(`unknown oracle ${String(k.info.oracle)} in ${k.name}/info.json`);
      }
    });
  }
});
