/**
 * The mmu_update hypercall (docs/xen-pv32-abi.md §4.2; Xen do_mmu_update):
 * a batch of checked writes to page-table entries, and updates of the
 * machine-to-physical table. This is how a PV guest changes its page tables:
 * they are mapped read-only in its own address space, so every change comes
 * here and is validated (the paper's "batched and validated" updates).
 *
 *   request (16 bytes): ptr u64 = machine address of the entry | command (bits 1:0)
 *                       val u64 = new entry (MACHPHYS_UPDATE: the PFN)
 *   foreigndom: bits 15:0 FD (owner of the data frames new L1 entries map),
 *               bits 31:16 PFD + 1 (owner of the tables written; 0 = self)
 *
 * Requests run in order; the first failure stops the batch. `*done` receives
 * the number of requests completed, even on error, so a batch whose k-th
 * request fails reports k - 1 done. A refused request changes nothing
 * (PvPageTables.modL*Entry take the new references before dropping the old).
 */
import { ERRNO } from "../../abi/errno.js";
import { DOMID, MMU } from "../../abi/hypercalls.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { PGT, baseType, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import type { PvPageTables } from "./page-types.js";
import { u32At, u32Bytes, type GuestCopy } from "../core/guest-copy.js";
import type { Vaddr } from "../../lib/brand.js";

export type { GuestCopy };


export interface MmuUpdateContext {
  self: DomId;
  privileged: boolean;
  frames: FrameTable;
  tables: PvPageTables;
  mem: MachineMemory;
  /** Does domain `d` exist? */
  domainExists(d: number): boolean;
  /** Set M2P[mfn] = pfn (the read-only table every PV guest maps, §5.6). */
  setM2p(mfn: number, pfn: number): void;
  /** An L2 or L3 entry of `mfn` changed: flush the domain's TLBs, reload live PDPTEs (§4.2 step 5). */
  tableChanged(level: 2 | 3, mfn: Mfn): void;
}

const REQUEST_SIZE = 16;
const AD_BITS = 0x60;

/** Resolve FD/PFD; a negative errno when the caller may not name them. */
function owners(ctx: MmuUpdateContext, foreigndom: number): { fd: number; pfd: number } | number {
  const fdField = foreigndom & 0xffff, pfdField = foreigndom >>> 16;
  let fd: number;
  if (fdField === DOMID.SELF) fd = ctx.self;
  else if (fdField === ctx.self) return -ERRNO.ESRCH; // name yourself as DOMID_SELF (§4.2)
  else if (fdField === DOMID.IO) {
    if (!ctx.privileged) return -ERRNO.EPERM;
    fd = DOMID.IO;
  } else {
    if (!ctx.domainExists(fdField)) return -ERRNO.ESRCH;
    if (!ctx.privileged) return -ERRNO.EPERM;
    fd = fdField;
  }
  let pfd: number = ctx.self;
  if (pfdField !== 0 && pfdField - 1 !== ctx.self) {
    if (!ctx.domainExists(pfdField - 1)) return -ERRNO.ESRCH;
    if (!ctx.privileged) return -ERRNO.EPERM;
    pfd = pfdField - 1;
  }
  return { fd, pfd };
}

/** One request; 0 or -errno. */
function one(ctx: MmuUpdateContext, fd: number, pfd: number, ptrLo: number, ptrHi: number, valLo: number, valHi: number): number {
  const frames = ctx.frames;
  const cmd = ptrLo & 3;
  if (ptrHi !== 0) return -ERRNO.EINVAL; // no RAM at or above 4 GiB on this machine
  const mfn = (ptrLo >>> 12) as Mfn;
  if (!frames.isValid(mfn)) return -ERRNO.EINVAL;
  if (cmd === MMU.MACHPHYS_UPDATE) {
    if (pfd !== ctx.self) return -ERRNO.EPERM;
    if (frames.owner[mfn] !== fd) return -ERRNO.EINVAL;
    ctx.setM2p(mfn, valLo);
    return 0;
  }
  if (frames.owner[mfn] !== pfd) return -ERRNO.EINVAL;
  const slot = (ptrLo & 0xfff) >>> 3;
  const at = mfn * 4096 + slot * 8;
  if (cmd === MMU.PT_UPDATE_PRESERVE_AD) valLo |= ctx.mem.read32(at) & AD_BITS;
  const type = frames.typeCount[mfn]! > 0 ? baseType(frames.typeInfo[mfn]!) : PGT.NONE;
  switch (type) {
    case PGT.L1:
      return ctx.tables.modL1Entry(mfn, slot, valLo, valHi, fd as DomId);
    case PGT.L2: {
      if (fd !== pfd) return -ERRNO.EINVAL;
      const rc = ctx.tables.modL2Entry(mfn, slot, valLo, valHi);
      if (rc === 0) ctx.tableChanged(2, mfn);
      return rc;
    }
    case PGT.L3: {
      if (fd !== pfd) return -ERRNO.EINVAL;
      const rc = ctx.tables.modL3Entry(mfn, slot, valLo, valHi);
      if (rc === 0) ctx.tableChanged(3, mfn);
      return rc;
    }
    case PGT.SEG_DESC:
      return -ERRNO.EINVAL;
    default: {
      // an ordinary frame: a plain 64-bit write, under a temporary writable reference
      const rc = frames.getPageAndType(mfn, pfd as DomId, PGT.WRITABLE);
      if (rc !== 0) return rc;
      ctx.mem.write32(at, valLo);
      ctx.mem.write32(at + 4, valHi);
      frames.putPageAndType(mfn);
      return 0;
    }
  }
}

/** HYPERVISOR_mmu_update(reqs, count, done, foreigndom): 0 or the first -errno. */
export function mmuUpdate(
  ctx: MmuUpdateContext, guest: GuestCopy, reqs: number, count: number, doneVa: number, foreigndom: number,
): number {
  let rc: number;
  let done = 0;
  const who = owners(ctx, foreigndom);
  if (typeof who === "number") {
    rc = who;
  } else {
    rc = 0;
    for (let i = 0; i < (count >>> 0); i++) {
      const req = guest.copyFromGuest(((reqs + i * REQUEST_SIZE) >>> 0) as Vaddr, REQUEST_SIZE);
      if (req === undefined) {
        rc = -ERRNO.EFAULT;
        break;
      }
      rc = one(ctx, who.fd, who.pfd, u32At(req, 0), u32At(req, 4), u32At(req, 8), u32At(req, 12));
      if (rc !== 0) break;
      done++;
    }
  }
  if (doneVa !== 0 && !guest.copyToGuest(doneVa as Vaddr, u32Bytes(done)) && rc === 0) rc = -ERRNO.EFAULT;
  return rc;
}
