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
 * QEMU runs without VGA and NIC (-vga none -nic none), so its PCI bus 0 is
 * tsxen's (00:00.0 i440FX, 00:01.0 PIIX3 ISA, 00:01.1 PIIX3 IDE) plus only
 * QEMU's PIIX4 power management function 00:01.3. No existing kernel's
 * output changed when these flags were added (checked on all qemu-oracle
 * kernels); a future test that needs QEMU's NIC must ask for one.
 *
 * A kernel may get a disk (MachineOptions.disk, a raw image path): tsxen
 * takes it with --disk (kept in memory: guest writes never reach the file),
 * QEMU as the IDE primary master with snapshot=on (writes go to a temporary
 * overlay), so the image is never modified and may be shared by runs.
 * diskImage() builds the deterministic images info.json asks for.
 *
 * QEMU results depend only on the ELF bytes, the disk image bytes and the
 * command line, so runQemuCached() memoises them in
 * guests/build/qemu-cache/<sha256>.json.
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

/** What a kernel is given besides its ELF. */
export interface MachineOptions {
  /** A raw disk image: IDE primary master on both machines. */
  disk?: string;
}

/** A disk as a test folder's info.json describes it. */
export interface DiskSpec {
  sectors: number;
  /**
   * "lba": sector L holds L as a little-endian dword in bytes 0-3, then
   *        byte i (4..511) = (i*7 + L*13 + (L >> 8)) & 0xFF;
   * "zero": all zeros.
   */
  pattern: 'lba' | 'zero';
}

const SECTOR = 512;
const MAX_DISK_SECTORS = 1 << 20;      // 512 MiB: plenty for a test, small enough to hold in memory

/** The bytes of a DiskSpec image. */
export function diskBytes(spec: DiskSpec): Uint8Array {
  const { sectors, pattern } = spec;
  if (!Number.isInteger(sectors) || sectors < 1 || sectors > MAX_DISK_SECTORS) {
    throw new Error(`disk.sectors must be an integer in 1..${MAX_DISK_SECTORS}, got ${String(sectors)}`);
  }
  const image = new Uint8Array(sectors * SECTOR);
  if (pattern === 'zero') return image;
  if (pattern !== 'lba') throw new Error(`unknown disk.pattern ${JSON.stringify(pattern)}`);
  for (let lba = 0; lba < sectors; lba++) {
    const base = lba * SECTOR;
    for (let i = 0; i < 4; i++) image[base + i] = (lba >>> (8 * i)) & 0xff;
    for (let i = 4; i < SECTOR; i++) image[base + i] = (i * 7 + lba * 13 + (lba >>> 8)) & 0xff;
  }
  return image;
}

/**
 * The image for `spec`, built once in guests/build/disks/<pattern>-<sectors>.img
 * (rebuilt if its content is not what the spec gives). Returns its path.
 */
export function diskImage(spec: DiskSpec): string {
  const bytes = diskBytes(spec);
  const dir = join(repoRoot(), 'guests', 'build', 'disks');
  const file = join(dir, `${spec.pattern}-${spec.sectors}.img`);
  if (existsSync(file)) {
    const have = readFileSync(file);
    if (have.length === bytes.length && have.equals(bytes)) return file;
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);            // atomic: a concurrent reader sees the old or the new image
  return file;
}

export function qemuArgs(elfPath: string, machine: MachineOptions = {}): string[] {
  return [
    '-cpu', 'qemu32,+nx', '-m', '128', '-kernel', elfPath,
    '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-no-reboot', '-accel', 'tcg', '-vga', 'none', '-nic', 'none',
    ...(machine.disk === undefined ? [] : ['-drive', `file=${machine.disk},format=raw,if=ide,index=0,snapshot=on`]),
  ];
}

export function tsxenArgs(elfPath: string, machine: MachineOptions = {}): string[] {
  return ['run', elfPath, ...(machine.disk === undefined ? [] : ['--disk', machine.disk])];
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

function resolved(machine: MachineOptions): MachineOptions {
  return machine.disk === undefined ? {} : { disk: resolve(machine.disk) };
}

export function runQemu(elfPath: string, opts: RunOptions, machine: MachineOptions = {}): Promise<RunResult> {
  return run('qemu-system-i386', qemuArgs(resolve(elfPath), resolved(machine)), opts);
}

export function runTsxen(
  elfPath: string, opts: RunOptions, machine: MachineOptions = {}, extra: readonly string[] = [],
): Promise<RunResult> {
  return run(join(repoRoot(), 'bin', 'tsxen'), [...tsxenArgs(resolve(elfPath), resolved(machine)), ...extra], opts);
}

/**
 * runQemu, memoised by the ELF's and disk image's content and the QEMU
 * command line. Only completed runs (not spawn failures, not timeouts
 * unless cacheTimeouts) are cached.
 */
export async function runQemuCached(
  elfPath: string, opts: CacheOptions, machine: MachineOptions = {},
): Promise<RunResult & { cached: boolean }> {
  const h = createHash('sha256')
    .update(readFileSync(elfPath))
    .update('\0' + qemuArgs('ELF', machine.disk === undefined ? {} : { disk: 'DISK' }).join(' '));
  if (machine.disk !== undefined) h.update('\0').update(readFileSync(machine.disk));
  const hash = h.digest('hex');
  const dir = join(repoRoot(), 'guests', 'build', 'qemu-cache');
  const file = join(dir, `${hash}.json`);
  if (existsSync(file)) {
    try {
      return { ...(JSON.parse(readFileSync(file, 'utf8')) as RunResult), cached: true };
    } catch {
      /* corrupt entry: rerun */
    }
  }
  const r = await runQemu(elfPath, opts, machine);
  const spawnFailed = r.exitStatus === null && !r.timedOut;
  if (!spawnFailed && (!r.timedOut || opts.cacheTimeouts)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);          // atomic: concurrent runs never see half a file
  }
  return { ...r, cached: false };
}
