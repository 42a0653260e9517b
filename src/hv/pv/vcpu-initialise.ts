/**
 * VCPUOP_initialise (docs/xen-pv32-abi.md §4.21, §2.6; Xen's
 * arch_set_info_guest): load a secondary vCPU's whole state from a
 * vcpu_guest_context — trap table, callbacks, kernel stack, GDT (as set_gdt),
 * LDT, CR3 (the L3 must validate, slot-3 rule included), debug registers —
 * and record its registers as the frame its first run enters through
 * (start frame: an IRET at ring 0 and the data-segment loads, so the CPU
 * checks every selector as Xen's return to guest does). The vCPU stays down
 * until VCPUOP_up.
 */
import { ERRNO } from "../../abi/errno.js";
import { CALLBACKTYPE } from "../../abi/hypercalls.js";
import { VGCF, vcpuGuestContext } from "../../abi/structs.js";
import { offsetOf } from "../../abi/layout.js";
import { vaddr, type Mfn } from "../../lib/brand.js";
import { PGT } from "../core/frame-table.js";
import type { FrameTable } from "../core/frame-table.js";
import type { GuestCopy } from "../core/guest-copy.js";
import type { DomId } from "../../lib/brand.js";
import { releaseGdt } from "./descriptor-tables.js";
import type { PvVcpu, StartFrame } from "./vcpu.js";

const CTX_SIZE = vcpuGuestContext.size;
const EFLAGS_VM = 1 << 17;
const at = (path: string): number => offsetOf(vcpuGuestContext, path);

/** xen_cr3_to_pfn for a 32-bit PAE guest: the "folded" CR3 (§2.6). */
export const cr3ToMfn = (cr3: number): number => ((cr3 >>> 12) | (cr3 << 20)) >>> 0;

export interface VcpuInitialiseContext {
  frames: FrameTable;
  guest: GuestCopy;
  self: DomId;
}

export function vcpuInitialise(c: VcpuInitialiseContext, v: PvVcpu, arg: number): number {
  // compat_common_vcpu_op copies the context before looking at the vCPU
  const raw = c.guest.copyFromGuest(vaddr(arg), CTX_SIZE);
  if (raw === undefined) return -ERRNO.EFAULT;
  if (v.initialised) return -ERRNO.EEXIST;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const u32 = (off: number): number => dv.getUint32(off, true);
  const u16 = (off: number): number => dv.getUint16(off, true);
  const regs = at("user_regs");
  const eflags = u32(regs + 40);
  if ((eflags & EFLAGS_VM) !== 0) return -ERRNO.EINVAL;
  const gdtEnts = u32(at("gdt_ents"));
  if (gdtEnts > 7168) return -ERRNO.EINVAL;
  const ldtEnts = u32(at("ldt_ents")), ldtBase = u32(at("ldt_base"));
  if (ldtEnts > 8192 || (ldtEnts !== 0 && (ldtBase & 0xfff) !== 0)) return -ERRNO.EINVAL;
  // the L3 first (full validation), then the GDT frames; on failure nothing is held
  const l3 = cr3ToMfn(u32(at("ctrlreg") + 3 * 4)) as Mfn;
  if (!c.frames.isValid(l3) || c.frames.getPageAndType(l3, c.self, PGT.L3) !== 0) return -ERRNO.EINVAL;
  const gdt: Mfn[] = [];
  for (let i = 0; i < Math.ceil(gdtEnts / 512); i++) {
    const m = u32(at("gdt_frames") + i * 4) as Mfn;
    if (!c.frames.isValid(m) || c.frames.getPageAndType(m, c.self, PGT.SEG_DESC) !== 0) {
      for (const g of gdt) c.frames.putPageAndType(g);
      c.frames.putPageAndType(l3);
      return -ERRNO.EINVAL;
    }
    gdt.push(m);
  }
  releaseGdt(c.frames, v);
  if (v.baseptr !== 0) c.frames.putPageAndType(v.baseptr);
  v.baseptr = l3;
  v.gdtFrames = gdt;
  v.gdtEntries = gdtEnts;
  v.ldtBase = ldtEnts === 0 ? 0 : ldtBase;
  v.ldtEntries = ldtEnts;
  const trapTable = at("trap_ctxt");
  for (let i = 0; i < 256; i++) {
    const e = trapTable + i * 8;
    const cs = u16(e + 2), address = u32(e + 4);
    v.traps.setEntry(dv.getUint8(e), cs === 0 && address === 0 ? undefined : { flags: dv.getUint8(e + 1), cs: raiseRpl(cs), address });
  }
  v.traps.kernelSs = raiseRpl(u32(at("kernel_ss")) & 0xffff);
  v.traps.kernelSp = u32(at("kernel_sp"));
  const flags = u32(at("flags"));
  v.traps.callbacks.set(CALLBACKTYPE.event, { cs: raiseRpl(u32(at("event_callback_cs")) & 0xffff), eip: u32(at("event_callback_eip")), mask: true });
  v.traps.callbacks.set(CALLBACKTYPE.failsafe, {
    cs: raiseRpl(u32(at("failsafe_callback_cs")) & 0xffff), eip: u32(at("failsafe_callback_eip")),
    mask: (flags & VGCF.failsafe_disables_events) !== 0,
  });
  for (let i = 0; i < 8; i++) v.debugRegs[i] = u32(at("debugreg") + i * 4);
  const start: StartFrame = {
    gprs: [u32(regs + 24), u32(regs + 4), u32(regs + 8), u32(regs + 0), 0, u32(regs + 20), u32(regs + 12), u32(regs + 16)],
    eip: u32(regs + 32), cs: raiseRpl(u16(regs + 36)), eflags, esp: u32(regs + 44), ss: raiseRpl(u16(regs + 48)),
    ds: u16(regs + 56), es: u16(regs + 52), fs: u16(regs + 60), gs: u16(regs + 64),
  };
  v.startFrame = start;
  v.initialised = true;
  return 0;
}

function raiseRpl(sel: number): number {
  return (sel & 3) === 0 && (sel & 0xfffc) !== 0 ? sel | 1 : sel;
}
