/**
 * Running a bare-metal test kernel on the two machines the differential
 * test compares: QEMU (the oracle) and tsxen.
 *
 * Both take a Multiboot v1 ELF, send COM1 to stdout and end when the guest
 * writes port 0xF4 (isa-debug-exit): the host exit status is then
 * (value << 1) | 1, so a test that calls exit_qemu(0) ends with status 1.
 *
 *   QEMU:  qemu-system-i386 -cpu qemu32,+nx -m 128 -kernel ELF ... -accel tcg
 *   tsxen: bin/tsxen run ELF          (same stdout / exit-status contract)
 *
 * QEMU results depend only on the ELF bytes and the command line, so
 * runQemuCached() memoises them in guests/build/qemu-cache/<sha256>.json.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunOptions {
  timeoutMs: number;
}

export interface CacheOptions extends RunOptions {
  /** Also cache a run that timed out (for kernels QEMU is known to hang on). */
  cacheTimeouts?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Process exit code; null if it was killed (timeout) or died by a signal. */
  exitStatus: number | null;
  timedOut: boolean;
}

/** The repository root: the nearest ancestor holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'guests'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

export function qemuArgs(elfPath: string): string[] {
  return [
    '-cpu', 'qemu32,+nx', '-m', '128', '-kernel', elfPath,
    '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-no-reboot', '-accel', 'tcg',
  ];
}

function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ stdout: '', stderr: String(e), exitStatus: null, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
        exitStatus: code,
        timedOut,
      });
    });
  });
}

export function runQemu(elfPath: string, opts: RunOptions): Promise<RunResult> {
  return run('qemu-system-i386', qemuArgs(resolve(elfPath)), opts);
}

export function runTsxen(elfPath: string, opts: RunOptions): Promise<RunResult> {
  return run(join(repoRoot(), 'bin', 'tsxen'), ['run', resolve(elfPath)], opts);
}

/**
 * runQemu, memoised by the ELF's content and the QEMU command line. Only
 * completed runs (not spawn failures, not timeouts unless cacheTimeouts)
 * are cached.
 */
export async function runQemuCached(elfPath: string, opts: CacheOptions): Promise<RunResult & { cached: boolean }> {
  const hash = createHash('sha256')
    .update(readFileSync(elfPath))
    .update('\0' + qemuArgs('ELF').join(' '))
    .digest('hex');
  const dir = join(repoRoot(), 'guests', 'build', 'qemu-cache');
  const file = join(dir, `${hash}.json`);
  if (existsSync(file)) {
    try {
      return { ...(JSON.parse(readFileSync(file, 'utf8')) as RunResult), cached: true };
    } catch {
      /* corrupt entry: rerun */
    }
  }
  const r = await runQemu(elfPath, opts);
  const spawnFailed = r.exitStatus === null && !r.timedOut;
  if (!spawnFailed && (!r.timedOut || opts.cacheTimeouts)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);          // atomic: concurrent runs never see half a file
  }
  return { ...r, cached: false };
}
