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

  // RF in the pushed image: 1 for fault-class exceptions (not #DB instruction breakpoints), else EFLAGS.RF
  const eflags = kind === KIND_EXCEPTION && FAULT_CLASS[vector] === 1 ? cpu.eflags | RF : cpu.eflags;
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

