/**
 * Xen's check_descriptor for a 32-bit PV guest (docs/xen-pv32-abi.md §6.2;
 * xen/arch/x86/pv/descriptor-tables.c): the rules every descriptor a guest
 * puts in its GDT or LDT must pass. Returns the descriptor as it is stored
 * (DPL raised to 1, flat limits widened) or undefined. A call gate that
 * passes is stored as written and executed by the CPU itself, which §6.2
 * allows instead of Xen's DPL-0 rewrite plus emulation: its target is a
 * guest or ring-1 code segment, so the gate's checks, the stack switch to
 * the TSS ring-1 stack (kernel_ss:kernel_sp) and the parameter copy are the
 * ones Xen's emulation performs.
 */
import { FIRST_RESERVED_GDT, FLAT } from "../../abi/segments.js";

const P = 1 << 15, S = 1 << 12, L = 1 << 21;
const DPL_SHIFT = 13;
const TYPE_CALL_GATE32 = 0xc;
/** §6.2 rule 3: a base-0 segment whose byte limit passes the M2P start covers 4 GiB. */
const WIDEN_ABOVE = 0xf5800000;

export interface Descriptor { lo: number; hi: number }

export function checkDescriptor(lo: number, hi: number): Descriptor | undefined {
  let a = lo >>> 0, b = hi >>> 0;
  if ((b & P) === 0) return { lo: a, hi: b };                                   // rule 1
  if (((b >>> DPL_SHIFT) & 3) === 0) b = (b | (1 << DPL_SHIFT)) >>> 0;           // rule 2
  if ((b & S) !== 0) {                                                          // rule 3
    if ((b & L) !== 0) return undefined;
    const base = ((a >>> 16) | ((b & 0xff) << 16) | (b & 0xff000000)) >>> 0;
    const raw = ((a & 0xffff) | (b & 0xf0000)) >>> 0;
    const limit = (b & (1 << 23)) !== 0 ? raw * 4096 + 4095 : raw;
    if (base === 0 && limit > WIDEN_ABOVE) { a = (a | 0xffff) >>> 0; b = (b | 0xf0000) >>> 0; }
    return { lo: a, hi: b };
  }
  const type = (b >>> 8) & 0xf;
  if (type === 0) return { lo: a, hi: b };                                      // rule 4
  if (type !== TYPE_CALL_GATE32 || (b & 0xe0) !== 0) return undefined;          // rule 6
  const target = a >>> 16;                                                      // rule 5
  const guestGdt = (target & 4) === 0 && (target >>> 3) < FIRST_RESERVED_GDT.ENTRY;
  const ldt = (target & 4) !== 0;
  // guest_gate_selector_okay: a guest GDT or LDT selector, or exactly FLAT_RING1_CS
  if (!guestGdt && !ldt && target !== FLAT.RING1_CS) return undefined;
  return { lo: a, hi: b };
}
