/**
 * The page walk: linear address -> physical frame and rights, with the
 * hardware setting of accessed and dirty bits and the #PF error code
 * (Intel SDM Vol. 3 ch. 4: §4.3 32-bit paging, §4.4 PAE paging, §4.6 access
 * rights, §4.7 page-fault exceptions, §4.8 accessed and dirty flags).
 *
 *   32-bit:  linear = | dir (10) | table (10) | offset (12) |      CR4.PSE: 4 MiB pages
 *   PAE:     linear = |pdpt(2)| dir (9) | table (9) | offset (12) |  2 MiB pages
 *
 * PAE's four PDPTEs are registers, loaded when CR3 is written (§4.4.1); the
 * walk reads them from `pdpte`, never from memory. Accessed bits are set on a
 * directory entry as the walk passes it; the final entry's accessed and dirty
 * bits are set only when the access is allowed (as QEMU and real CPUs do).
 * Physical addresses at or above 4 GiB reach no RAM (open bus).
 */
import type { Ram } from "../memory/ram.js";
import {
  TLB_EXEC_SUP, TLB_EXEC_USER, TLB_GLOBAL, TLB_LARGE, TLB_LARGE_2M, TLB_READ_SUP, TLB_READ_USER, TLB_SLOW, TLB_WRITE_SUP,
  TLB_WRITE_USER, type Tlb,
} from "./tlb.js";

export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXEC = 2;

// #PF error code bits (SDM Vol. 3 §4.7)
export const PFEC_P = 1, PFEC_W = 2, PFEC_U = 4, PFEC_RSVD = 8, PFEC_I = 16;

/** Control state the walk reads; `cr2` is written on a fault. */
export interface PagingState {
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  efer: number;
  /** PAE PDPTE registers: [lo0, hi0, lo1, hi1, ...]. */
  readonly pdpte: Int32Array;
}

const PG = 1 << 31, WP = 1 << 16, PSE = 1 << 4, PAE = 1 << 5, PGE = 1 << 7, NXE = 1 << 11;
const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
/** PAE entry high-dword bits that are reserved with 36 physical address bits (bits 36..62). */
const PAE_HI_RSVD = 0x7ffffff0;

/** Thrown (as a value) by `walk` to report a page fault; the CPU turns it into #PF. */
export class PageFault {
  errorCode = 0;
}
export const PAGE_FAULT = new PageFault();

function pageFault(st: PagingState, lin: number, code: number): never {
  st.cr2 = lin | 0;
  PAGE_FAULT.errorCode = code;
  throw PAGE_FAULT;
}

/**
 * Translate `lin` for an access of `kind` by a user-mode (CPL 3, non-implicit)
 * or supervisor access; on success cache the translation in the TLB and
 * return the TLB entry value; on failure set CR2 and throw PAGE_FAULT.
 * `walkReads` counts the page-table reads for the cost model.
 */
export function walk(st: PagingState, ram: Ram, tlb: Tlb, lin: number, kind: number, user: boolean): number {
  const vpn = lin >>> 12;
  if ((st.cr0 & PG) === 0) {
    let value = (vpn << 12) | TLB_READ_SUP | TLB_WRITE_SUP | TLB_READ_USER | TLB_WRITE_USER | TLB_EXEC_SUP | TLB_EXEC_USER;
    if ((vpn << 12) >>> 0 >= ram.size) value = (vpn << 12) | TLB_SLOW;
    tlb.fill(vpn, value);
    return value;
  }
  const nx = (st.cr4 & PAE) !== 0 && (st.efer & NXE) !== 0;
  const baseCode = (kind === ACCESS_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0) | (kind === ACCESS_EXEC && nx ? PFEC_I : 0);
  let frame: number; // physical frame address (low 32 bits)
  let frameHigh = 0; // nonzero: at or above 4 GiB
  let rw: number, us: number, xd = 0, global: number, dirty: number;
  let leafAddr: number, leaf: number, large = 0;
  if ((st.cr4 & PAE) === 0) {
    const pdeAddr = ((st.cr3 & ~0xfff) | ((lin >>> 22) << 2)) >>> 0;
    let pde = ram.read32(pdeAddr);
    if ((pde & P) === 0) pageFault(st, lin, baseCode);
    if ((pde & PS) !== 0 && (st.cr4 & PSE) !== 0) {
      // bits 21:13 are reserved: CPUID does not report PSE-36 (SDM Vol. 3 Table 4-4)
      if ((pde & 0x3fe000) !== 0) pageFault(st, lin, baseCode | PFEC_P | PFEC_RSVD);
      rw = pde & RW; us = pde & US;
      checkRights(st, lin, kind, user, rw, us, 0, baseCode);
      frame = ((pde & 0xffc00000) | (lin & 0x003ff000)) >>> 0;
      global = pde & G; leafAddr = pdeAddr; leaf = pde; large = TLB_LARGE;
    } else {
      if ((pde & A) === 0) { pde |= A; ram.write32(pdeAddr, pde); }
      const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
      const pte = ram.read32(pteAddr);
      if ((pte & P) === 0) pageFault(st, lin, baseCode);
      rw = pde & pte & RW; us = pde & pte & US;
      checkRights(st, lin, kind, user, rw, us, 0, baseCode);
      frame = (pte & ~0xfff) >>> 0;
      global = pte & G; leafAddr = pteAddr; leaf = pte;
    }
  } else {
    const i = (lin >>> 30) << 1;
    const pdpteLo = st.pdpte[i]!, pdpteHi = st.pdpte[i + 1]!;
    if ((pdpteLo & P) === 0) pageFault(st, lin, baseCode);
    const pdeAddr = ((pdpteLo & ~0xfff) | (((lin >>> 21) & 0x1ff) << 3)) >>> 0;
    let pde = pdpteHi === 0 ? ram.read32(pdeAddr) : -1;
    const pdeHi = pdpteHi === 0 ? ram.read32(pdeAddr + 4) : -1;
    if ((pde & P) === 0) pageFault(st, lin, baseCode);
    if ((pdeHi & PAE_HI_RSVD) !== 0 || (!nx && pdeHi < 0)) pageFault(st, lin, baseCode | PFEC_P | PFEC_RSVD);
    if ((pde & PS) !== 0) {
      if ((pde & 0x1fe000) !== 0) pageFault(st, lin, baseCode | PFEC_P | PFEC_RSVD);
      rw = pde & RW; us = pde & US; xd = nx ? pdeHi >>> 31 : 0;
      checkRights(st, lin, kind, user, rw, us, xd, baseCode);
      frameHigh = pdeHi & 0xf;
      frame = ((pde & 0xffe00000) | (lin & 0x001ff000)) >>> 0;
      global = pde & G; leafAddr = pdeAddr; leaf = pde; large = TLB_LARGE | TLB_LARGE_2M;
    } else {
      if ((pde & A) === 0) { pde |= A; ram.write32(pdeAddr, pde); }
      const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x1ff) << 3)) >>> 0;
      const tableHigh = pdeHi & 0xf;
      const pte = tableHigh === 0 ? ram.read32(pteAddr) : -1;
      const pteHi = tableHigh === 0 ? ram.read32(pteAddr + 4) : -1;
      if ((pte & P) === 0) pageFault(st, lin, baseCode);
      if ((pteHi & PAE_HI_RSVD) !== 0 || (!nx && pteHi < 0)) pageFault(st, lin, baseCode | PFEC_P | PFEC_RSVD);
      rw = pde & pte & RW; us = pde & pte & US; xd = nx ? (pdeHi | pteHi) >>> 31 : 0;
      checkRights(st, lin, kind, user, rw, us, xd, baseCode);
      frameHigh = pteHi & 0xf;
      frame = (pte & ~0xfff) >>> 0;
      global = pte & G; leafAddr = pteAddr; leaf = pte;
    }
  }
  // Accessed and dirty on the final entry, only once the access is allowed.
  dirty = leaf & D;
  if ((leaf & A) === 0 || (kind === ACCESS_WRITE && dirty === 0)) {
    leaf |= A;
    if (kind === ACCESS_WRITE) { leaf |= D; dirty = D; }
    ram.write32(leafAddr, leaf);
  }
  const wp = (st.cr0 & WP) !== 0;
  let value = frame | TLB_READ_SUP;
  if (dirty !== 0 && (rw !== 0 || !wp)) value |= TLB_WRITE_SUP;
  if (xd === 0) value |= TLB_EXEC_SUP;
  if (us !== 0) {
    value |= TLB_READ_USER;
    if (dirty !== 0 && rw !== 0) value |= TLB_WRITE_USER;
    if (xd === 0) value |= TLB_EXEC_USER;
  }
  if (global !== 0 && (st.cr4 & PGE) !== 0) value |= TLB_GLOBAL;
  value |= large;
  if (frameHigh !== 0 || frame >= ram.size) value = (frame | TLB_SLOW | (value & (TLB_GLOBAL | large))) | 0;
  tlb.fill(vpn, value | 0);
  return value | 0;
}

function checkRights(
  st: PagingState, lin: number, kind: number, user: boolean, rw: number, us: number, xd: number, code: number,
): void {
  if (user && us === 0) pageFault(st, lin, code | PFEC_P);
  if (kind === ACCESS_WRITE && rw === 0 && (user || (st.cr0 & WP) !== 0)) pageFault(st, lin, code | PFEC_P);
  if (kind === ACCESS_EXEC && xd !== 0) pageFault(st, lin, code | PFEC_P);
}

/**
 * Load the four PAE PDPTE registers from CR3 (SDM Vol. 3 §4.4.1). Returns
 * false when a present PDPTE has reserved bits set (the MOV to CR3 then
 * raises #GP(0) and changes nothing).
 */
export function loadPdptes(cr3: number, ram: Ram, out: Int32Array): boolean {
  const base = (cr3 & ~0x1f) >>> 0;
  const next = new Int32Array(8);
  for (let i = 0; i < 4; i++) {
    const lo = ram.read32(base + i * 8), hi = ram.read32(base + i * 8 + 4);
    // Reserved: bits 1-2, 5-8, and 36-63.
    if ((lo & P) !== 0 && ((lo & 0x1e6) !== 0 || (hi & ~0xf) !== 0)) return false;
    next[2 * i] = lo; next[2 * i + 1] = hi;
  }
  out.set(next);
  return true;
}
