/**
 * Far JMP, CALL and RET in protected mode, with call gates (SDM Vol. 2 JMP,
 * CALL, RET "far"; Vol. 3 §5.8 privilege level checking for control
 * transfers). Task-state segments and task gates named by a far JMP/CALL are
 * not part of this machine: #GP(selector).
 *
 *   call gate:  hi: offset 31..16 | P DPL 0 type(4) | 000 param count(5)
 *               lo: code selector | offset 15..0      type 0x4 (16), 0xC (32)
 */
import type { Cpu } from "./cpu.js";
import { F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import { checkInnerStack, tssStack } from "./interrupts.js";
import { CS, ESP, GP, NP, SS } from "./registers.js";
import { ea, pop, push, stack32 } from "./operands.js";
import {
  attrDpl, checkOuterStack, attrIsCode, attrPresent, desc, descAttr, descBase, descLimit, loadCodeSegment,
  nullInaccessibleSegments, readDescriptor, setSegment,
} from "./segmentation.js";
import { frameValues, writeFrame } from "./stack-frame.js";

/** FF /3 (CALL m16:32) and FF /5 (JMP m16:32). */
export function farIndirect(cpu: Cpu, s: number, call: boolean): void {
  const dc = cpu.dc;
  if ((dc.flags[s]! & 32) === 0) raise(6);
  const o32 = (dc.flags[s]! & F_O32) !== 0;
  const off = ea(cpu, s), seg = dc.seg[s]!;
  const eip = o32 ? cpu.read32(seg, off) : cpu.read16(seg, off);
  const sel = cpu.read16(seg, (off + (o32 ? 4 : 2)) | 0);
  farTransfer(cpu, sel, eip, o32, call);
}

/** Far JMP or CALL to selector:offset. */
export function farTransfer(cpu: Cpu, sel: number, offset: number, o32: boolean, call: boolean): void {
  cpu.clock.now += cpu.costs.farTransfer;
  if ((sel & 0xfffc) === 0) raise(GP, 0);
  readDescriptor(cpu, sel);
  const lo = desc[0]!, hi = desc[1]!;
  const attr = descAttr(hi);
  const dpl = attrDpl(attr), rpl = sel & 3, cpl = cpu.cpl;
  if ((attr & 0x10) !== 0) {
    if (!attrIsCode(attr)) raise(GP, sel & 0xfffc);
    if ((attr & 4) !== 0 ? dpl > cpl : rpl > cpl || dpl !== cpl) raise(GP, sel & 0xfffc);
    if (!attrPresent(attr)) raise(NP, sel & 0xfffc);
    const target = o32 ? offset : offset & 0xffff;
    if (target >>> 0 > descLimit(lo, hi)) raise(GP, 0);
    if (call) pushReturn(cpu, o32);
    desc[0] = lo; desc[1] = hi;
    loadCodeSegment(cpu, sel, cpl);
    cpu.eip = target;
    cpu.forgetCode();
    return;
  }
  const type = attr & 0xf;
  if (type !== 0x4 && type !== 0xc) raise(GP, sel & 0xfffc); // TSS, task gate, or not a gate
  if (dpl < cpl || dpl < rpl) raise(GP, sel & 0xfffc);
  if (!attrPresent(attr)) raise(NP, sel & 0xfffc);
  callGate(cpu, lo, hi, call);
}

function pushReturn(cpu: Cpu, o32: boolean): void {
  const size = o32 ? 32 : 16;
  const sp = cpu.regs[ESP]!;
  try {
    push(cpu, cpu.segSel[CS]!, size);
    push(cpu, cpu.eip, size);
  } catch (e) {
    cpu.regs[ESP] = sp;
    throw e;
  }
}

function callGate(cpu: Cpu, gateLo: number, gateHi: number, call: boolean): void {
  const gate32 = (gateHi & 0x800) !== 0;
  const codeSel = gateLo >>> 16;
  const offset = gate32 ? (gateHi & 0xffff0000) | (gateLo & 0xffff) : gateLo & 0xffff;
  const params = gateHi & 0x1f;
  if ((codeSel & 0xfffc) === 0) raise(GP, 0);
  readDescriptor(cpu, codeSel);
  const lo = desc[0]!, hi = desc[1]!;
  const attr = descAttr(hi);
  const dpl = attrDpl(attr), cpl = cpu.cpl;
  if (!attrIsCode(attr) || dpl > cpl) raise(GP, codeSel & 0xfffc);
  const conforming = (attr & 4) !== 0;
  if (!call && !conforming && dpl !== cpl) raise(GP, codeSel & 0xfffc);
  if (!attrPresent(attr)) raise(NP, codeSel & 0xfffc);
  if (offset >>> 0 > descLimit(lo, hi)) raise(GP, 0);
  const size = gate32 ? 4 : 2;
  if (call && !conforming && dpl < cpl) {
    // CALL-GATE-TO-MORE-PRIVILEGE: new stack from the TSS, copy parameters.
    const stack = tssStack(cpu, dpl, 0);
    const newSs = stack.ss, newEsp = stack.esp;
    checkInnerStack(cpu, newSs, dpl, 0);
    const ssLo = desc[0]!, ssHi = desc[1]!;
    let n = 0;
    frameValues[n++] = cpu.segSel[SS]!;
    frameValues[n++] = cpu.regs[ESP]!;
    const oldSp = stack32(cpu) ? cpu.regs[ESP]! : cpu.regs16[ESP << 1]!;
    for (let i = params - 1; i >= 0; i--) {
      const at = (oldSp + i * size) | 0;
      frameValues[n++] = size === 4 ? cpu.read32(SS, at) : cpu.read16(SS, at);
    }
    frameValues[n++] = cpu.segSel[CS]!;
    frameValues[n++] = cpu.eip;
    const ssAttr = descAttr(ssHi);
    const esp = writeFrame(cpu, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssAttr, newEsp, n, size, newSs & 0xfffc, false);
    setSegment(cpu, SS, newSs, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssAttr);
    if ((ssAttr & (1 << 14)) !== 0) cpu.regs[ESP] = esp; else cpu.regs16[ESP << 1] = esp;
    desc[0] = lo; desc[1] = hi;
    loadCodeSegment(cpu, codeSel, dpl);
  } else {
    if (call) pushReturn(cpu, gate32);
    desc[0] = lo; desc[1] = hi;
    loadCodeSegment(cpu, codeSel, cpl);
  }
  cpu.eip = offset;
  cpu.forgetCode();
}

/** RET far (CB) and RET far imm16 (CA). */
export function retFar(cpu: Cpu, o32: boolean, release: number): void {
  cpu.clock.now += cpu.costs.farTransfer;
  const size = o32 ? 32 : 16;
  const spSave = cpu.regs[ESP]!;
  try {
    const newEip = pop(cpu, size);
    const newCs = pop(cpu, size) & 0xffff;
    if ((newCs & 0xfffc) === 0) raise(GP, 0);
    readDescriptor(cpu, newCs);
    const lo = desc[0]!, hi = desc[1]!;
    const attr = descAttr(hi);
    const rpl = newCs & 3, dpl = attrDpl(attr);
    if (!attrIsCode(attr) || rpl < cpu.cpl) raise(GP, newCs & 0xfffc);
    if ((attr & 4) !== 0 ? dpl > rpl : dpl !== rpl) raise(GP, newCs & 0xfffc);
    if (!attrPresent(attr)) raise(NP, newCs & 0xfffc);
    const target = o32 ? newEip : newEip & 0xffff;
    if (target >>> 0 > descLimit(lo, hi)) raise(GP, 0);
    if (rpl === cpu.cpl) {
      desc[0] = lo; desc[1] = hi;
      loadCodeSegment(cpu, newCs, rpl);
      adjustRelease(cpu, release);
    } else {
      adjustRelease(cpu, release);
      const newEsp = pop(cpu, size);
      const newSs = pop(cpu, size) & 0xffff;
      checkOuterStack(cpu, newSs, rpl);
      const ssLo = desc[0]!, ssHi = desc[1]!;
      desc[0] = lo; desc[1] = hi;
      loadCodeSegment(cpu, newCs, rpl);
      setSegment(cpu, SS, newSs, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), descAttr(ssHi));
      if (stack32(cpu)) cpu.regs[ESP] = newEsp; else cpu.regs16[ESP << 1] = newEsp;
      adjustRelease(cpu, release);
      nullInaccessibleSegments(cpu);
    }
    cpu.eip = target;
    cpu.forgetCode();
  } catch (e) {
    cpu.regs[ESP] = spSave;
    throw e;
  }
}

function adjustRelease(cpu: Cpu, n: number): void {
  if (n === 0) return;
  if (stack32(cpu)) cpu.regs[ESP] = cpu.regs[ESP]! + n;
  else cpu.regs16[ESP << 1] = cpu.regs16[ESP << 1]! + n;
}
