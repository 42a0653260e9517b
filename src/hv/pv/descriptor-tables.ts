/**
 * set_gdt and update_descriptor (docs/xen-pv32-abi.md §4.3, §4.10, §6.2;
 * xen/arch/x86/pv/descriptor-tables.c) and the segment-descriptor page type
 * they rely on: a frame used as GDT/LDT holds the SEG_DESC type, which it can
 * take only if nothing maps it writable and all 512 descriptors pass
 * check_descriptor (stored as adjusted). The running vCPU's GDT frames are
 * mapped into GDT pages 0–13 of the hypervisor area (HypervisorArea.mapGdt).
 */
import { ERRNO } from "../../abi/errno.js";
import { FIRST_RESERVED_GDT, GDT } from "../../abi/segments.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { vaddr } from "../../lib/brand.js";
import { PGT, baseType, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import type { GuestCopy } from "../core/guest-copy.js";
import { checkDescriptor } from "./check-descriptor.js";
import type { PvVcpu } from "./vcpu.js";

/** PvPageTables' validateSegDesc (alloc_segdesc_page): every descriptor checked, the adjusted ones stored. */
export function validateSegDescPage(mem: MachineMemory, mfn: Mfn): number {
  const base = mfn * PAGE.SIZE;
  const fixed: Array<{ lo: number; hi: number }> = [];
  for (let i = 0; i < GDT.ENTRIES_PER_PAGE; i++) {
    const d = checkDescriptor(mem.read32(base + i * 8), mem.read32(base + i * 8 + 4));
    if (d === undefined) return -ERRNO.EINVAL;
    fixed.push(d);
  }
  fixed.forEach((d, i) => { mem.write32(base + i * 8, d.lo); mem.write32(base + i * 8 + 4, d.hi); });
  return 0;
}

export interface DescriptorTablesContext {
  frames: FrameTable;
  mem: MachineMemory;
  guest: GuestCopy;
  self: DomId;
  /** The running vCPU's GDT changed: remap it and flush the TLB. */
  gdtChanged(v: PvVcpu): void;
}

/** HYPERVISOR_set_gdt(frame_list, entries) for vCPU `v` (pv_set_gdt). */
export function setGdt(c: DescriptorTablesContext, v: PvVcpu, list: number, entries: number): number {
  if (entries >>> 0 > FIRST_RESERVED_GDT.ENTRY) return -ERRNO.EINVAL;
  const nr = Math.ceil((entries >>> 0) / GDT.ENTRIES_PER_PAGE);
  const raw = c.guest.copyFromGuest(vaddr(list), nr * 4);
  if (raw === undefined) return -ERRNO.EFAULT;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const got: Mfn[] = [];
  for (let i = 0; i < nr; i++) {
    const mfn = dv.getUint32(i * 4, true) as Mfn;
    const rc = c.frames.isValid(mfn) ? c.frames.getPageAndType(mfn, c.self, PGT.SEG_DESC) : -ERRNO.EINVAL;
    if (rc !== 0) {
      for (const m of got) c.frames.putPageAndType(m);
      return -ERRNO.EINVAL;
    }
    got.push(mfn);
  }
  releaseGdt(c.frames, v);
  v.gdtFrames = got;
  v.gdtEntries = entries >>> 0;
  c.gdtChanged(v);
  return 0;
}

/** Drop the references of `v`'s GDT frames (destroy_gdt). */
export function releaseGdt(frames: FrameTable, v: PvVcpu): void {
  for (const m of v.gdtFrames) frames.putPageAndType(m);
  v.gdtFrames = [];
  v.gdtEntries = 0;
}

/** HYPERVISOR_update_descriptor(ma_lo, ma_hi, desc_lo, desc_hi) (do_update_descriptor). */
export function updateDescriptor(c: DescriptorTablesContext, maLo: number, maHi: number, lo: number, hi: number): number {
  const ma = (maHi >>> 0) * 2 ** 32 + (maLo >>> 0);
  if (ma % 8 !== 0) return -ERRNO.EINVAL;
  const mfn = Math.floor(ma / PAGE.SIZE) as Mfn;
  if (!c.frames.isValid(mfn)) return -ERRNO.EINVAL;
  const d = checkDescriptor(lo, hi);
  if (d === undefined) return -ERRNO.EINVAL;
  const { frames } = c;
  if (frames.getPage(mfn, c.self) !== 0) return -ERRNO.EINVAL;
  const inUse = frames.typeCount[mfn]! > 0 && baseType(frames.typeInfo[mfn]!) === PGT.SEG_DESC;
  if (!inUse) {
    if (frames.getPageType(mfn, PGT.WRITABLE) !== 0) { frames.putPage(mfn); return -ERRNO.EINVAL; }
  }
  c.mem.write32(ma, d.lo);
  c.mem.write32(ma + 4, d.hi);
  if (!inUse) frames.putPageType(mfn);
  frames.putPage(mfn);
  return 0;
}
