/**
 * Segment descriptors and selector loads with their privilege checks
 * (Intel SDM Vol. 3 §3.4–3.5 descriptors, §5.5–5.8 privilege checks,
 * Vol. 2 "MOV—Move to segment register", "POP", "LDS/LES/LFS/LGS/LSS").
 *
 *   selector:  15            3  2   1 0         descriptor (8 bytes):
 *             |    index      |TI| RPL |        lo: base 15..0 | limit 15..0
 *                                                hi: base 31..24 | G DB L AVL lim 19..16 |
 *                                                    P DPL S type | base 23..16
 */
import { raise } from "./fault.js";
import { ATTR_UNUSABLE, type Cpu } from "./cpu.js";
import { CS, GP, NP, SS, SS_VEC, TS } from "./registers.js";

/** Scratch for the last descriptor read (no allocation per load). */
export const desc = new Int32Array(2);

export const descBase = (lo: number, hi: number): number => ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & (1 << 23)) !== 0 ? (raw * 4096 + 0xfff) : raw;
}
export const descAttr = (hi: number): number => (hi >>> 8) & 0xf0ff;
export const attrDpl = (attr: number): number => (attr >> 5) & 3;
export const attrPresent = (attr: number): boolean => (attr & 0x80) !== 0;
/** S=1 (code or data). */
export const attrIsSegment = (attr: number): boolean => (attr & 0x10) !== 0;
export const attrIsCode = (attr: number): boolean => (attr & 0x18) === 0x18;

/**
 * Linear address of the descriptor named by `sel` in the GDT or LDT, or -1
 * when the selector's index is outside the table (or the LDT is unusable).
 */
export function descriptorAddress(cpu: Cpu, sel: number): number {
  const index = sel & 0xfff8;
  if ((sel & 4) !== 0) {
    if ((cpu.ldtAttr & ATTR_UNUSABLE) !== 0 || index + 7 > cpu.ldtLimit) return -1;
    return (cpu.ldtBase + index) | 0;
  }
  if (index + 7 > cpu.gdtLimit) return -1;
  return (cpu.gdtBase + index) | 0;
}

/** Read the descriptor for `sel` into `desc`; #GP(sel) (or `vector`) when out of table. */
export function readDescriptor(cpu: Cpu, sel: number, vector = GP, ext = 0): void {
  const addr = descriptorAddress(cpu, sel);
  if (addr === -1) raise(vector, (sel & 0xfffc) | ext);
  desc[0] = cpu.supRead32(addr);
  desc[1] = cpu.supRead32(addr + 4);
}

/** Set the accessed bit of a code/data descriptor in memory, as the CPU does on a load. */
export function setAccessed(cpu: Cpu, sel: number): void {
  if ((desc[1]! & 0x100) !== 0) return;
  const addr = descriptorAddress(cpu, sel);
  desc[1] = desc[1]! | 0x100;
  cpu.supWrite8(addr + 5, (desc[1]! >>> 8) & 0xff);
}

/** Load the descriptor cache of segment register `seg` (no checks). */
export function setSegment(cpu: Cpu, seg: number, sel: number, base: number, limit: number, attr: number): void {
  if (seg === CS && (cpu.segBase[CS] !== base || cpu.codeMode !== ((attr >> 14) & 1))) cpu.forgetCode();
  cpu.segSel[seg] = sel & 0xffff;
  cpu.segBase[seg] = base;
  cpu.segLimit[seg] = limit;
  cpu.segAttr[seg] = attr;
  const usable = (attr & ATTR_UNUSABLE) === 0 && (attr & 0x80) !== 0;
  const code = (attr & 8) !== 0;
  const expandDown = !code && (attr & 4) !== 0;
  cpu.segRd[seg] = usable && !expandDown && (!code || (attr & 2) !== 0) ? 1 : 0;
  cpu.segWr[seg] = usable && !expandDown && !code && (attr & 2) !== 0 ? 1 : 0;
  if (seg === CS) cpu.codeMode = (attr >> 14) & 1;
}

/** Load a null selector: the register becomes unusable (any access #GP(0)). */
export function setNull(cpu: Cpu, seg: number, sel: number): void {
  setSegment(cpu, seg, sel, 0, 0, ATTR_UNUSABLE);
}

/**
 * MOV/POP/Lxs to DS, ES, FS or GS (SDM Vol. 2 MOV): a null selector is
 * allowed; otherwise the descriptor must be data or readable code, present,
 * and (unless conforming code) DPL >= max(CPL, RPL).
 */
export function loadDataSegment(cpu: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) { setNull(cpu, seg, sel); return; }
  readDescriptor(cpu, sel);
  const lo = desc[0]!, hi = desc[1]!, attr = descAttr(hi);
  const dpl = attrDpl(attr), rpl = sel & 3;
  if (!attrIsSegment(attr)) raise(GP, sel & 0xfffc);
  if (attrIsCode(attr) && (attr & 2) === 0) raise(GP, sel & 0xfffc);
  const conformingCode = attrIsCode(attr) && (attr & 4) !== 0;
  if (!conformingCode && (rpl > dpl || cpu.cpl > dpl)) raise(GP, sel & 0xfffc);
  if (!attrPresent(attr)) raise(NP, sel & 0xfffc);
  setAccessed(cpu, sel);
  setSegment(cpu, seg, sel, descBase(lo, hi), descLimit(lo, hi), descAttr(desc[1]!));
}

/**
 * MOV/POP/LSS to SS: not null, RPL = CPL, writable data with DPL = CPL,
 * present (#SS otherwise).
 */
export function loadStackSegment(cpu: Cpu, sel: number, cpl = cpu.cpl, vector = GP): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) raise(vector, 0);
  readDescriptor(cpu, sel, vector);
  const lo = desc[0]!, hi = desc[1]!, attr = descAttr(hi);
  if ((sel & 3) !== cpl || attrDpl(attr) !== cpl || !attrIsSegment(attr) || attrIsCode(attr) || (attr & 2) === 0) {
    raise(vector, sel & 0xfffc);
  }
  if (!attrPresent(attr)) raise(vector === TS ? SS_VEC : SS_VEC, sel & 0xfffc);
  setAccessed(cpu, sel);
  setSegment(cpu, SS, sel, descBase(lo, hi), descLimit(lo, hi), descAttr(desc[1]!));
}

/** Load CS from the descriptor in `desc` (checks already done by the far transfer). */
export function loadCodeSegment(cpu: Cpu, sel: number, cpl: number): void {
  const lo = desc[0]!, hi = desc[1]!;
  // reloading the very descriptor CS holds (same selector, same words, accessed already set) changes nothing
  if (cpu.cpl === cpl && cpu.segSel[CS] === ((sel & 0xfffc) | cpl) && lo === cpu.csDescLo && hi === cpu.csDescHi) return;
  setAccessed(cpu, sel);
  cpu.csDescLo = desc[0]!;
  cpu.csDescHi = desc[1]!;
  setSegment(cpu, CS, (sel & 0xfffc) | cpl, descBase(lo, hi), descLimit(lo, hi), descAttr(desc[1]!));
  if (cpu.cpl !== cpl) cpu.changeCpl(cpl);
}

/**
 * After a return to an outer privilege level (RET far, IRET): data segment
 * registers whose descriptors are not accessible at the new CPL become null
 * (SDM Vol. 2 RET "FOR each SegReg in (ES, FS, GS, and DS)").
 */
export function nullInaccessibleSegments(cpu: Cpu): void {
  for (let i = 0; i < 4; i++) {
    const seg = DATA_SEGMENTS[i]!;
    const attr = cpu.segAttr[seg]!;
    if ((attr & ATTR_UNUSABLE) !== 0) continue;
    const dataOrNonConforming = !attrIsCode(attr) || (attr & 4) === 0;
    if (dataOrNonConforming && attrDpl(attr) < cpu.cpl) setNull(cpu, seg, 0);
  }
}
const DATA_SEGMENTS = Uint8Array.of(0, 3, 4, 5); // ES DS FS GS

/** Flat 4 GiB segment attributes for reset and Multiboot state. */
export const ATTR_CODE32 = 0x9b | (0xc << 12);
export const ATTR_DATA32 = 0x93 | (0xc << 12);

/**
 * The stack selector popped by a return to the outer level `rpl` (RET far,
 * IRET): not null (#GP(0)), RPL = DPL = the new CPL, writable data (#GP(sel)),
 * present (#SS(sel)). Leaves its descriptor in `desc`.
 */
export function checkOuterStack(cpu: Cpu, sel: number, rpl: number): void {
  if ((sel & 0xfffc) === 0) raise(GP, 0);
  readDescriptor(cpu, sel);
  const attr = descAttr(desc[1]!);
  if ((sel & 3) !== rpl || attrDpl(attr) !== rpl || attrIsCode(attr) || (attr & 0x10) === 0 || (attr & 2) === 0) {
    raise(GP, sel & 0xfffc);
  }
  if (!attrPresent(attr)) raise(SS_VEC, sel & 0xfffc);
}
