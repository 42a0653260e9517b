/**
 * The CPU loop: fetch a decoded instruction, execute it, charge its cycles,
 * and between instructions take device events, external interrupts, debug
 * traps and halts. Faults thrown by an instruction are caught here, in one
 * place, and delivered through the IDT (or to the ring-0 host).
 *
 * Two speeds: the fast inner loop runs while nothing needs attention (no
 * pending event before `stop`, no TF, no breakpoints, no interrupt window);
 * `stepCareful` runs one instruction with the full checks otherwise.
 */
import { HANDLERS } from "./handler-table.js";
import type { Cpu } from "./cpu.js";
import { SCRATCH_SLOT, decodeInto } from "./decoder.js";
import { FAULT, raise } from "./fault.js";
import { KIND_EXCEPTION, KIND_EXTERNAL, raiseEvent } from "./interrupts.js";
import { ACCESS_EXEC } from "../mmu/page-walk.js";
import { CS, DB, GP, IF, RF, TF } from "./registers.js";
import { compileBlock } from "../jit/block-compiler.js";


/** Find (or decode) the slot for the instruction at linear `lin`. */
function lookup(cpu: Cpu, lin: number): number {
  const dc = cpu.dc;
  if ((lin >>> 12) !== cpu.codeVpn) {
    if ((lin >>> 12) === cpu.altVpn) {
      // the other recently used code page: swap it in
      const map = cpu.codeMap, frame = cpu.codeFrame, vpn = cpu.codeVpn;
      cpu.codeMap = cpu.altMap; cpu.codeFrame = cpu.altFrame; cpu.codeVpn = cpu.altVpn;
      cpu.altMap = map; cpu.altFrame = frame; cpu.altVpn = vpn;
      return slotIn(cpu, lin);
    }
    if (cpu.codeVpn !== -1) { cpu.altMap = cpu.codeMap; cpu.altFrame = cpu.codeFrame; cpu.altVpn = cpu.codeVpn; }
    const phys = cpu.translate(lin, ACCESS_EXEC, cpu.cpl === 3);
    const frame = phys >>> 12;
    if (phys >>> 0 >= cpu.ram.size) {
      decodeInto(cpu, dc, SCRATCH_SLOT, lin, cpu.codeMode === 1);
      return SCRATCH_SLOT;
    }
    cpu.codeMap = dc.pageMap(frame);
    cpu.codeFrame = frame;
    cpu.codeVpn = lin >>> 12;
  }
  return slotIn(cpu, lin);
}

function slotIn(cpu: Cpu, lin: number): number {
  const slot = cpu.codeMap[lin & 0xfff]!;
  if (slot !== 0 && cpu.dc.mode[slot] === cpu.codeMode) return slot;
  return decodeAt(cpu, lin);
}

function decodeAt(cpu: Cpu, lin: number): number {
  const dc = cpu.dc;
  const code32 = cpu.codeMode === 1;
  if ((lin & 0xfff) > 0xff1) {
    decodeInto(cpu, dc, SCRATCH_SLOT, lin, code32);
    if ((lin & 0xfff) + dc.len[SCRATCH_SLOT]! > 0x1000) return SCRATCH_SLOT; // crosses a page: never cached
  }
  let slot = dc.allocSlot();
  if (slot === 0) {
    // the pool was flushed: re-create this page's map, and forget the other page's
    cpu.altVpn = -1;
    cpu.codeMap = dc.pageMap(cpu.codeFrame);
    slot = dc.allocSlot();
  }
  const map = cpu.codeMap;
  decodeInto(cpu, dc, slot, lin, code32);
  // decoding may have invalidated the map (a walk's A/D write to this very frame)
  if (cpu.codeMap === map) map[lin & 0xfff] = slot;
  return slot;
}

/** Slot of the instruction at `lin` in the current code page for the block compiler; -1 if unavailable. */
function slotAt(cpu: Cpu, lin: number): number {
  if ((lin >>> 12) !== cpu.codeVpn || (lin & 0xfff) > 0xff1) return -1;
  const slot = cpu.codeMap[lin & 0xfff]!;
  if (slot !== 0 && cpu.dc.mode[slot] === cpu.codeMode) return slot;
  try {
    const fresh = decodeAt(cpu, lin);
    return fresh === SCRATCH_SLOT || (lin >>> 12) !== cpu.codeVpn ? -1 : fresh;
  } catch (e) {
    if (e === FAULT) return -1;
    throw e;
  }
}

/** Execute one instruction (no checks between instructions). Throws FAULT on a fault. */
function step(cpu: Cpu): void {
  const eip = cpu.eip;
  cpu.startEip = eip;
  const slot = lookup(cpu, (cpu.segBase[CS]! + eip) | 0);
  const dc = cpu.dc;
  let next = eip + dc.len[slot]!;
  if (cpu.codeMode === 0) next &= 0xffff;
  if ((eip + dc.len[slot]! - 1) >>> 0 > cpu.segLimit[CS]!) raise(GP, 0);
  cpu.eip = next | 0;
  HANDLERS[dc.op[slot]!]!(cpu, slot);
  cpu.clock.now += cpu.costs.simple;
}

/**
 * Run until simulated time reaches `until` or the CPU halts with nothing
 * scheduled. Returns the number of instructions executed.
 */
export function run(cpu: Cpu, until: number): number {
  const clock = cpu.clock;
  let count = 0;
  while (clock.now < until && !cpu.stopRequested) {
    if (clock.now >= clock.nextEventAt) {
      clock.runDue();
      cpu.attention = 1;
    }
    if (cpu.attention !== 0) {
      serviceBoundary(cpu);
      if (cpu.halted) {
        // idle: jump to the next event; halted with IF=0 (no NMI source on this board) never wakes
        if (clock.nextEventAt === Infinity || (cpu.eflagsRest & IF) === 0) break;
        clock.now = Math.max(clock.now, Math.min(clock.nextEventAt, until));
        continue;
      }
      count++;
      stepCareful(cpu);
      continue;
    }
    const stop = Math.min(until, clock.nextEventAt);
    cpu.blockStop = stop;
    const dc = cpu.dc;
    const blocks = dc.blocks, heat = dc.heat;
    const simple = cpu.costs.simple;
    try {
      while (clock.now < stop && cpu.attention === 0) {
        const eip = cpu.eip;
        cpu.startEip = eip;
        const slot = lookup(cpu, (cpu.segBase[CS]! + eip) | 0);
        const block = blocks[slot];
        if (block !== undefined && block.eip === eip && (block.end - 1) >>> 0 <= cpu.segLimit[CS]!
            && clock.now + block.bound <= stop) {
          cpu.blockIndex = 0;
          cpu.blockBase = 0;
          const done = block.run(cpu);
          cpu.blockIndex = -1;
          count += done;
          clock.now += done * simple;
          continue;
        }
        if (block === undefined && slot !== SCRATCH_SLOT && cpu.compileBlocks && ++heat[slot]! >= cpu.hotThreshold) {
          heat[slot] = 0;
          const flushes = dc.flushes;
          const compiled = compileBlock(cpu, slot, eip, (cpu.segBase[CS]! + eip) | 0, (lin) => slotAt(cpu, lin));
          if (dc.flushes === flushes) blocks[slot] = compiled; // a pool flush during compilation orphans its slots
          continue;
        }
        step(cpu);
        count++;
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      if (cpu.blockIndex >= 0) {
        // charge the instructions the block completed before the faulting one
        const done = cpu.blockBase + cpu.blockIndex;
        count += done;
        clock.now += done * simple;
        cpu.blockIndex = -1;
      }
      cpu.eip = cpu.startEip;
      cpu.debug.pending = 0;
      if (cpu.onFault !== null) cpu.onFault(FAULT.vector, FAULT.errorCode, cpu.eip);
      raiseEvent(cpu, FAULT.vector, FAULT.errorCode, KIND_EXCEPTION);
    }
  }
  cpu.instructions += count;
  return count;
}

/** An instruction boundary with something to look at. */
function serviceBoundary(cpu: Cpu): void {
  cpu.attention = 0;
  if (cpu.inhibit === 2) {
    cpu.inhibit = 1;
    cpu.attention = 1;
    return;
  }
  cpu.inhibit = 0;
  const intc = cpu.intc;
  if ((cpu.eflagsRest & IF) !== 0 && intc !== null && intc.hasInterrupt()) {
    cpu.halted = false;
    const vector = intc.acknowledge();
    try {
      raiseEvent(cpu, vector, -1, KIND_EXTERNAL);
    } catch (e) {
      if (e !== FAULT) throw e;
    }
    cpu.attention = 1;
  }
  if (cpu.halted) cpu.attention = 1;
  if ((cpu.eflagsRest & (TF | RF)) !== 0 || cpu.debug.codeBreakpoints || cpu.debug.dataBreakpoints || cpu.debug.ioBreakpoints
      || cpu.deferredDebug !== 0) {
    cpu.attention = 1;
  }
  if (intc !== null && (cpu.eflagsRest & IF) !== 0 && intc.hasInterrupt()) cpu.attention = 1;
}

/** One instruction with single-step, breakpoints and the MOV SS shadow. */
function stepCareful(cpu: Cpu): void {
  const tf = (cpu.eflagsRest & TF) !== 0;
  const deliveries = cpu.deliveries;
  const debug = cpu.debug;
  try {
    if (debug.codeBreakpoints && (cpu.eflagsRest & RF) === 0) {
      const hits = debug.matchCode((cpu.segBase[CS]! + cpu.eip) | 0);
      if (hits !== 0) {
        cpu.startEip = cpu.eip;
        debug.dr6 = (debug.dr6 & ~0xf) | hits;
        raise(DB);
      }
    }
    const rfBefore = cpu.eflagsRest & RF;
    cpu.rfLoaded = false;
    step(cpu);
    // RF is cleared once an instruction completes, unless that instruction (IRET) loaded it
    if (rfBefore !== 0 || !cpu.rfLoaded) cpu.eflagsRest &= ~RF;
    if (cpu.rfLoaded) cpu.eflagsRest |= RF;
  } catch (e) {
    if (e !== FAULT) throw e;
    cpu.eip = cpu.startEip;
    debug.pending = 0;
    if (cpu.onFault !== null) cpu.onFault(FAULT.vector, FAULT.errorCode, cpu.eip);
    raiseEvent(cpu, FAULT.vector, FAULT.errorCode, KIND_EXCEPTION);
    return;
  }
  let traps = debug.pending;
  debug.pending = 0;
  let bs = tf && cpu.deliveries === deliveries ? 1 << 14 : 0;
  if (cpu.inhibit === 2) {
    // MOV SS / POP SS: debug traps wait until after the next instruction
    cpu.deferredDebug |= traps | bs;
    return;
  }
  traps |= cpu.deferredDebug & 0xf;
  bs |= cpu.deferredDebug & (1 << 14);
  cpu.deferredDebug = 0;
  if (traps !== 0 || bs !== 0) {
    debug.dr6 = (debug.dr6 & ~0xf) | traps | bs;
    raiseEvent(cpu, DB, -1, KIND_EXCEPTION);
  }
}
