/**
 * Exception and interrupt delivery in protected mode (SDM Vol. 3 §6.10–6.15,
 * Vol. 2 "INT n/INTO/INT3/INT1"), the double-fault rules (§6.15 Table 6-5),
 * and IRET (Vol. 2 IRET, protected-mode return to the same or an outer level).
 *
 *   IDT gate:  hi: offset 31..16 | P DPL 0 type(4) | 000 reserved
 *              lo: selector      | offset 15..0
 *   types: 0x6/0x7 16-bit interrupt/trap gate, 0xE/0xF 32-bit; 0x5 task gate.
 *
 * Task gates, task switches (IRET with NT=1) and virtual-8086 mode are not
 * part of this machine (ARCHITECTURE.md §2): they raise #GP with the
 * selector that named them, and are listed in docs/machine.md.
 */
import type { Cpu } from "./cpu.js";
import { FAULT, TripleFault, raise } from "./fault.js";
import { TLB_READ_SUP, TLB_WRITE_SUP } from "../mmu/tlb.js";
import {
  AC, CS, DF_VEC, EFLAGS_FIXED1, ESP, GP, ID, IF, IOPL, NP, NT, RF, SS, SS_VEC, TF, TS, VM,
} from "./registers.js";
import {
  attrDpl, checkOuterStack, attrIsCode, attrPresent, desc, descAttr, descBase, descLimit, loadCodeSegment,
  nullInaccessibleSegments, readDescriptor, setSegment,
} from "./segmentation.js";
import { frameValues, writeFrame } from "./stack-frame.js";
import { pop, setSp, stack32 } from "./operands.js";

export const KIND_EXCEPTION = 0, KIND_SOFTWARE = 1, KIND_EXTERNAL = 2, KIND_INT1 = 3;

/** Fault-class exceptions (SDM Vol. 3 Table 6-1); their frames carry RF = 1 (§17.3.1.1). */
const FAULT_CLASS = new Uint8Array(32);
for (const v of [0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17]) FAULT_CLASS[v] = 1;

const CONTRIBUTORY = new Uint8Array(32);
for (const v of [0, 10, 11, 12, 13]) CONTRIBUTORY[v] = 1;

/**
 * Deliver an event, turning faults during delivery into the next event by
 * the double-fault rules; a fault while delivering #DF is a triple fault.
 */
export function raiseEvent(cpu: Cpu, vector: number, errorCode: number, kind: number): void {
  let v = vector, e = errorCode, k = kind;
  for (;;) {
    try {
      deliver(cpu, v, e, k);
      // the delivery's own stack writes do not report data breakpoints
      cpu.debug.pending = 0;
      return;
    } catch (x) {
      if (x !== FAULT) throw x;
      const nv = FAULT.vector, ne = FAULT.errorCode;
      // a fault while delivering INT n restarts the INT instruction (it is a fault, not a trap)
      if (k === KIND_SOFTWARE || k === KIND_INT1) cpu.eip = cpu.startEip;
      if (k === KIND_EXCEPTION && v === DF_VEC) throw new TripleFault(`triple fault: vector ${nv} while delivering #DF`);
      const first = k === KIND_EXCEPTION ? v : -1;
      const doubleFault = first >= 0 && (
        (CONTRIBUTORY[first] === 1 && CONTRIBUTORY[nv] === 1) ||
        (first === 14 && (nv === 14 || CONTRIBUTORY[nv] === 1)));
      if (doubleFault) { v = DF_VEC; e = 0; } else { v = nv; e = ne; }
      k = KIND_EXCEPTION;
    }
  }
}

/** INT n (SDM Vol. 2 "INT n/INTO/INT3/INT1"): the fast path when it applies, else the general delivery. */
export function softwareInterrupt(cpu: Cpu, vector: number): void {
  if (!deliverFast(cpu, vector, -1, true, 0)) raiseEvent(cpu, vector, -1, KIND_SOFTWARE);
}

/** Read the ring-`rpl` stack pointer pair from the current TSS. */
function tssStack(cpu: Cpu, rpl: number, ext: number): { ss: number; esp: number } {
  const is32 = (cpu.trAttr & 8) !== 0;
  if (is32) {
    const at = rpl * 8 + 4;
    if (at + 5 > cpu.trLimit) raise(TS, (cpu.trSel & 0xfffc) | ext);
    scratchStack.esp = cpu.supRead32(cpu.trBase + at);
    scratchStack.ss = cpu.supRead16(cpu.trBase + at + 4);
  } else {
    const at = rpl * 4 + 2;
    if (at + 3 > cpu.trLimit) raise(TS, (cpu.trSel & 0xfffc) | ext);
    scratchStack.esp = cpu.supRead16(cpu.trBase + at);
    scratchStack.ss = cpu.supRead16(cpu.trBase + at + 2);
  }
  return scratchStack;
}
const scratchStack = { ss: 0, esp: 0 };

/** Check a new inner stack selector from the TSS (#TS on failure, #SS when not present). */
function checkInnerStack(cpu: Cpu, ss: number, dpl: number, ext: number): void {
  if ((ss & 0xfffc) === 0) raise(TS, ext);
  readDescriptor(cpu, ss, TS, ext);
  const attr = descAttr(desc[1]!);
  if ((ss & 3) !== dpl || attrDpl(attr) !== dpl || attrIsCode(attr) || (attr & 0x10) === 0 || (attr & 2) === 0) {
    raise(TS, (ss & 0xfffc) | ext);
  }
  if (!attrPresent(attr)) raise(SS_VEC, (ss & 0xfffc) | ext);
}

export { tssStack, checkInnerStack };

function deliver(cpu: Cpu, vector: number, errorCode: number, kind: number): void {
  const ext = kind === KIND_SOFTWARE ? 0 : 1;
  const idtErr = vector * 8 + 2 + ext;
  // RF in the pushed image: 1 for fault-class exceptions (not #DB instruction breakpoints), else EFLAGS.RF
  const rf = kind === KIND_EXCEPTION && FAULT_CLASS[vector] === 1 ? RF : 0;
  if (deliverFast(cpu, vector, errorCode, kind === KIND_SOFTWARE, rf)) return;
  cpu.clock.now += cpu.costs.interrupt;
  cpu.deliveries++;
  if (vector * 8 + 7 > cpu.idtLimit) raise(GP, idtErr);
  const lo = cpu.supRead32(cpu.idtBase + vector * 8);
  const hi = cpu.supRead32(cpu.idtBase + vector * 8 + 4);
  const type = (hi >>> 8) & 0x1f;
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07 && type !== 0x05) raise(GP, idtErr);
  if (kind === KIND_SOFTWARE && ((hi >>> 13) & 3) < cpu.cpl) raise(GP, vector * 8 + 2);
  if ((hi & 0x8000) === 0) raise(NP, idtErr);
  if (type === 0x05) raise(GP, idtErr); // task gates: not part of this machine
  const gate32 = (type & 8) !== 0;
  const trapGate = (type & 1) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? (hi & 0xffff0000) | (lo & 0xffff) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) raise(GP, ext);
  readDescriptor(cpu, sel, GP, ext);
  const cattr = descAttr(desc[1]!);
  const dpl = attrDpl(cattr);
  if (!attrIsCode(cattr) || dpl > cpu.cpl) raise(GP, (sel & 0xfffc) | ext);
  if (!attrPresent(cattr)) raise(NP, (sel & 0xfffc) | ext);
  const conforming = (cattr & 4) !== 0;
  const newCpl = conforming ? cpu.cpl : dpl;
  const codeLo = desc[0]!, codeHi = desc[1]!;
  if (offset >>> 0 > descLimit(codeLo, codeHi)) raise(GP, ext);

  const eflags = cpu.eflags | rf;
  const host = cpu.host;
  if (host !== null && newCpl === 0) {
    const f = cpu.trapFrame;
    f.vector = vector; f.errorCode = errorCode; f.cr2 = cpu.cr2;
    f.software = kind === KIND_SOFTWARE; f.external = kind === KIND_EXTERNAL;
    f.eip = cpu.eip; f.cs = cpu.segSel[CS]!; f.eflags = eflags; f.esp = cpu.regs[ESP]!; f.ss = cpu.segSel[SS]!;
    cpu.clock.now += cpu.costs.hostTransition;
    host.trap(f);
    // the host may have changed anything: look at everything again
    cpu.forgetCode();
    cpu.attention = 1;
    return;
  }

  const size = gate32 ? 4 : 2;
  const hasErr = errorCode >= 0;
  if (newCpl < cpu.cpl) {
    const stack = tssStack(cpu, newCpl, ext);
    const newSs = stack.ss, newEsp = stack.esp;
    checkInnerStack(cpu, newSs, newCpl, ext);
    const ssLo = desc[0]!, ssHi = desc[1]!;
    let n = 0;
    frameValues[n++] = cpu.segSel[SS]!;
    frameValues[n++] = cpu.regs[ESP]!;
    frameValues[n++] = eflags;
    frameValues[n++] = cpu.segSel[CS]!;
    frameValues[n++] = cpu.eip;
    if (hasErr) frameValues[n++] = errorCode;
    const ssAttr = descAttr(ssHi);
    const esp = writeFrame(cpu, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssAttr, newEsp, n, size, (newSs & 0xfffc) | ext, false);
    // commit: new stack, then code
    setSegment(cpu, SS, newSs, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssAttr);
    if ((ssAttr & (1 << 14)) !== 0) cpu.regs[ESP] = esp; else cpu.regs16[ESP << 1] = esp;
    desc[0] = codeLo; desc[1] = codeHi;
    loadCodeSegment(cpu, sel, newCpl);
  } else {
    let n = 0;
    frameValues[n++] = eflags;
    frameValues[n++] = cpu.segSel[CS]!;
    frameValues[n++] = cpu.eip;
    if (hasErr) frameValues[n++] = errorCode;
    const esp = writeFrame(cpu, cpu.segBase[SS]!, cpu.segLimit[SS]!, cpu.segAttr[SS]!, cpu.regs[ESP]!, n, size, ext, cpu.cpl === 3);
    setSp(cpu, esp);
    desc[0] = codeLo; desc[1] = codeHi;
    loadCodeSegment(cpu, sel, newCpl);
  }
  cpu.eip = offset;
  let rest = cpu.eflagsRest & ~(TF | NT | RF | VM);
  if (!trapGate) rest &= ~IF;
  cpu.eflagsRest = rest;
}

/** IRET in protected mode (no task return, no virtual-8086 return). */
export function iret(cpu: Cpu, o32: boolean): void {
  cpu.clock.now += cpu.costs.iret;
  if ((cpu.eflagsRest & NT) !== 0) raise(GP, cpu.trSel & 0xfffc); // task return: not part of this machine
  if (o32 && iretFast(cpu)) return;
  const size = o32 ? 32 : 16;
  const spSave = cpu.regs[ESP]!;
  const flagsBefore = cpu.eflagsRest;
  try {
    let newEip: number, newCs: number, newFlags: number;
    const sp = cpu.regs[ESP]!;
    const fast = o32 && cpu.segRd[SS] === 1 && stack32(cpu) && (sp >>> 0) + 19 <= cpu.segLimit[SS]!;
    if (fast) {
      // common case: one limit check for the three dwords
      const lin = (cpu.segBase[SS]! + sp) | 0;
      newEip = cpu.linRead32(lin);
      newCs = cpu.linRead32((lin + 4) | 0) & 0xffff;
      newFlags = cpu.linRead32((lin + 8) | 0);
      cpu.regs[ESP] = sp + 12;
    } else {
      newEip = pop(cpu, size);
      newCs = pop(cpu, size) & 0xffff;
      newFlags = pop(cpu, size);
    }
    if (o32 && (newFlags & VM) !== 0 && cpu.cpl === 0) raise(GP, 0); // virtual-8086: not part of this machine
    if ((newCs & 0xfffc) === 0) raise(GP, 0);
    readDescriptor(cpu, newCs);
    const attr = descAttr(desc[1]!);
    const rpl = newCs & 3;
    if (!attrIsCode(attr) || rpl < cpu.cpl) raise(GP, newCs & 0xfffc);
    const dpl = attrDpl(attr);
    if ((attr & 4) !== 0 ? dpl > rpl : dpl !== rpl) raise(GP, newCs & 0xfffc);
    if (!attrPresent(attr)) raise(NP, newCs & 0xfffc);
    const codeLo = desc[0]!, codeHi = desc[1]!;
    const target = o32 ? newEip : newEip & 0xffff;
    if (rpl === cpu.cpl) {
      if (target >>> 0 > descLimit(codeLo, codeHi)) raise(GP, 0);
      desc[0] = codeLo; desc[1] = codeHi;
      loadCodeSegment(cpu, newCs, rpl);
      setFlagsFromIret(cpu, newFlags, o32, cpu.cpl);
    } else {
      // outer level: ESP and SS follow (read together with the rest when the frame allowed it)
      let newEsp: number, newSs: number;
      if (fast) {
        const lin = (cpu.segBase[SS]! + sp) | 0;
        newEsp = cpu.linRead32((lin + 12) | 0);
        newSs = cpu.linRead32((lin + 16) | 0) & 0xffff;
        cpu.regs[ESP] = sp + 20;
      } else {
        newEsp = pop(cpu, size);
        newSs = pop(cpu, size) & 0xffff;
      }
      const oldCpl = cpu.cpl;
      if (target >>> 0 > descLimit(codeLo, codeHi)) raise(GP, 0);
      // SS checks happen against the new (outer) privilege level
      checkOuterStack(cpu, newSs, rpl);
      const ssLo = desc[0]!, ssHi = desc[1]!;
      setFlagsFromIret(cpu, newFlags, o32, oldCpl);
      desc[0] = codeLo; desc[1] = codeHi;
      loadCodeSegment(cpu, newCs, rpl);
      desc[0] = ssLo; desc[1] = ssHi;
      loadStackSegmentFromDesc(cpu, newSs);
      if (stack32(cpu)) cpu.regs[ESP] = newEsp; else cpu.regs16[ESP << 1] = newEsp;
      nullInaccessibleSegments(cpu);
    }
    cpu.eip = target;
    // the loop must look again when IF was just set (a pending interrupt) or TF/RF are set
    if ((cpu.eflagsRest & (TF | RF)) !== 0 || (cpu.eflagsRest & ~flagsBefore & IF) !== 0) cpu.attention = 1;
    cpu.rfLoaded = (cpu.eflagsRest & RF) !== 0;
    // like event delivery, IRET's own frame reads do not report data breakpoints
    cpu.debug.pending = 0;
  } catch (e) {
    cpu.regs[ESP] = spSave;
    throw e;
  }
}

function loadStackSegmentFromDesc(cpu: Cpu, sel: number): void {
  const lo = desc[0]!, hi = desc[1]!;
  setSegment(cpu, SS, sel, descBase(lo, hi), descLimit(lo, hi), descAttr(hi));
}

/**
 * EFLAGS from IRET/POPF at privilege `cpl` (SDM Vol. 2 IRET/POPF): IOPL changes
 * only at CPL 0, IF only when CPL <= IOPL; VM, VIF, VIP are not set by IRET
 * within protected mode. 16-bit operand size changes only the low word.
 */
export function setFlagsFromIret(cpu: Cpu, value: number, o32: boolean, cpl: number): void {
  const rest = cpu.eflagsRest;
  // the six status flags always come from `value`, so nothing lazy needs computing
  let changeable = TF | 0x400 | NT | RF | AC | ID | IF | IOPL;
  if (cpl > 0) changeable &= ~IOPL;
  if (cpl > ((rest & IOPL) >>> 12)) changeable &= ~IF;
  if (!o32) changeable &= 0xffff;
  const lf = cpu.lf;
  lf.lazy = 0;
  lf.flags = value & 0x8d5;
  cpu.eflagsRest = (((rest & ~changeable) | (value & changeable)) & ~VM & ~0x8d5) | EFLAGS_FIXED1;
}


// ---- fast paths -----------------------------------------------------------------
//
// The common cases of delivery and IRET in one straight line: 32-bit gates,
// GDT code descriptors already marked accessed, 32-bit expand-up stacks, and
// every IDT, GDT, TSS and frame access an aligned TLB hit within one page,
// with no data breakpoints armed. They make the checks the general paths
// make and commit only when all passed; any other case, every one that would
// fault among them, returns false before any state changed, and the general
// path runs instead. `cpu.fastEvents` turns them off (interrupts.test.ts
// compares the two). Written without helper calls where it matters: V8
// leaves calls in long functions out of line, and an out-of-line descLimit
// boxes its double.

/** Present, accessed, non-conforming code (the DPL is checked apart). */
const CODE_MASK = 0x9d00, CODE_OK = 0x9900;
/** Present, writable, expand-up data with B = 1 (the DPL is checked apart). */
const STACK_MASK = 0x409e00, STACK_OK = 0x409200;

/** RAM word index of the 8-byte GDT descriptor `sel` names (not null, TI = 0, in the limit, aligned, a TLB hit); else -1. */
function gdtWord(cpu: Cpu, sel: number): number {
  const index = sel & 0xfff8;
  const lin = (cpu.gdtBase + index) | 0;
  if (index === 0 || (sel & 4) !== 0 || index + 7 > cpu.gdtLimit || (lin & 7) !== 0) return -1;
  const e = cpu.tlb.entry[lin >>> 12]!;
  return (e & TLB_READ_SUP) === 0 ? -1 : ((e & ~0xfff) | (lin & 0xfff)) >>> 2;
}

/** loadCodeSegment for a descriptor whose accessed bit is already set. */
function loadCodeFast(cpu: Cpu, sel: number, cpl: number, lo: number, hi: number): void {
  const value = (sel & 0xfffc) | cpl;
  if (cpu.cpl === cpl && cpu.segSel[CS] === value && lo === cpu.csDescLo && hi === cpu.csDescHi) return;
  cpu.csDescLo = lo;
  cpu.csDescHi = hi;
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
  const attr = (hi >>> 8) & 0xf0ff;
  const mode = (attr >> 14) & 1;
  if (cpu.segBase[CS] !== base || cpu.codeMode !== mode) cpu.forgetCode();
  cpu.segSel[CS] = value;
  cpu.segBase[CS] = base;
  cpu.segLimit[CS] = (hi & 0x800000) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
  cpu.segAttr[CS] = attr;
  cpu.segRd[CS] = (attr & 2) >>> 1;
  cpu.segWr[CS] = 0;
  cpu.codeMode = mode;
  if (cpu.cpl !== cpl) cpu.changeCpl(cpl);
}

/** setSegment for SS with a descriptor that passed STACK_MASK. */
function loadStackFast(cpu: Cpu, sel: number, lo: number, hi: number): void {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  cpu.segSel[SS] = sel;
  cpu.segBase[SS] = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
  cpu.segLimit[SS] = (hi & 0x800000) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
  cpu.segAttr[SS] = (hi >>> 8) & 0xf0ff;
  cpu.segRd[SS] = 1;
  cpu.segWr[SS] = 1;
}

/**
 * Delivery through a 32-bit interrupt or trap gate to a non-conforming code
 * segment at the same or (from the TSS stack) an inner level (SDM Vol. 3
 * §6.12.1), with the accounting of `deliver` and `raiseEvent`; `rf` is the
 * RF bit of the pushed EFLAGS image.
 */
export function deliverFast(cpu: Cpu, vector: number, errorCode: number, software: boolean, rf: number): boolean {
  if (!cpu.fastEvents || cpu.debug.dataBreakpoints || vector * 8 + 7 > cpu.idtLimit) return false;
  const entry = cpu.tlb.entry, m = cpu.ram32;
  const cpl = cpu.cpl;
  // the gate: present 32-bit interrupt (0xE) or trap (0xF) gate; INT n also needs gate DPL >= CPL
  const gl = (cpu.idtBase + vector * 8) | 0;
  const ge = entry[gl >>> 12]!;
  if ((ge & TLB_READ_SUP) === 0 || (gl & 7) !== 0) return false;
  const gw = ((ge & ~0xfff) | (gl & 0xfff)) >>> 2;
  const lo = m[gw]!, hi = m[gw + 1]!;
  if ((hi & 0x9e00) !== 0x8e00 || (software && ((hi >>> 13) & 3) < cpl)) return false;
  // the target code segment, DPL <= CPL, the offset inside its limit
  const sel = lo >>> 16;
  const cw = gdtWord(cpu, sel);
  if (cw < 0) return false;
  const codeLo = m[cw]!, codeHi = m[cw + 1]!;
  const dpl = (codeHi >>> 13) & 3;
  // ring 0 belongs to the ring-0 host when there is one (it takes the event)
  if ((codeHi & CODE_MASK) !== CODE_OK || dpl > cpl || (dpl === 0 && cpu.host !== null)) return false;
  const offset = (hi & 0xffff0000) | (lo & 0xffff);
  const craw = (codeLo & 0xffff) | (codeHi & 0xf0000);
  if (offset >>> 0 > ((codeHi & 0x800000) !== 0 ? ((craw << 12) | 0xfff) >>> 0 : craw)) return false;
  const words = errorCode >= 0 ? 1 : 0;
  let fw: number;
  if (dpl < cpl) {
    // inner level: SS:ESP from the 32-bit TSS (§7.2.1), checked as tssStack and checkInnerStack do
    const tl = (cpu.trBase + dpl * 8 + 4) | 0;
    if ((cpu.trAttr & 8) === 0 || dpl * 8 + 9 > cpu.trLimit || (tl & 3) !== 0 || (tl & 0xfff) > 0xff8) return false;
    const te = entry[tl >>> 12]!;
    if ((te & TLB_READ_SUP) === 0) return false;
    const tw = ((te & ~0xfff) | (tl & 0xfff)) >>> 2;
    const newEsp = m[tw]!, newSs = m[tw + 1]! & 0xffff;
    if ((newSs & 3) !== dpl) return false;
    const sw = gdtWord(cpu, newSs);
    if (sw < 0) return false;
    const ssLo = m[sw]!, ssHi = m[sw + 1]!;
    if ((ssHi & STACK_MASK) !== STACK_OK || ((ssHi >>> 13) & 3) !== dpl) return false;
    // SS ESP EFLAGS CS EIP [error code] inside the limit (writeFrame's check), in one page
    const size = 20 + words * 4;
    const first = (newEsp - size) | 0;
    const sraw = (ssLo & 0xffff) | (ssHi & 0xf0000);
    const slimit = (ssHi & 0x800000) !== 0 ? ((sraw << 12) | 0xfff) >>> 0 : sraw;
    if (first >>> 0 > (newEsp - 1) >>> 0 || (newEsp - 1) >>> 0 > slimit) return false;
    const fl = (((ssLo >>> 16) | ((ssHi & 0xff) << 16) | (ssHi & 0xff000000)) + first) | 0;
    const fe = entry[fl >>> 12]!;
    if ((fe & TLB_WRITE_SUP) === 0 || (fl & 3) !== 0 || (fl & 0xfff) > 0x1000 - size) return false;
    const fp = (fe & ~0xfff) | (fl & 0xfff);
    if (cpu.ram.codePages[fp >>> 12] !== 0) return false;
    fw = (fp >>> 2) + words;
    m[fw + 3] = cpu.regs[ESP]!;
    m[fw + 4] = cpu.segSel[SS]!;
    loadStackFast(cpu, newSs, ssLo, ssHi);
    cpu.regs[ESP] = first;
  } else {
    // same level: the frame goes on SS:ESP (a 32-bit expand-up stack); CPL 3 writes take the general path
    if (cpl === 3 || cpu.segWr[SS] === 0 || (cpu.segAttr[SS]! & (1 << 14)) === 0) return false;
    const esp = cpu.regs[ESP]!;
    const size = 12 + words * 4;
    const first = (esp - size) | 0;
    if (first >>> 0 > (esp - 1) >>> 0 || (esp - 1) >>> 0 > cpu.segLimit[SS]!) return false;
    const fl = (cpu.segBase[SS]! + first) | 0;
    const fe = entry[fl >>> 12]!;
    if ((fe & TLB_WRITE_SUP) === 0 || (fl & 3) !== 0 || (fl & 0xfff) > 0x1000 - size) return false;
    const fp = (fe & ~0xfff) | (fl & 0xfff);
    if (cpu.ram.codePages[fp >>> 12] !== 0) return false;
    fw = (fp >>> 2) + words;
    cpu.regs[ESP] = first;
  }
  if (words !== 0) m[fw - 1] = errorCode;
  m[fw] = cpu.eip;
  m[fw + 1] = cpu.segSel[CS]!;
  m[fw + 2] = cpu.eflags | rf;
  loadCodeFast(cpu, sel, dpl, codeLo, codeHi);
  cpu.eip = offset;
  let rest = cpu.eflagsRest & ~(TF | NT | RF | VM);
  if ((hi & 0x100) === 0) rest &= ~IF; // interrupt gate
  cpu.eflagsRest = rest;
  cpu.clock.now += cpu.costs.interrupt;
  cpu.deliveries++;
  cpu.debug.pending = 0;
  return true;
}

/**
 * 32-bit IRET to a non-conforming code segment at the same or an outer
 * level, the frame's 20 bytes (read whether or not SS:ESP follow) an aligned
 * TLB hit in one page of a 32-bit stack.
 */
export function iretFast(cpu: Cpu): boolean {
  const flagsBefore = cpu.eflagsRest;
  if (!cpu.fastEvents || (flagsBefore & NT) !== 0 || cpu.segRd[SS] === 0 || (cpu.segAttr[SS]! & (1 << 14)) === 0) return false;
  const sp = cpu.regs[ESP]!;
  if ((sp >>> 0) + 19 > cpu.segLimit[SS]!) return false;
  const lin = (cpu.segBase[SS]! + sp) | 0;
  const e = cpu.tlb.entry[lin >>> 12]!;
  // readMask is 0 while data breakpoints are armed
  if ((e & cpu.readMask) === 0 || (lin & 3) !== 0 || (lin & 0xfff) > 0xfec) return false;
  const m = cpu.ram32;
  const w = ((e & ~0xfff) | (lin & 0xfff)) >>> 2;
  const newEip = m[w]!, newCs = m[w + 1]! & 0xffff, newFlags = m[w + 2]!;
  const cpl = cpu.cpl, rpl = newCs & 3;
  if (rpl < cpl || ((newFlags & VM) !== 0 && cpl === 0)) return false;
  const cw = gdtWord(cpu, newCs);
  if (cw < 0) return false;
  const codeLo = m[cw]!, codeHi = m[cw + 1]!;
  if ((codeHi & CODE_MASK) !== CODE_OK || ((codeHi >>> 13) & 3) !== rpl) return false;
  const craw = (codeLo & 0xffff) | (codeHi & 0xf0000);
  if (newEip >>> 0 > ((codeHi & 0x800000) !== 0 ? ((craw << 12) | 0xfff) >>> 0 : craw)) return false;
  if (rpl === cpl) {
    loadCodeFast(cpu, newCs, rpl, codeLo, codeHi);
    setFlagsFromIret(cpu, newFlags, true, cpl);
    cpu.regs[ESP] = sp + 12;
  } else {
    // outer level: SS:ESP follow, SS checked against the new level as checkOuterStack does
    const newEsp = m[w + 3]!, newSs = m[w + 4]! & 0xffff;
    if ((newSs & 3) !== rpl) return false;
    const sw = gdtWord(cpu, newSs);
    if (sw < 0) return false;
    const ssLo = m[sw]!, ssHi = m[sw + 1]!;
    if ((ssHi & STACK_MASK) !== STACK_OK || ((ssHi >>> 13) & 3) !== rpl) return false;
    setFlagsFromIret(cpu, newFlags, true, cpl);
    loadCodeFast(cpu, newCs, rpl, codeLo, codeHi);
    loadStackFast(cpu, newSs, ssLo, ssHi);
    cpu.regs[ESP] = newEsp;
    nullInaccessibleSegments(cpu);
  }
  cpu.eip = newEip;
  if ((cpu.eflagsRest & (TF | RF)) !== 0 || (cpu.eflagsRest & ~flagsBefore & IF) !== 0) cpu.attention = 1;
  cpu.rfLoaded = (cpu.eflagsRest & RF) !== 0;
  cpu.debug.pending = 0;
  return true;
}
