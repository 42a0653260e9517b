/**
 * Destroying a domain that has ended (Xen's domain_kill →
 * domain_relinquish_resources, relinquish_memory): its vCPUs drop their CR3,
 * GDT and LDT references, its event channels close (peers' ends go back to
 * unbound), pinned tables are unpinned, every page table still validated is
 * de-validated — breaking the cycles linear page tables can form, as Xen's
 * relinquish_memory does — its grant table is released, and every frame no
 * other domain still references returns to the free pool with its M2P entry
 * invalid. A frame another domain still holds (a grant mapping) stays
 * allocated to the dying domain; the result says how many.
 */
import { M2P } from "../../abi/memory-layout.js";
import type { Mfn } from "../../lib/brand.js";
import { FRAME_FLAG, isPageTableType, type FrameTable } from "../core/frame-table.js";
import type { HypervisorArea } from "./hypervisor-area.js";
import type { PvPageTables } from "./page-types.js";
import type { PvDomain } from "./domain.js";
import { releaseGdt } from "./descriptor-tables.js";
import { releaseLdt } from "./ldt.js";

export interface TeardownResult {
  /** Frames returned to the free pool. */
  freed: number;
  /** Frames still referenced from elsewhere, left allocated to the domain. */
  held: number;
}

export function destroyDomain(d: PvDomain, frames: FrameTable, tables: PvPageTables, area: HypervisorArea): TeardownResult {
  for (const v of d.vcpus) {
    releaseGdt(frames, v);
    releaseLdt(frames, v);
    if (v.baseptr !== 0) frames.putPageAndType(v.baseptr);
    v.baseptr = 0 as Mfn;
  }
  d.evtchn.destroy();
  const mine: Mfn[] = [];
  for (let m = 0; m < frames.total; m++) if (frames.owner[m] === d.domid) mine.push(m as Mfn);
  for (const m of mine) if (frames.pinned(m)) frames.unpin(m, d.domid);
  // what the unpinning left validated (tables referenced from tables, cycles): de-validate each once
  for (const m of mine) {
    const t = frames.typeInfo[m]!;
    if (!isPageTableType(t) || !frames.validated(m)) continue;
    frames.flags[m]! &= ~FRAME_FLAG.VALIDATED;
    tables.devalidate(m, t);
  }
  d.grants.destroy();
  let freed = 0, held = 0;
  for (const m of mine) {
    if (frames.owner[m] !== d.domid) { freed++; continue; } // the grant table's frames, freed by its destroy()
    if (frames.xenShared(m) && frames.count[m] === 1 && frames.typeCount[m] === 1) frames.unshare(m);
    if (frames.count[m] === 0) {
      // type references can only remain from the de-validated tables above
      frames.typeCount[m] = 0;
      frames.flags[m]! &= ~FRAME_FLAG.PINNED;
      if (frames.free(m) === 0) {
        area.setM2p(m, M2P.INVALID_ENTRY);
        freed++;
        continue;
      }
    }
    held++;
  }
  return { freed, held };
}
