/**
 * A bare machine for CPU tests (no tests of its own; plain code, no Node API).
 *
 * Raw machine code is written into RAM and run from the Multiboot state
 * (Multiboot v1 §3.2): protected mode, paging off, flat 4 GiB CS/DS/ES/FS/GS/SS,
 * CPL 0, IF = 0. A program ends with `out %al, $0xf4` (EXIT), which makes
 * `Pc.runFor` return "exit" with the AL value in `pc.exitCode`.
 *
 * Fixed layout used by the helpers (all below 1 MiB, identity when paging is off):
 *
 *   0x00500  GDT (32 descriptors)          0x01000  code (CODE)
 *   0x00600  TSS (0x68 bytes)              0x08000  top of the ring-0 stack (STACK)
 *   0x00800  IDT (256 gates, when built)   0x10000  page directory, then page tables (PAGE_DIR)
 *
 * `snapshot` captures every architectural register so a test can assert the
 * whole change an instruction made (STYLE §9): compare `snapshot(cpu)` with
 * `{ ...before, ...expectedChanges }`.
 */
import { Pc } from "../pc.js";
import type { Cpu } from "./cpu.js";
import { CS, DS, ES, FS, GS, SS } from "./registers.js";
import { ATTR_CODE32, ATTR_DATA32, setSegment } from "./segmentation.js";

export const GDT = 0x500, IDT = 0x800, TSS = 0x600, CODE = 0x1000, STACK = 0x8000, PAGE_DIR = 0x10000;
/** `out %al, $0xf4`: QEMU's isa-debug-exit, ends the run. */
export const EXIT = [0xe6, 0xf4] as const;

export interface TestMachine {
  pc: Pc;
  cpu: Cpu;
  /** Bytes the guest sent to COM1. */
  serial: number[];
}

/** A fresh PC in the Multiboot state with EIP = CODE and ESP = STACK. */
export function testMachine(memoryMiB = 4): TestMachine {
  const serial: number[] = [];
  const pc = new Pc({ memoryMiB, serial: (b) => { serial.push(b); } });
  const cpu = pc.cpu;
  cpu.cr0 = 0x11; // PE | ET
  setSegment(cpu, CS, 0x08, 0, 0xffffffff, ATTR_CODE32);
  for (const seg of [DS, ES, FS, GS, SS]) setSegment(cpu, seg, 0x10, 0, 0xffffffff, ATTR_DATA32);
  cpu.cpl = 0;
  cpu.updateAccessMasks();
  cpu.eflags = 2;
  cpu.eip = CODE;
  cpu.regs[4] = STACK;
  cpu.fpu.reset();
  return { pc, cpu, serial };
}

/** Write bytes into physical memory. */
export function poke(pc: Pc, addr: number, bytes: readonly number[] | Uint8Array): void {
  pc.ram.writePhys(addr, Uint8Array.from(bytes));
}

/** Little-endian bytes of a 32-bit value (for building instructions). */
export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
export const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];

/** Run until the guest exits; throws if it does not within `cycles`. */
export function runToExit(pc: Pc, cycles = 50_000_000): void {
  const reason = pc.runFor(cycles);
  if (reason !== "exit") {
    throw new Error(`program did not exit (${reason}) at eip ${(pc.cpu.eip >>> 0).toString(16)}, cpl ${pc.cpu.cpl}`);
  }
}

/**
 * Write a code/data/system descriptor into the GDT slot `index`.
 * `access` is the P DPL S type byte; `flags` the G DB L AVL nibble.
 */
export function descriptor(pc: Pc, index: number, base: number, limit: number, access: number, flags: number, table = GDT): void {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  pc.ram.write32(table + index * 8, lo);
  pc.ram.write32(table + index * 8 + 4, hi);
}

/** Point GDTR at GDT (as LGDT would). */
export function useGdt(cpu: Cpu, entries = 32): void {
  cpu.gdtBase = GDT;
  cpu.gdtLimit = entries * 8 - 1;
}

/** Standard flat descriptors: 0x08 code0, 0x10 data0, 0x1b code3, 0x23 data3, 0x28 TSS (limit 0x67). */
export const SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x1b, SEL_DATA3 = 0x23, SEL_TSS = 0x28;
export function flatGdt(tm: TestMachine): void {
  const { pc, cpu } = tm;
  descriptor(pc, 1, 0, 0xfffff, 0x9a, 0xc);
  descriptor(pc, 2, 0, 0xfffff, 0x92, 0xc);
  descriptor(pc, 3, 0, 0xfffff, 0xfa, 0xc);
  descriptor(pc, 4, 0, 0xfffff, 0xf2, 0xc);
  descriptor(pc, 5, TSS, 0x67, 0x89, 0);
  useGdt(cpu);
}

/**
 * An IDT gate: `type` 0xE = 32-bit interrupt gate, 0xF = 32-bit trap gate.
 * Sets IDTR to IDT with 256 gates.
 */
export function gate(tm: TestMachine, vector: number, sel: number, offset: number, dpl = 0, type = 0xe, present = true): void {
  const { pc, cpu } = tm;
  pc.ram.write32(IDT + vector * 8, ((sel & 0xffff) << 16) | (offset & 0xffff));
  pc.ram.write32(IDT + vector * 8 + 4, (offset & 0xffff0000) | (present ? 0x8000 : 0) | (dpl << 13) | (type << 8));
  cpu.idtBase = IDT;
  cpu.idtLimit = 256 * 8 - 1;
}

/**
 * Identity-map the first `mib` MiB with 2-level 4 KiB pages (PDEs at
 * PAGE_DIR, tables right after it), PTE bits `pteBits` (default P|RW|US).
 * Does not turn paging on. Returns the page-table address for linear page `vpn`.
 */
export function identityPaging(pc: Pc, mib = 4, pteBits = 7): (vpn: number) => number {
  const tables = mib / 4;
  for (let t = 0; t < tables; t++) {
    const pt = PAGE_DIR + 0x1000 * (t + 1);
    pc.ram.write32(PAGE_DIR + t * 4, pt | 7);
    for (let i = 0; i < 1024; i++) pc.ram.write32(pt + i * 4, (((t << 10) | i) << 12) | pteBits);
  }
  return (vpn) => PAGE_DIR + 0x1000 * ((vpn >>> 10) + 1) + (vpn & 0x3ff) * 4;
}

/** Every architectural register of the CPU, for whole-state comparisons. */
export interface CpuSnapshot {
  regs: number[];
  eip: number;
  eflags: number;
  cpl: number;
  segSel: number[];
  segBase: number[];
  segLimit: number[];
  segAttr: number[];
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  gdt: [number, number];
  idt: [number, number];
  tr: number;
  ldt: number;
}

export function snapshot(cpu: Cpu): CpuSnapshot {
  return {
    regs: Array.from(cpu.regs, (v) => v >>> 0),
    eip: cpu.eip >>> 0,
    eflags: cpu.eflags >>> 0,
    cpl: cpu.cpl,
    segSel: Array.from(cpu.segSel.subarray(0, 6)),
    segBase: Array.from(cpu.segBase.subarray(0, 6), (v) => v >>> 0),
    segLimit: Array.from(cpu.segLimit.subarray(0, 6)),
    segAttr: Array.from(cpu.segAttr.subarray(0, 6)),
    cr0: cpu.cr0 >>> 0,
    cr2: cpu.cr2 >>> 0,
    cr3: cpu.cr3 >>> 0,
    cr4: cpu.cr4 >>> 0,
    gdt: [cpu.gdtBase >>> 0, cpu.gdtLimit],
    idt: [cpu.idtBase >>> 0, cpu.idtLimit],
    tr: cpu.trSel,
    ldt: cpu.ldtSel,
  };
}

/** `regs` of a snapshot with some registers replaced (index -> value). */
export function withRegs(regs: number[], changes: Record<number, number>): number[] {
  const out = regs.slice();
  for (const [r, v] of Object.entries(changes)) out[Number(r)] = v >>> 0;
  return out;
}

/**
 * Machine code with labels, for tests: `here` is the address of the next
 * byte; branches take absolute targets. Encodings are written by the caller.
 */
export class Code {
  readonly bytes: number[] = [];
  constructor(readonly origin: number) {}

  get here(): number {
    return this.origin + this.bytes.length;
  }

  emit(...b: number[]): this {
    for (const x of b) this.bytes.push(x & 0xff);
    return this;
  }

  /** A two-byte branch (Jcc rel8 0x70-0x7F, JMP 0xEB, LOOP 0xE2) to `target`. */
  rel8(op: number, target: number): this {
    const rel = target - (this.here + 2);
    if (rel < -128 || rel > 127) throw new Error(`rel8 out of range: ${rel}`);
    return this.emit(op, rel);
  }

  /** CALL rel32 to `target`. */
  call(target: number): this {
    return this.emit(0xe8, ...le32(target - (this.here + 5)));
  }

  /** Write the code at its origin. */
  place(pc: Pc): this {
    poke(pc, this.origin, this.bytes);
    return this;
  }
}

export interface CodeRun extends TestMachine {
  /** State when the program started, and when it exited. */
  before: CpuSnapshot;
  after: CpuSnapshot;
}

/**
 * Run `code` to its EXIT on a fresh machine: `compile` selects the block
 * compiler (default) or the pure interpreter; `setup` prepares tables and
 * control registers after the code is placed.
 */
export function runCode(code: Code, opts: { compile?: boolean; setup?: (tm: TestMachine) => void; mib?: number } = {}): CodeRun {
  const tm = testMachine(opts.mib ?? 4);
  tm.cpu.compileBlocks = opts.compile ?? true;
  code.place(tm.pc);
  opts.setup?.(tm);
  const before = snapshot(tm.cpu);
  runToExit(tm.pc);
  return { ...tm, before, after: snapshot(tm.cpu) };
}
