/**
 * The PV MMU hypercalls of one domain on the machine's CPU
 * (docs/xen-pv32-abi.md §4.2, §4.13, §4.22, §5.9–§5.10):
 *
 *   mmu_update        ──► mmuUpdate (mmu-update.ts) with M2P writes into the
 *                         hypervisor's M2P frames; an L2/L3 change flushes the
 *                         TLB and, for the live L3, reloads the PDPT shadow
 *   update_va_mapping ──► the L1 entry for `va` through the current tables,
 *                         modL1Entry, then UVMF_INVLPG / UVMF_TLB_FLUSH
 *   mmuext_op         ──► pin / unpin, TLB flush and INVLPG ops, clear/copy page
 *
 * One physical CPU: every flush scope (LOCAL, ALL, MULTI) is the machine's
 * TLB, and other vCPUs' TLB state is rebuilt when they are switched in.
 * NEW_BASEPTR (§5.9, new_guest_cr3) takes the new L3's general and type
 * references before dropping the old one's; SET_LDT records the vCPU's LDT.
 * (The invariant checker runs after every hypercall in test builds:
 * Hypervisor.trap.) Nothing a guest passes throws: errors are −errno.
 */
import { hostFlushTlb, hostInvlpg } from "../core/tlb-ops.js";
import { DOMID, HYPERCALL, MMUEXT, UVMF } from "../../abi/hypercalls.js";
import { ERRNO } from "../../abi/errno.js";
import { HYPERVISOR, PAGE, PTE, l1Slot, l2Slot, l3Slot } from "../../abi/memory-layout.js";
import type { Cpu } from "../../machine/cpu/cpu.js";
import { loadPdptes } from "../../machine/mmu/page-walk.js";
import type { DomId, Mfn, Vaddr } from "../../lib/brand.js";
import { PGT, baseType, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import { u32At, u32Bytes, type GuestCopy } from "../core/guest-copy.js";
import type { HypercallTable } from "./hypercall.js";
import type { HypervisorArea } from "./hypervisor-area.js";
import type { ExternalRef } from "./invariants.js";
import type { PvVcpu } from "./vcpu.js";
import { mmuUpdate, type MmuUpdateContext } from "./mmu-update.js";
import type { PvPageTables } from "./page-types.js";

export interface PvMmuOptions {
  cpu: Cpu;
  mem: MachineMemory;
  frames: FrameTable;
  tables: PvPageTables;
  area: HypervisorArea;
  guest: GuestCopy;
  self: DomId;
  /** Another live domain with this id exists (foreigndom checks). */
  domainExists(domid: number): boolean;
  /** The calling vCPU (its baseptr holds one general and one L3 type reference). */
  current(): PvVcpu;
  /** The hypervisor loads `v.baseptr` into the CPU (PDPT shadow, CR3, TLB flush). */
  loadBaseptr(v: PvVcpu): void;
  /** MMUEXT_SET_LDT for `v` (ldt.ts: the old pages released, the CPU's LDTR set if it runs). */
  setLdt(v: PvVcpu, base: number, ents: number): void;
  /** References held outside page tables (every vCPU's baseptr and GDT frames), for the checker. */
  externalRefs(): ExternalRef[];
  /** Crash the domain (an invariant violation). */
  crash(message: string): void;
}

const MMUEXT_OP_SIZE = 12;
/** §4.22 SET_LDT: at most 8192 entries. */
const LDT_MAX_ENTRIES = 8192;

export class PvMmu {
  private readonly ctx: MmuUpdateContext;

  constructor(private readonly o: PvMmuOptions) {
    this.ctx = {
      self: o.self, privileged: false, frames: o.frames, tables: o.tables, mem: o.mem,
      domainExists: (d) => d === o.self || o.domainExists(d),
      setM2p: (mfn, pfn) => o.area.setM2p(mfn as Mfn, pfn),
      tableChanged: (level, mfn) => this.tableChanged(level, mfn),
    };
  }

  register(table: HypercallTable): void {
    table
      .register(HYPERCALL.mmu_update, ([reqs, count, done, fd]) => (mmuUpdate(this.ctx, this.o.guest, reqs, count, done, fd)))
      .register(HYPERCALL.update_va_mapping, ([va, lo, hi, flags]) => (this.updateVaMapping(va, lo, hi, flags)))
      .register(HYPERCALL.mmuext_op, ([ops, count, done, fd]) => (this.mmuextOp(ops, count, done, fd)));
  }

  /** §4.2 step 5: an L2/L3 entry changed; the live L3 also feeds the CPU's PDPTEs (§5.9). */
  private tableChanged(level: 2 | 3, mfn: Mfn): void {
    if (level === 3 && mfn === this.o.current().baseptr) {
      this.o.area.shadowL3(mfn);
      if (!loadPdptes(this.o.cpu.cr3, this.o.cpu.ram, this.o.cpu.pdpte)) this.o.crash("PDPT shadow refused by the CPU");
    }
    hostFlushTlb(this.o.cpu, this.o.frames);
  }

  /** The validated L1 holding the entry for `va` in the current tables, or −EINVAL (§4.13 step 1). */
  private l1For(va: number): Mfn | number {
    const { mem, frames } = this.o;
    if (va >>> 0 >= HYPERVISOR.VIRT_START) return -ERRNO.EINVAL;
    const entryMfn = (table: number, slot: number): number | undefined => {
      const lo = mem.read32(table * PAGE.SIZE + slot * 8) >>> 0, hi = mem.read32(table * PAGE.SIZE + slot * 8 + 4) >>> 0;
      if ((lo & PTE.PRESENT) === 0 || (hi & 0xfffff) !== 0) return undefined;
      return lo >>> PAGE.SHIFT;
    };
    const l2 = entryMfn(this.o.current().baseptr, l3Slot(va));
    if (l2 === undefined || !frames.isValid(l2)) return -ERRNO.EINVAL;
    if ((mem.read32(l2 * PAGE.SIZE + l2Slot(va) * 8) & PTE.PSE) !== 0) return -ERRNO.EINVAL;
    const l1 = entryMfn(l2, l2Slot(va));
    if (l1 === undefined || !frames.isValid(l1)) return -ERRNO.EINVAL;
    if (frames.typeCount[l1] === 0 || baseType(frames.typeInfo[l1]!) !== PGT.L1) return -ERRNO.EINVAL;
    return l1 as Mfn;
  }

  /** HYPERVISOR_update_va_mapping(va, lo, hi, flags) (§4.13). */
  updateVaMapping(va: number, lo: number, hi: number, flags: number): number {
    const l1 = this.l1For(va);
    if (l1 < 0) return l1;
    const rc = this.o.tables.modL1Entry(l1 as Mfn, l1Slot(va), lo, hi, this.o.self);
    if (rc !== 0) return rc;
    const kind = flags & UVMF.FLUSHTYPE_MASK;
    if (kind === UVMF.TLB_FLUSH) hostFlushTlb(this.o.cpu, this.o.frames);
    else if (kind === UVMF.INVLPG) hostInvlpg(this.o.cpu, va >>> 0);
    return 0;
  }

  /** HYPERVISOR_mmuext_op(ops, count, done, foreigndom) (§4.22). */
  mmuextOp(ops: number, count: number, doneVa: number, foreigndom: number): number {
    const fd = foreigndom & 0xffff;
    // get_pg_owner: yourself only as DOMID_SELF; another domain needs privilege (xsm_mmuext_op)
    let rc = fd === DOMID.SELF ? 0 : fd !== this.o.self && this.o.domainExists(fd) ? -ERRNO.EPERM : -ERRNO.ESRCH;
    let done = 0;
    for (let i = 0; rc === 0 && i < (count >>> 0); i++) {
      const op = this.o.guest.copyFromGuest(((ops + i * MMUEXT_OP_SIZE) >>> 0) as Vaddr, MMUEXT_OP_SIZE);
      if (op === undefined) { rc = -ERRNO.EFAULT; break; }
      rc = this.oneExtOp(u32At(op, 0), u32At(op, 4), u32At(op, 8));
      if (rc === 0) done++;
    }
    if (doneVa !== 0 && !this.o.guest.copyToGuest(doneVa as Vaddr, u32Bytes(done)) && rc === 0) rc = -ERRNO.EFAULT;
    return rc;
  }

  /** MMUEXT_NEW_BASEPTR (new_guest_cr3): the L3 must validate as this domain's; the old one is released. */
  newBaseptr(mfn: Mfn): number {
    const { frames, self } = this.o;
    if (!frames.isValid(mfn)) return -ERRNO.EINVAL;
    const v = this.o.current();
    if (mfn === v.baseptr) { this.o.loadBaseptr(v); return 0; }
    const rc = frames.getPageAndType(mfn, self, PGT.L3);
    if (rc !== 0) return rc;
    const old = v.baseptr;
    v.baseptr = mfn;
    this.o.loadBaseptr(v);
    frames.putPageAndType(old);
    return 0;
  }

  private oneExtOp(cmd: number, arg1: number, arg2: number): number {
    const { cpu, frames, mem, self } = this.o;
    const mfn = arg1 as Mfn;
    switch (cmd) {
      case MMUEXT.PIN_L1_TABLE: case MMUEXT.PIN_L2_TABLE: case MMUEXT.PIN_L3_TABLE: {
        if (!frames.isValid(mfn)) return -ERRNO.EINVAL;
        const type = cmd === MMUEXT.PIN_L1_TABLE ? PGT.L1 : cmd === MMUEXT.PIN_L2_TABLE ? PGT.L2 : PGT.L3;
        return frames.pin(mfn, self, type);
      }
      case MMUEXT.PIN_L4_TABLE:
        return 0; // ignored for 32-bit guests
      case MMUEXT.UNPIN_TABLE:
        return frames.isValid(mfn) ? frames.unpin(mfn, self) : -ERRNO.EINVAL;
      case MMUEXT.TLB_FLUSH_LOCAL: case MMUEXT.TLB_FLUSH_ALL:
        hostFlushTlb(cpu, this.o.frames);
        return 0;
      case MMUEXT.INVLPG_LOCAL: case MMUEXT.INVLPG_ALL:
        hostInvlpg(cpu, arg1 >>> 0);
        return 0;
      case MMUEXT.TLB_FLUSH_MULTI: case MMUEXT.INVLPG_MULTI:
        if (this.o.guest.copyFromGuest(arg2 as Vaddr, 4) === undefined) return -ERRNO.EINVAL;
        if (cmd === MMUEXT.TLB_FLUSH_MULTI) hostFlushTlb(cpu, this.o.frames);
        else hostInvlpg(cpu, arg1 >>> 0);
        return 0;
      case MMUEXT.FLUSH_CACHE: case MMUEXT.FLUSH_CACHE_GLOBAL:
        return -ERRNO.EACCES;
      case MMUEXT.NEW_USER_BASEPTR:
        return -ERRNO.EINVAL;
      case MMUEXT.MARK_SUPER: case MMUEXT.UNMARK_SUPER:
        return -ERRNO.EOPNOTSUPP;
      case MMUEXT.CLEAR_PAGE: case MMUEXT.COPY_PAGE: {
        const src = arg2 as Mfn;
        if (cmd === MMUEXT.COPY_PAGE && (!frames.isValid(src) || frames.owner[src] !== self)) return -ERRNO.EINVAL;
        const rc = frames.isValid(mfn) ? frames.getPageAndType(mfn, self, PGT.WRITABLE) : -ERRNO.EINVAL;
        if (rc !== 0) return rc;
        for (let o = 0; o < PAGE.SIZE; o += 4) {
          mem.write32(mfn * PAGE.SIZE + o, cmd === MMUEXT.CLEAR_PAGE ? 0 : mem.read32(src * PAGE.SIZE + o));
        }
        frames.putPageAndType(mfn);
        return 0;
      }
      case MMUEXT.NEW_BASEPTR:
        return this.newBaseptr(mfn);
      case MMUEXT.SET_LDT: {
        const ents = arg2 >>> 0, base = arg1 >>> 0;
        if (ents > LDT_MAX_ENTRIES || (ents !== 0 && ((base & (PAGE.SIZE - 1)) !== 0 || base + ents * 8 > HYPERVISOR.VIRT_START))) return -ERRNO.EINVAL;
        this.o.setLdt(this.o.current(), base, ents);
        return 0;
      }
      default:
        return -ERRNO.ENOSYS;
    }
  }
}
