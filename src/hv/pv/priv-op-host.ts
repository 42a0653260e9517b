/**
 * The hypervisor's side of privileged-instruction emulation (§6.8): a #GP(0)
 * or #UD from a PV guest is first offered to emulatePrivOp (priv-op.ts) with
 * a PrivOpContext made from the CPU and the vCPU, and only what it does not
 * handle is bounced (Xen's do_general_protection / do_invalid_op). Also the
 * per-vCPU state the emulation reads: virtual CR2/CR4, the MSR policy, the
 * emulated I/O-breakpoint bits of DR7.
 */
import type { Cpu } from "../../machine/cpu/cpu.js";
import { cpuid as machineCpuid } from "../../machine/cpu/cpuid.js";
import { readMsr } from "../../machine/cpu/exec-msr.js";
import { CR4_TSD, CS } from "../../machine/cpu/registers.js";
import { ATTR_UNUSABLE } from "../../machine/cpu/cpu.js";
import type { TrapFrame } from "../../machine/exits.js";
import { PAGE } from "../../abi/memory-layout.js";
import { hypercallPage } from "../../abi/hypercall-page.js";
import { ERRNO } from "../../abi/errno.js";
import type { Mfn } from "../../lib/brand.js";
import { PGT } from "../core/frame-table.js";
import { emulatePrivOp, pvFixupGuestCr4, type PrivOpContext, type PvIoState, type SegmentView } from "./priv-op.js";
import { PvCpuidPolicy, type CpuidLeaf } from "./pv-cpuid.js";
import { PvMsrs } from "./pv-msr.js";
import type { PvDomain, HypervisorServices } from "./domain.js";
import type { PvVcpu } from "./vcpu.js";

const UD = 6, GP = 13, DB = 1;
const ARCH_CR2 = 8;
/** The hypervisor's CR0 as Xen reports it to PV guests (read_cr0(): PE MP ET NE WP AM PG). */
const HOST_CR0 = 0x80050033;
const VMASST_ARCHITECTURAL_IOPL = 4;

const raw = new Int32Array(4);
/** The machine's own CPUID, as the hypervisor sees it at ring 0. */
export const rawCpuid = (leaf: number, subleaf: number): CpuidLeaf => {
  void subleaf;
  machineCpuid(leaf, raw);
  return [raw[0]! >>> 0, raw[1]! >>> 0, raw[2]! >>> 0, raw[3]! >>> 0];
};

/** Per-domain emulation state (Xen's d->arch.cpu_policy, cmos_idx, pci_cf8). */
export class PvPlatform {
  readonly cpuid: PvCpuidPolicy;
  readonly io: PvIoState = { cmosIndex: 0, pciCf8: 0 };

  constructor(hv: HypervisorServices, createdNs: bigint) {
    this.cpuid = new PvCpuidPolicy({
      rawCpuid, tscKhz: Math.round(hv.cpu.clock.hz / 1000), tscSafe: true, tscOffsetNs: createdNs,
      maxMfn: hv.frames.total - 1,
    });
  }
}

/** Per-vCPU state the emulation reads and writes. */
export class PvVcpuEmulation {
  cr2 = 0;
  cr4: number;
  readonly msrs: PvMsrs;

  constructor(hv: HypervisorServices, d: PvDomain, v: PvVcpu, platform: PvPlatform) {
    const cpuid = (l: number, s: number): CpuidLeaf => platform.cpuid.cpuid(l, s, this.cr4);
    this.cr4 = pvFixupGuestCr4(0, cpuid, hv.cpu.cr4);
    const out = new Int32Array(2);
    this.msrs = new PvMsrs({
      cpuid,
      hostRdmsr: (msr) => (readMsr(hv.cpu, msr, out) ? (BigInt(out[1]! >>> 0) << 32n) | BigInt(out[0]! >>> 0) : undefined),
      cpuidFaulting: true,
      vcpuId: v.id,
      tsc: () => BigInt(Math.floor(hv.cpu.clock.now + hv.cpu.tscOffset)),
      gpHandlerRegistered: () => (v.traps.entry(GP)?.address ?? 0) !== 0,
      writeHypercallPage: (gfn) => writeHypercallPage(hv, d, gfn),
    });
  }
}

/** MSR 0x40000000 (the hypercall-page MSR, §3.2): fill the domain's frame `gfn` with the stubs. */
function writeHypercallPage(hv: HypervisorServices, d: PvDomain, gfn: number): boolean {
  const mfn = gfn as Mfn;
  if (!hv.frames.isValid(mfn) || hv.frames.getPageAndType(mfn, d.domid, PGT.WRITABLE) !== 0) return false;
  const page = hypercallPage();
  for (let i = 0; i < PAGE.SIZE; i++) hv.mem.write8(mfn * PAGE.SIZE + i, page[i]!);
  hv.frames.putPageAndType(mfn);
  return true;
}

/**
 * Offer a #GP(0) / #UD from the guest to the emulator. Returns true when it
 * was dealt with (emulated, or turned into the fault the emulation raised and
 * bounced); false to bounce the original exception.
 */
export function tryEmulate(hv: HypervisorServices, d: PvDomain, v: PvVcpu, f: TrapFrame): boolean {
  const kind = f.vector === UD ? "ud" : f.vector === GP && f.errorCode === 0 ? "gp" : undefined;
  if (kind === undefined || (f.cs & 3) === 0) return false;
  const cpu = hv.cpu, em = v.emulation;
  const ctx: PrivOpContext = {
    regs: cpu.regs,
    eip: f.eip >>> 0,
    eflags: cpu.eflags >>> 0,
    cs: f.cs,
    segment: (seg) => segmentView(cpu, seg),
    guest: d.guest,
    iopl: v.iopl,
    architecturalIopl: d.hasVmAssist(VMASST_ARCHITECTURAL_IOPL),
    ioBitmap: v.ioBitmap,
    ioState: d.platform.io,
    ioBreakpoints: (port, len) => ioBreakpoints(v, port, len),
    cpuid: (l, s) => d.platform.cpuid.cpuid(l, s, em.cr4),
    msr: em.msrs,
    hostCr0: HOST_CR0,
    hostCr4: cpu.cr4,
    get ts() { return v.ts; },
    fpuTaskswitch: (set) => d.fpuTaskswitch(v, set),
    get cr2() { return em.cr2; },
    setCr2: (value) => { em.cr2 = value >>> 0; hv.mem.write32(v.vcpuInfo + ARCH_CR2, value >>> 0); },
    get baseptr() { return v.baseptr; },
    newBaseptr: (mfn) => d.mmu.newBaseptr(mfn as Mfn),
    get cr4() { return em.cr4; },
    setCr4: (value) => {
      em.cr4 = value >>> 0;
      // the guest's TSD is the real one (Xen's pv_make_cr4); DE stays virtual
      cpu.cr4 = ((cpu.cr4 & ~CR4_TSD) | (value & CR4_TSD)) | 0;
    },
    getDebugreg: (reg) => { const r = d.getDebugreg(reg); return r === -ERRNO.ENODEV ? undefined : r >>> 0; },
    setDebugreg: (reg, value) => d.setDebugreg(reg, value),
  };
  const r = emulatePrivOp(ctx, kind);
  if (!r.handled) return false;
  if (r.fault !== undefined) {
    const ec = r.fault.errorCode ?? -1;
    v.traps.exception({ ...f, vector: r.fault.vector, errorCode: ec, eip: ctx.eip >>> 0, cr2: r.fault.cr2 ?? 0, software: false });
    return true;
  }
  cpu.eip = ctx.eip >>> 0;
  cpu.eflags = ctx.eflags;
  cpu.attention = 1;
  if (r.dr6 !== 0) {
    cpu.debug.dr6 = (cpu.debug.dr6 | r.dr6) & 0xe00f;
    v.traps.exception({ ...f, vector: DB, errorCode: -1, eip: cpu.eip, eflags: cpu.eflags >>> 0, software: false });
  }
  return true;
}

function segmentView(cpu: Cpu, seg: number): SegmentView | undefined {
  const attr = cpu.segAttr[seg]!;
  if ((attr & ATTR_UNUSABLE) !== 0 && seg !== CS) return undefined;
  return { base: cpu.segBase[seg]! >>> 0, limit: cpu.segLimit[seg]!, attr: attr & 0xffff };
}

/** check_guest_io_breakpoint: enabled DR7 I/O breakpoints (virtual CR4.DE) covering the access. */
function ioBreakpoints(v: PvVcpu, port: number, len: number): number {
  if ((v.emulation.cr4 & (1 << 3)) === 0) return 0;
  const dr7 = v.ioBreakpointBits;
  let hit = 0;
  for (let i = 0; i < 4; i++) {
    if (((dr7 >>> (i * 2)) & 3) === 0 || ((dr7 >>> (16 + i * 4)) & 3) !== 2) continue;
    const size = [1, 2, 8, 4][(dr7 >>> (18 + i * 4)) & 3]!;
    const start = v.debugRegs[i]! & ~(size - 1);
    if (port < start + size && port + len > start) hit |= 1 << i;
  }
  return hit;
}
