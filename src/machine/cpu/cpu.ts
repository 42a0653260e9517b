/**
 * The IA-32 processor's architectural state and its memory paths.
 *
 * State lives in typed arrays and plain fields so the hot loop allocates
 * nothing. Segment registers keep their descriptor caches (SDM Vol. 3 §3.4.3):
 *
 *   segSel[s]   visible selector          segBase[s]  cached base
 *   segLimit[s] cached byte limit          segAttr[s]  access byte | flags << 8
 *   segRd[s]/segWr[s]: 1 when an access may take the fast path (present,
 *   readable/writable, expand-up); anything else takes the checked slow path.
 *
 *   segAttr:  15 14 13 12 11..8  7  6 5  4  3..0
 *             G  DB L  AVL  -   P  DPL  S  type      bit 16: unusable (null)
 *
 * Memory accesses go segment -> linear -> TLB -> RAM. The fast path is one
 * check of the segment, one TLB load and one RAM load; misses, page
 * crossings, breakpoints and open bus take the slow path in this file.
 */
import type { SimClock } from "../clock.js";
import type { PortBus } from "../memory/port-bus.js";
import type { Ram } from "../memory/ram.js";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PAGE_FAULT, walk, type PagingState } from "../mmu/page-walk.js";
import {
  TLB_EXEC_SUP, TLB_EXEC_USER, TLB_READ_SUP, TLB_READ_USER, TLB_SLOW, TLB_WRITE_SUP, TLB_WRITE_USER, Tlb,
  type TlbGeometry,
} from "../mmu/tlb.js";
import type { CostTable } from "../costs.js";
import { raise } from "./fault.js";
import { LazyFlags } from "./lazy-flags.js";
import { GP, PF_VEC, SS, SS_VEC } from "./registers.js";
import type { Fpu } from "./fpu.js";
import { DebugUnit } from "./debug.js";
import { DecodeCache } from "./decoder.js";
import { newTrapFrame, type Ring0Host, type TrapFrame } from "../exits.js";

export const ATTR_UNUSABLE = 1 << 16;

/** Source of external interrupts (the PIC's INTR line and INTA cycle). */
export interface InterruptController {
  hasInterrupt(): boolean;
  acknowledge(): number;
}

export class Cpu implements PagingState {
  readonly regs = new Int32Array(8);
  readonly regs16: Uint16Array;
  readonly regs8: Uint8Array;
  eip = 0;
  /** EIP of the instruction being executed (for faults, which restart it). */
  startEip = 0;
  readonly lf = new LazyFlags();
  /** Non-status EFLAGS bits (TF IF DF IOPL NT RF VM AC ID, bit 1); status flags live in `lf`. */
  eflagsRest = 2;
  cpl = 0;

  readonly segSel = new Int32Array(8);
  readonly segBase = new Int32Array(8);
  readonly segLimit = new Float64Array(8);
  readonly segAttr = new Int32Array(8);
  readonly segRd = new Uint8Array(8);
  /** Raw descriptor words CS was loaded from (lets a reload of the same descriptor be skipped). */
  csDescLo = 0;
  csDescHi = 0;
  readonly segWr = new Uint8Array(8);

  gdtBase = 0; gdtLimit = 0xffff;
  idtBase = 0; idtLimit = 0x3ff;
  ldtSel = 0; ldtBase = 0; ldtLimit = 0; ldtAttr = ATTR_UNUSABLE;
  trSel = 0; trBase = 0; trLimit = 0; trAttr = ATTR_UNUSABLE;

  cr0 = 0x60000010; cr2 = 0; cr3 = 0; cr4 = 0; efer = 0;
  readonly pdpte = new Int32Array(8);
  readonly msrSysenterCs = new Int32Array(1);
  sysenterEsp = 0; sysenterEip = 0;
  debugCtl = 0;
  miscFeaturesEnables = 0;
  /** TSC offset: TSC = clock.now + tscOffset (WRMSR to 0x10 adjusts it). */
  tscOffset = 0;

  /** Access masks for the current CPL (TLB_* bits); zeroed to force the slow path. */
  readMask = TLB_READ_SUP;
  writeMask = TLB_WRITE_SUP;
  execMask = TLB_EXEC_SUP;

  /** Interrupts inhibited for one instruction (MOV SS, POP SS, STI shadow): 2 = set by this instruction. */
  inhibit = 0;
  /** Nonzero: the loop must look at interrupts, traps, halts before the next instruction. */
  attention = 1;
  /** Events delivered (exceptions, interrupts); lets the loop see that an INT n happened. */
  deliveries = 0;
  /** Set by IRET when it loads EFLAGS.RF = 1 (RF then survives that instruction's completion). */
  rfLoaded = false;
  /** #DB trap bits (B0-B3, BS) held back by a MOV SS / POP SS shadow. */
  deferredDebug = 0;
  /** Cached code page: linear page number, its decoded-slot map and frame (-1: look up again). */
  codeVpn = -1;
  codeMap: Int32Array = new Int32Array(4096);
  codeFrame = -1;
  /** The code page used before it (a call or an interrupt often alternates between two pages). */
  altVpn = -1;
  altMap: Int32Array = this.codeMap;
  altFrame = -1;
  /** CS.D of the current code segment (1 = 32-bit). */
  codeMode = 1;
  /** Index within the running compiled block of the instruction being executed; -1 outside blocks. */
  blockIndex = -1;
  /** Instructions a looping block completed in earlier passes of this run. */
  blockBase = 0;
  /** Cycle count before which compiled blocks must return to the loop (the loop's `stop`). */
  blockStop = -Infinity;
  /** Compile hot straight-line code to JavaScript (jit/); off: pure interpreter. */
  compileBlocks = true;
  /** Entries of a slot after which its block is compiled (1: compile everything at once). */
  hotThreshold = 16;
  /** Take the straight-line paths of common deliveries and IRETs (interrupts.ts); off: general paths only. */
  fastEvents = true;
  /** Address kept between rmwRead and rmwWrite. */
  rmwOff = 0;
  /** Observer of every architectural fault (debugging and statistics); null when unused. */
  onFault: ((vector: number, errorCode: number, eip: number) => void) | null = null;
  /** The ring-0 host, when a hypervisor owns ring 0. */
  host: Ring0Host | null = null;
  readonly trapFrame: TrapFrame = newTrapFrame();
  halted = false;
  /** Set by the board to make `run` return at the next instruction boundary. */
  stopRequested = false;
  /** Executed instructions, for statistics. */
  instructions = 0;

  readonly tlb: Tlb;
  readonly ram8: Uint8Array;
  readonly ram32: Int32Array;
  fpu!: Fpu;
  readonly debug: DebugUnit;
  readonly dc: DecodeCache;
  intc: InterruptController | null = null;

  constructor(
    readonly ram: Ram,
    readonly ports: PortBus,
    readonly clock: SimClock,
    readonly costs: CostTable,
    tlbGeometry?: TlbGeometry,
  ) {
    this.regs16 = new Uint16Array(this.regs.buffer);
    this.regs8 = new Uint8Array(this.regs.buffer);
    this.tlb = new Tlb(tlbGeometry);
    this.ram8 = ram.u8;
    this.ram32 = ram.i32;
    this.dc = new DecodeCache(ram.codePages);
    this.debug = new DebugUnit(this);
    ram.onCodeWrite = (frame) => {
      this.dc.invalidateFrame(frame);
      if (frame === this.codeFrame || frame === this.altFrame) this.forgetCode();
    };
  }

  /** Drop the cached code pages: the next instruction is looked up through the TLB again. */
  forgetCode(): void {
    this.codeVpn = -1;
    this.altVpn = -1;
  }

  /** Flush the TLB (all but global pages when `keepGlobal` and CR4.PGE). */
  flushTlb(keepGlobal: boolean): void {
    this.tlb.flush(keepGlobal && (this.cr4 & (1 << 7)) !== 0);
    this.forgetCode();
  }

  /** INVLPG for linear address `lin`. */
  invalidatePage(lin: number): void {
    this.tlb.flushPage(lin >>> 12);
    this.forgetCode();
  }

  // ---- EFLAGS ---------------------------------------------------------------

  get eflags(): number {
    return (this.lf.materialize() & 0x8d5) | this.eflagsRest | 2;
  }

  set eflags(value: number) {
    this.lf.lazy = 0;
    this.lf.flags = value & 0x8d5;
    this.eflagsRest = (value & ~0x8d5) | 2;
  }

  /** Recompute the fast-path access masks after a CPL or debug-state change. */
  updateAccessMasks(): void {
    const user = this.cpl === 3;
    this.forgetCode();
    this.readMask = user ? TLB_READ_USER : TLB_READ_SUP;
    this.writeMask = user ? TLB_WRITE_USER : TLB_WRITE_SUP;
    this.execMask = user ? TLB_EXEC_USER : TLB_EXEC_SUP;
    if (this.debug.dataBreakpoints) {
      this.readMask = 0;
      this.writeMask = 0;
    }
  }

  /**
   * Enter privilege level `cpl` (a CS load): the access masks follow it. The
   * cached code pages stay only while their TLB entries allow fetches at the
   * new level, which is what looking them up again would find.
   */
  changeCpl(cpl: number): void {
    this.cpl = cpl;
    const user = cpl === 3;
    this.readMask = user ? TLB_READ_USER : TLB_READ_SUP;
    this.writeMask = user ? TLB_WRITE_USER : TLB_WRITE_SUP;
    const exec = user ? TLB_EXEC_USER : TLB_EXEC_SUP;
    this.execMask = exec;
    if (this.debug.dataBreakpoints) {
      this.readMask = 0;
      this.writeMask = 0;
    }
    const entry = this.tlb.entry;
    if (this.codeVpn !== -1 && (entry[this.codeVpn]! & exec) === 0) this.codeVpn = -1;
    if (this.altVpn !== -1 && (entry[this.altVpn]! & exec) === 0) this.altVpn = -1;
  }

  // ---- segment checks -------------------------------------------------------

  /** Full check of an access to [off, off+size) in segment `seg`; returns the linear address. */
  segCheck(seg: number, off: number, size: number, write: boolean): number {
    const attr = this.segAttr[seg]!;
    const vector = seg === SS ? SS_VEC : GP;
    if ((attr & ATTR_UNUSABLE) !== 0) raise(vector, 0);
    const type = attr & 0xf;
    if ((type & 8) !== 0) {
      // code: readable only with R; never writable
      if (write || (type & 2) === 0) raise(vector, 0);
    } else if (write && (type & 2) === 0) {
      raise(vector, 0);
    }
    const first = off >>> 0, last = first + size - 1;
    const limit = this.segLimit[seg]!;
    if ((type & 0xc) === 4) {
      // expand-down data: valid offsets are (limit, upper]
      const upper = (attr & (1 << 14)) !== 0 ? 0xffffffff : 0xffff;
      if (first <= limit || last > upper) raise(vector, 0);
    } else if (last > limit) {
      raise(vector, 0);
    }
    return (this.segBase[seg]! + off) | 0;
  }

  // ---- virtual (segmented) accesses ------------------------------------------

  read8(seg: number, off: number): number {
    if (this.segRd[seg] === 0 || off >>> 0 > this.segLimit[seg]!) return this.linRead8(this.segCheck(seg, off, 1, false));
    return this.linRead8((this.segBase[seg]! + off) | 0);
  }

  read16(seg: number, off: number): number {
    if (this.segRd[seg] === 0 || off >>> 0 > this.segLimit[seg]! - 1) return this.linRead16(this.segCheck(seg, off, 2, false));
    return this.linRead16((this.segBase[seg]! + off) | 0);
  }

  read32(seg: number, off: number): number {
    if (this.segRd[seg] === 0 || off >>> 0 > this.segLimit[seg]! - 3) return this.linRead32(this.segCheck(seg, off, 4, false));
    return this.linRead32((this.segBase[seg]! + off) | 0);
  }

  write8(seg: number, off: number, value: number): void {
    if (this.segWr[seg] === 0 || off >>> 0 > this.segLimit[seg]!) this.linWrite8(this.segCheck(seg, off, 1, true), value);
    else this.linWrite8((this.segBase[seg]! + off) | 0, value);
  }

  write16(seg: number, off: number, value: number): void {
    if (this.segWr[seg] === 0 || off >>> 0 > this.segLimit[seg]! - 1) this.linWrite16(this.segCheck(seg, off, 2, true), value);
    else this.linWrite16((this.segBase[seg]! + off) | 0, value);
  }

  write32(seg: number, off: number, value: number): void {
    if (this.segWr[seg] === 0 || off >>> 0 > this.segLimit[seg]! - 3) this.linWrite32(this.segCheck(seg, off, 4, true), value);
    else this.linWrite32((this.segBase[seg]! + off) | 0, value);
  }

  /** Check that a write of `size` bytes would succeed (segment and paging) without writing. */
  probeWrite(seg: number, off: number, size: number): void {
    const lin = this.segCheck(seg, off, size, true);
    this.translate(lin, ACCESS_WRITE, this.cpl === 3);
    if (((lin & 0xfff) + size - 1) > 0xfff) this.translate((lin + size - 1) | 0, ACCESS_WRITE, this.cpl === 3);
  }

  // ---- linear accesses with the current privilege ----------------------------

  linRead8(lin: number): number {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.readMask) !== 0) return this.ram8[(e & ~0xfff) | (lin & 0xfff)]!;
    return this.slowRead(lin, 1, this.cpl === 3);
  }

  linRead16(lin: number): number {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.readMask) !== 0 && (lin & 0xfff) !== 0xfff) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      return this.ram8[p]! | (this.ram8[p + 1]! << 8);
    }
    return this.slowRead(lin, 2, this.cpl === 3);
  }

  linRead32(lin: number): number {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.readMask) !== 0 && (lin & 0xfff) <= 0xffc) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      if ((p & 3) === 0) return this.ram32[p >>> 2]!;
      return this.ram8[p]! | (this.ram8[p + 1]! << 8) | (this.ram8[p + 2]! << 16) | (this.ram8[p + 3]! << 24);
    }
    return this.slowRead(lin, 4, this.cpl === 3);
  }

  linWrite8(lin: number, value: number): void {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.writeMask) !== 0) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      if (this.ram.codePages[p >>> 12] !== 0) this.ram.onCodeWrite(p >>> 12);
      this.ram8[p] = value;
      return;
    }
    this.slowWrite(lin, 1, value, this.cpl === 3);
  }

  linWrite16(lin: number, value: number): void {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.writeMask) !== 0 && (lin & 0xfff) !== 0xfff) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      if (this.ram.codePages[p >>> 12] !== 0) this.ram.onCodeWrite(p >>> 12);
      this.ram8[p] = value;
      this.ram8[p + 1] = value >> 8;
      return;
    }
    this.slowWrite(lin, 2, value, this.cpl === 3);
  }

  linWrite32(lin: number, value: number): void {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.writeMask) !== 0 && (lin & 0xfff) <= 0xffc) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      if (this.ram.codePages[p >>> 12] !== 0) this.ram.onCodeWrite(p >>> 12);
      if ((p & 3) === 0) this.ram32[p >>> 2] = value;
      else { this.ram8[p] = value; this.ram8[p + 1] = value >> 8; this.ram8[p + 2] = value >> 16; this.ram8[p + 3] = value >> 24; }
      return;
    }
    this.slowWrite(lin, 4, value, this.cpl === 3);
  }

  // ---- supervisor (implicit) accesses: descriptor tables, TSS, IDT ------------

  supRead32(lin: number): number {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & TLB_READ_SUP) !== 0 && (lin & 0xfff) <= 0xffc && !this.debug.dataBreakpoints) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      if ((p & 3) === 0) return this.ram32[p >>> 2]!;
      return this.ram8[p]! | (this.ram8[p + 1]! << 8) | (this.ram8[p + 2]! << 16) | (this.ram8[p + 3]! << 24);
    }
    return this.slowRead(lin | 0, 4, false);
  }

  supRead16(lin: number): number {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & TLB_READ_SUP) !== 0 && (lin & 0xfff) !== 0xfff && !this.debug.dataBreakpoints) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      return this.ram8[p]! | (this.ram8[p + 1]! << 8);
    }
    return this.slowRead(lin | 0, 2, false);
  }

  supWrite32(lin: number, value: number): void {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & TLB_WRITE_SUP) !== 0 && (lin & 0xfff) <= 0xffc && !this.debug.dataBreakpoints) {
      const p = (e & ~0xfff) | (lin & 0xfff);
      if (this.ram.codePages[p >>> 12] !== 0) this.ram.onCodeWrite(p >>> 12);
      if ((p & 3) === 0) { this.ram32[p >>> 2] = value; return; }
    }
    this.slowWrite(lin | 0, 4, value, false);
  }

  supWrite8(lin: number, value: number): void {
    this.slowWrite(lin | 0, 1, value, false);
  }

  // ---- translation and the slow paths -----------------------------------------

  /** Physical address of `lin` for an access of `kind`; walks and faults as needed. */
  translate(lin: number, kind: number, user: boolean): number {
    const want = kind === ACCESS_READ ? (user ? TLB_READ_USER : TLB_READ_SUP)
      : kind === ACCESS_WRITE ? (user ? TLB_WRITE_USER : TLB_WRITE_SUP)
      : (user ? TLB_EXEC_USER : TLB_EXEC_SUP);
    let e = this.tlb.entry[lin >>> 12]!;
    if ((e & want) === 0) e = this.walkOrFault(lin, kind, user);
    return (e & ~0xfff) | (lin & 0xfff);
  }

  /** Page walk; turns a walk failure into #PF. Charges the walk's cycles. */
  walkOrFault(lin: number, kind: number, user: boolean): number {
    this.clock.now += this.costs.pageWalk;
    this.forgetCode(); // the walk may evict the code page's TLB entry
    try {
      return walk(this, this.ram, this.tlb, lin, kind, user);
    } catch (e) {
      if (e === PAGE_FAULT) raise(PF_VEC, PAGE_FAULT.errorCode);
      throw e;
    }
  }

  private physRead(p: number, size: number): number {
    if (p >>> 0 >= this.ram.size) return 0;
    if (size === 1) return this.ram8[p]!;
    if (size === 2) return this.ram.read16(p);
    return this.ram.read32(p);
  }

  slowRead(lin: number, size: number, user: boolean): number {
    if (this.debug.dataBreakpoints) this.debug.checkData(lin, size, false);
    if (((lin & 0xfff) + size - 1) <= 0xfff) {
      const e = this.tlbEntryFor(lin, ACCESS_READ, user);
      if ((e & TLB_SLOW) !== 0) return 0;
      return this.physRead((e & ~0xfff) | (lin & 0xfff), size);
    }
    // crosses a page: translate both pages before reading
    const p0 = this.translate(lin, ACCESS_READ, user);
    const p1 = this.translate((lin + size - 1) & ~0xfff, ACCESS_READ, user);
    let value = 0;
    for (let i = 0; i < size; i++) {
      const l = (lin + i) | 0;
      const p = (l >>> 12) === (lin >>> 12) ? p0 + i : p1 + ((l & 0xfff));
      value |= this.physRead(p, 1) << (8 * i);
    }
    return value;
  }

  slowWrite(lin: number, size: number, value: number, user: boolean): void {
    if (this.debug.dataBreakpoints) this.debug.checkData(lin, size, true);
    if (((lin & 0xfff) + size - 1) <= 0xfff) {
      const e = this.tlbEntryFor(lin, ACCESS_WRITE, user);
      if ((e & TLB_SLOW) !== 0) return;
      const p = (e & ~0xfff) | (lin & 0xfff);
      if (size === 1) this.ram.write8(p, value);
      else if (size === 2) this.ram.write16(p, value);
      else this.ram.write32(p, value);
      return;
    }
    const p0 = this.translate(lin, ACCESS_WRITE, user);
    const p1 = this.translate((lin + size - 1) & ~0xfff, ACCESS_WRITE, user);
    for (let i = 0; i < size; i++) {
      const l = (lin + i) | 0;
      const p = (l >>> 12) === (lin >>> 12) ? p0 + i : p1 + (l & 0xfff);
      this.ram.write8(p, (value >>> (8 * i)) & 0xff);
    }
  }

  private tlbEntryFor(lin: number, kind: number, user: boolean): number {
    const want = kind === ACCESS_READ ? (user ? TLB_READ_USER : TLB_READ_SUP)
      : kind === ACCESS_WRITE ? (user ? TLB_WRITE_USER : TLB_WRITE_SUP)
      : (user ? TLB_EXEC_USER : TLB_EXEC_SUP);
    const e = this.tlb.entry[lin >>> 12]!;
    // Open-bus pages are cached without rights bits, so they always re-walk.
    if ((e & want) !== 0) return e;
    return this.walkOrFault(lin, kind, user);
  }

  /** Fetch one code byte at linear `lin` (instruction fetch rights). */
  fetch8(lin: number): number {
    const e = this.tlb.entry[lin >>> 12]!;
    if ((e & this.execMask) !== 0) return this.ram8[(e & ~0xfff) | (lin & 0xfff)]!;
    const f = this.walkOrFault(lin, ACCESS_EXEC, this.cpl === 3);
    if ((f & TLB_SLOW) !== 0) return 0;
    return this.ram8[(f & ~0xfff) | (lin & 0xfff)]!;
  }
}
