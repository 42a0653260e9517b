/**
 * Privileged-instruction and forced-emulation (FEP) emulation for a 32-bit PV
 * vCPU (docs/xen-pv32-abi.md §6.1, §6.8; Xen xen/arch/x86/pv/emul-priv-op.c,
 * pv/emul-inv-op.c, pv/emulate.c, x86_emulate/x86_emulate.c + decode.c +
 * 0f01.c + util-xen.c, traps.c do_general_protection/do_invalid_op).
 *
 * The guest runs with real IOPL 0 at CPL 1/3, so CLI/STI/IN/OUT/INS/OUTS,
 * MOV CR/DR, CLTS, WBINVD, RDMSR/WRMSR and (with CR4.TSD or CPUID faulting)
 * RDTSC/CPUID raise #GP(0). The hypervisor calls emulatePrivOp(ctx, "gp") for
 * a #GP with error code 0 from guest context, and emulatePrivOp(ctx, "ud")
 * for a #UD, before bouncing either to the guest:
 *
 *   "ud": FEP = 0F 0B 'x' 'e' 'n' then CPUID (0F A2) at the linear EIP
 *         (CS base ignored, as Xen) → CPUID with the domain policy, EIP += 7;
 *         guest CPUID faulting on and user mode → #GP(0) at EIP + 5;
 *         prefix bytes unreadable → #PF; anything else → not handled (#UD).
 *   "gp": CS must be a present code segment (D bit gives 16/32-bit sizes);
 *         prefixes 66 67 26 2E 36 3E 64 65 F0 F2 F3, at most 15 bytes, then
 *
 *     opcode          rule (x86_emulate's validate hook + ops)
 *     E4–E7 EC–EF     IN/OUT: guest_io_okay (vIOPL ≥ CPL', else I/O bitmap)
 *     6C–6F [REP]     INS/OUTS: same check, then ES (INS) / DS-or-override
 *                     (OUTS) segment checks, memory through copy_*_guest
 *     FA FB           CLI/STI: no-op (upcall mask untouched) if iopl_ok
 *     0F 06, 0F 09    CLTS (virtual TS := 0), WBINVD (no-op): kernel only
 *     0F 20–23        MOV from/to CR0 CR2 CR3 CR4, DR0–7: kernel only
 *     0F 30 0F 32     WRMSR/RDMSR through the MSR policy: kernel only
 *     0F 31, 0F01 F9  RDTSC/RDTSCP: user mode with virtual CR4.TSD → #GP
 *     0F A2           CPUID with the policy; user mode with guest faulting → #GP
 *     0F01 D1         XSETBV: #UD unless virtual CR4.OSXSAVE (never offered)
 *     anything else   not handled (HLT, LMSW, INVD, LGDT, …) → #GP(0)
 *
 * CPL' (iopl_ok): kernel (CS RPL 1) = 1, or 0 with VMASST architectural_iopl;
 * user (RPL 2/3) = 3. "Kernel only" is x86_emulate's mode_ring0(): Xen fakes
 * DPL 0 for a kernel-mode CS/SS, so ring 1 passes and ring 2/3 gets #GP(0).
 * A domU owns no I/O ports: reads give all-ones except the latched CMOS
 * index (port 0x70, 7 bits) and the PCI CONFIG_ADDRESS latch (0xCF8 dword);
 * writes go nowhere but those latches (guest_io_read/write, no vPIT).
 *
 * Result contract:
 *   { handled: false }         bounce the original #GP(0)/#UD at ctx.eip.
 *   { handled: true, fault }   deliver `fault` (vector, error code, CR2 for
 *                              #PF; the #PF error code already carries U/S as
 *                              pv_inject_event sets it) with saved EIP = ctx.eip
 *                              as left by the call (unchanged, but for FEP
 *                              faulting = CPUID and partial REP progress).
 *   { handled: true, dr6 }     done; registers/EIP/RF updated in ctx. If
 *                              dr6 != 0 raise #DB with those DR6 bits (BS
 *                              0x4000 when EFLAGS.TF was set — `singleStep` —
 *                              and B0–B3 of matched I/O breakpoints), as
 *                              pv_inject_DB after the instruction.
 * #GP(0) as a fault and { handled: false } look the same to the guest; the
 * fault form is used where Xen's emulator raises the exception itself.
 *
 * Departures: a REP INS/OUTS runs at most MAX_REPS iterations per call and
 * restarts (Xen: hypercall_preempt_check); MOV to CR3 that fails is #GP(0)
 * (Xen retries on −ERESTART); the I/O-bitmap #PF reports the first
 * unreadable byte (Xen adds the access size instead of 2).
 */
import { ERRNO } from "../../abi/errno.js";
import type { Vaddr } from "../../lib/brand.js";
import type { GuestCopy } from "../core/guest-copy.js";
import {
  CR0_TS, CR4_DE, CR4_MCE, CR4_PAE, CR4_TSD, CS, DF, DS, EAX, ECX, EDI, EDX, EBX, ES, ESI, RF, SS, TF,
} from "../../machine/cpu/registers.js";
import { CPUID_FEATURE, type CpuidLeaf } from "./pv-cpuid.js";

/** A segment register's descriptor cache. */
export interface SegmentView {
  readonly base: number;
  /** Byte-granular limit. */
  readonly limit: number;
  /** Access byte (type 0–3, S 4, DPL 5–6, P 7) | AVL, L, D/B, G in bits 12–15. */
  readonly attr: number;
}

/** Per-domain latches of the emulated platform ports (Xen: d->arch.cmos_idx, pci_cf8). */
export interface PvIoState { cmosIndex: number; pciCf8: number }

/** The MSR policy (pv-msr.ts PvMsrs): undefined / false mean #GP(0). */
export interface MsrAccess {
  read(msr: number): bigint | undefined;
  write(msr: number, value: bigint): boolean;
}

/** What the emulator reads and changes; the hypervisor adapts its vCPU to this. */
export interface PrivOpContext {
  /** EAX…EDI in ModRM order; results are written here. */
  readonly regs: Int32Array;
  eip: number;
  /** Real EFLAGS (IF 1, IOPL 0): TF and DF are read, RF cleared on completion. */
  eflags: number;
  /** CS selector: RPL 1 is the guest kernel, 2 and 3 guest user. */
  readonly cs: number;
  /** Segment register ES…GS (machine numbering); undefined if unusable. */
  segment(seg: number): SegmentView | undefined;
  /** Guest linear memory with Xen's copy_*_guest rights (supervisor, WP). */
  readonly guest: GuestCopy;
  /** Virtual IOPL 0–3 (PHYSDEVOP_set_iopl, or iret with architectural_iopl). */
  readonly iopl: number;
  /** VMASST_TYPE_architectural_iopl: the kernel counts as CPL 0. */
  readonly architecturalIopl: boolean;
  /** PHYSDEVOP_set_iobitmap (bit set = port denied); undefined: none. */
  readonly ioBitmap: { readonly va: number; readonly nrPorts: number } | undefined;
  readonly ioState: PvIoState;
  /** DR6 B0–B3 of enabled I/O breakpoints (DR7 R/W 10b, CR4.DE) covering port…port+len−1; 0 if none. */
  ioBreakpoints(port: number, len: number): number;
  /** The domain's CPUID policy as this vCPU sees it (pv-cpuid.ts). */
  cpuid(leaf: number, subleaf: number): CpuidLeaf;
  readonly msr: MsrAccess;
  /** The hypervisor's CR0 (Xen read_cr0(): 0x80050033 on Xen); its TS bit is ignored. */
  readonly hostCr0: number;
  /** The hypervisor's CR4: PAE, MCE, OSFXSR, OSXMMEXCPT show through (PV_CR4_GUEST_VISIBLE_MASK). */
  readonly hostCr4: number;
  /** Virtual CR0.TS and fpu_taskswitch (§4.6). */
  readonly ts: boolean;
  fpuTaskswitch(set: boolean): void;
  /** Virtual CR2; setCr2 also stores vcpu_info.arch.cr2 (arch_set_cr2). */
  readonly cr2: number;
  setCr2(value: number): void;
  /** MFN of the current guest L3 (CR3 reads as xen_pfn_to_cr3 of it; GFN == MFN for PV). */
  readonly baseptr: number;
  /** MMUEXT_NEW_BASEPTR semantics; 0 or −errno (failure → #GP(0)). */
  newBaseptr(mfn: number): number;
  /** Virtual CR4 (as read by the guest); setCr4 receives the fixed-up value and reloads what depends on it. */
  readonly cr4: number;
  setCr4(value: number): void;
  /** get_debugreg (undefined: −ENODEV → #UD) / set_debugreg (0 or −errno: −ENODEV → #UD, else #GP(0)). */
  getDebugreg(reg: number): number | undefined;
  setDebugreg(reg: number, value: number): number;
}

export interface PrivOpFault {
  readonly vector: number;
  /** Present for #GP, #SS, #PF. */
  readonly errorCode?: number;
  /** Faulting linear address, for #PF. */
  readonly cr2?: number;
}

export type PrivOpResult =
  | { readonly handled: false }
  | { readonly handled: true; readonly fault: PrivOpFault }
  | { readonly handled: true; readonly fault?: undefined; readonly singleStep: boolean; readonly dr6: number };

/** Iterations of one REP INS/OUTS per call before it restarts (Xen's preemption point). */
export const MAX_REPS = 1024;
const MAX_INSN_LEN = 15;
const DR6_BS = 0x4000;
const PFEC_WRITE = 2, PFEC_USER = 4;
const UD = 6, GP = 13, SS_VEC = 12, PF = 14;
const MSR_TSC = 0x10, MSR_MISC_FEATURES = 0x140, MSR_TSC_AUX = 0xc0000103;
const CR4_FSGSBASE = 1 << 16, CR4_OSXSAVE = 1 << 18, CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10;
/** PV_CR4_GUEST_MASK / PV_CR4_GUEST_VISIBLE_MASK (asm/pv/domain.h). */
const CR4_GUEST_MASK = CR4_TSD | CR4_DE | CR4_FSGSBASE | CR4_OSXSAVE;
const CR4_VISIBLE_MASK = CR4_PAE | CR4_MCE | CR4_OSFXSR | CR4_OSXMMEXCPT;
const ATTR_P = 0x80, ATTR_S = 0x10, ATTR_CODE = 0x08, ATTR_RW = 0x02, ATTR_DB = 0x4000;
const FEP = [0x0f, 0x0b, 0x78, 0x65, 0x6e] as const;

const NOT_HANDLED: PrivOpResult = { handled: false };
/** Thrown inside one emulation to stop it with a result. */
class Stop { constructor(readonly result: PrivOpResult) {} }
function fault(vector: number, errorCode?: number, cr2?: number): Stop {
  const f: PrivOpFault = errorCode === undefined ? { vector } : cr2 === undefined ? { vector, errorCode } : { vector, errorCode, cr2: cr2 >>> 0 };
  return new Stop({ handled: true, fault: f });
}

/**
 * pv_fixup_guest_cr4: the guest's choice of TSD/DE/FSGSBASE/OSXSAVE (each
 * only if the CPUID policy has the feature) plus the host bits it may see.
 * Also the initial CR4: pvFixupGuestCr4(0, …).
 */
export function pvFixupGuestCr4(cr4: number, cpuid: (leaf: number, subleaf: number) => CpuidLeaf, hostCr4: number): number {
  const [, , c1, d1] = cpuid(1, 0), b7 = cpuid(7, 0)[1];
  const drop = ((d1 & CPUID_FEATURE.TSC) ? 0 : CR4_TSD) | ((d1 & CPUID_FEATURE.DE) ? 0 : CR4_DE) |
    ((b7 & CPUID_FEATURE.FSGSBASE) ? 0 : CR4_FSGSBASE) | ((c1 & CPUID_FEATURE.XSAVE) ? 0 : CR4_OSXSAVE);
  return ((cr4 & ~drop & CR4_GUEST_MASK) | (hostCr4 & CR4_VISIBLE_MASK)) >>> 0;
}

export function emulatePrivOp(ctx: PrivOpContext, kind: "gp" | "ud"): PrivOpResult {
  try {
    return kind === "ud" ? forcedInvalidOp(ctx) : privilegedOp(ctx);
  } catch (e) {
    if (e instanceof Stop) return e.result;
    throw e;
  }
}

const isKernel = (ctx: PrivOpContext): boolean => (ctx.cs & 3) === 1;
const pfUser = (ctx: PrivOpContext): number => (isKernel(ctx) ? 0 : PFEC_USER);

/** Read `len` bytes or throw #PF at the first unreadable one (copy_from_guest_pv's rc). */
function readOrFault(ctx: PrivOpContext, va: number, len: number, pfec = 0): Uint8Array {
  const bytes = ctx.guest.copyFromGuest((va >>> 0) as Vaddr, len);
  if (bytes !== undefined) return bytes;
  let i = 0;
  while (i < len - 1 && ctx.guest.copyFromGuest(((va + i) >>> 0) as Vaddr, 1) !== undefined) i++;
  throw fault(PF, pfec | pfUser(ctx), va + i);
}

/** emulate_forced_invalid_op (emul-inv-op.c). */
function forcedInvalidOp(ctx: PrivOpContext): PrivOpResult {
  const eip = ctx.eip >>> 0;
  const sig = readOrFault(ctx, eip, 5);
  if (!FEP.every((b, i) => sig[i] === b)) return NOT_HANDLED;
  const insn = readOrFault(ctx, eip + 5, 2);
  if (insn[0] !== 0x0f || insn[1] !== 0xa2) return NOT_HANDLED;
  if (!isKernel(ctx) && guestCpuidFaulting(ctx)) {
    ctx.eip = (eip + 5) >>> 0;
    throw fault(GP, 0);
  }
  cpuidInto(ctx);
  // pv_emul_instruction_done: TF as it is after the instruction
  ctx.eip = (eip + 7) >>> 0;
  ctx.eflags &= ~RF;
  const step = (ctx.eflags & TF) !== 0;
  return { handled: true, singleStep: step, dr6: step ? DR6_BS : 0 };
}

function guestCpuidFaulting(ctx: PrivOpContext): boolean {
  return ((ctx.msr.read(MSR_MISC_FEATURES) ?? 0n) & 1n) !== 0n;
}

function cpuidInto(ctx: PrivOpContext): void {
  const r = ctx.regs, [a, b, c, d] = ctx.cpuid(r[EAX]! >>> 0, r[ECX]! >>> 0);
  r[EAX] = a; r[EBX] = b; r[ECX] = c; r[EDX] = d;
}

/** Decoded prefixes and the fetch cursor of one instruction. */
interface Insn {
  readonly ctx: PrivOpContext;
  readonly cs: SegmentView;
  readonly start: number;
  len: number;
  opSize: 2 | 4;
  adSize: 2 | 4;
  seg: number;
  rep: boolean;
  lock: boolean;
  /** SIMD prefix (66/F2/F3 last seen), for XSETBV's #UD. */
  pfx: boolean;
}

function fetch(i: Insn): number {
  if (i.len >= MAX_INSN_LEN) throw new Stop(NOT_HANDLED); // Xen: #GP(0), the same to the guest
  const off = (i.start + i.len) >>> 0;
  if (off > i.cs.limit) throw fault(GP, 0);
  const b = readOrFault(i.ctx, i.cs.base + off, 1)[0]!;
  i.len++;
  return b;
}

/** pv_emulate_privileged_op + x86_emulate for the opcodes `validate` admits. */
function privilegedOp(ctx: PrivOpContext): PrivOpResult {
  const cs = ctx.segment(CS);
  if (cs === undefined || (cs.attr & (ATTR_P | ATTR_S | ATTR_CODE)) !== (ATTR_P | ATTR_S | ATTR_CODE)) return NOT_HANDLED;
  const size = (cs.attr & ATTR_DB) !== 0 ? 4 : 2;
  const i: Insn = { ctx, cs, start: ctx.eip >>> 0, len: 0, opSize: size, adSize: size, seg: DS, rep: false, lock: false, pfx: false };
  const singleStep = (ctx.eflags & TF) !== 0;
  let op = fetch(i);
  for (;;) {
    if (op === 0x66) { i.opSize = size === 4 ? 2 : 4; i.pfx = true; }
    else if (op === 0x67) i.adSize = size === 4 ? 2 : 4;
    else if (op === 0x26 || op === 0x2e || op === 0x36 || op === 0x3e) i.seg = (op >> 3) & 3;
    else if (op === 0x64 || op === 0x65) i.seg = op - 0x60; // FS 4, GS 5
    else if (op === 0xf0) i.lock = true;
    else if (op === 0xf2 || op === 0xf3) { i.rep = true; i.pfx = true; }
    else break;
    op = fetch(i);
  }
  const done = (bp = 0): PrivOpResult => {
    ctx.eip = (i.start + i.len) >>> 0;
    ctx.eflags &= ~RF;
    return { handled: true, singleStep, dr6: (singleStep ? DR6_BS : 0) | bp };
  };
  if (op === 0xfa || op === 0xfb) return ioplOk(ctx) ? done() : NOT_HANDLED; // validate: before the LOCK check
  if (op !== 0x0f) {
    if ((op & 0xf4) === 0xe4) {
      if (i.lock) throw fault(UD);
      return done(inOut(i, op));
    }
    if ((op & 0xfc) === 0x6c) {
      if (i.lock) throw fault(UD);
      return stringIo(i, op, singleStep);
    }
    return NOT_HANDLED;
  }
  const op2 = fetch(i);
  switch (op2) {
    case 0x06: case 0x09: case 0x30: case 0x31: case 0x32: case 0xa2:
      if (i.lock) throw fault(UD);
      twoByte(ctx, op2);
      return done();
    case 0x20: case 0x21: case 0x22: case 0x23:
      if (i.lock) throw fault(UD);
      movCrDr(ctx, op2, fetch(i));
      return done();
    case 0x01: {
      const modrm = fetch(i), reg = (modrm >> 3) & 7;
      if (modrm >> 6 !== 3 || (modrm & 7) !== 1 || (reg !== 2 && reg !== 7)) return NOT_HANDLED;
      if (i.lock) throw fault(UD);
      if (reg === 7) rdtsc(ctx, true);
      else if (i.pfx || (ctx.cr4 & CR4_OSXSAVE) === 0) throw fault(UD);
      else if (!isKernel(ctx)) throw fault(GP, 0);
      else return NOT_HANDLED; // XSETBV: XSAVE is never in this hypervisor's PV policy
      return done();
    }
    default:
      return NOT_HANDLED;
  }
}

/** iopl_ok: the vIOPL against the CPL the guest is deemed to run at. */
function ioplOk(ctx: PrivOpContext): boolean {
  const cpl = isKernel(ctx) ? (ctx.architecturalIopl ? 0 : 1) : 3;
  return cpl <= ctx.iopl;
}

/** guest_io_okay: iopl_ok, else the guest's I/O bitmap (2 bytes read, bit set = deny), else #GP(0). */
function guestIoOkay(ctx: PrivOpContext, port: number, bytes: number): void {
  if (ioplOk(ctx)) return;
  const bm = ctx.ioBitmap;
  if (bm !== undefined && port + bytes <= bm.nrPorts) {
    const raw = readOrFault(ctx, bm.va + (port >> 3), 2);
    const mask = raw[0]! | (raw[1]! << 8);
    if ((mask & (((1 << bytes) - 1) << (port & 7))) === 0) return;
  }
  throw fault(GP, 0);
}

/** IN/OUT imm8 or DX; returns the matched I/O breakpoints. */
function inOut(i: Insn, op: number): number {
  const ctx = i.ctx, r = ctx.regs;
  const port = op < 0xe8 ? fetch(i) : r[EDX]! & 0xffff;
  const bytes = (op & 1) !== 0 ? i.opSize : 1;
  guestIoOkay(ctx, port, bytes);
  const bp = ctx.ioBreakpoints(port, bytes);
  if ((op & 2) !== 0) guestIoWrite(ctx.ioState, port, bytes, r[EAX]! >>> 0);
  else {
    const v = guestIoRead(ctx.ioState, port, bytes);
    r[EAX] = bytes === 4 ? v : bytes === 2 ? (r[EAX]! & ~0xffff) | v : (r[EAX]! & ~0xff) | v;
  }
  return bp;
}

/** guest_io_read for a domU: no ports granted, no vPIT, not the hardware domain. */
export function guestIoRead(s: PvIoState, port: number, bytes: number): number {
  let data = 0, shift = 0;
  while (bytes !== 0) {
    let size = 1, sub = 0xffffffff;
    if (port === 0x70) sub = s.cmosIndex & 0x7f; // rtc_guest_read: the latched index
    else if (port === 0xcf8 && bytes === 4) { size = 4; sub = s.pciCf8; }
    else if ((port & 0xfffc) === 0xcfc) { size = Math.min(bytes, 4 - (port & 3)); if (size === 3) size = 2; }
    if (size === 4) return sub >>> 0;
    data |= (sub & ((1 << (size * 8)) - 1)) << shift;
    shift += size * 8; port += size; bytes -= size;
  }
  return data >>> 0;
}

/** guest_io_write for a domU: only the CMOS index and CONFIG_ADDRESS latches take writes. */
export function guestIoWrite(s: PvIoState, port: number, bytes: number, data: number): void {
  while (bytes !== 0) {
    let size = 1;
    if (port === 0x70) s.cmosIndex = data & 0x7f;
    else if (port === 0xcf8 && bytes === 4) { s.pciCf8 = data >>> 0; return; }
    else if ((port & 0xfffc) === 0xcfc) { size = Math.min(bytes, 4 - (port & 3)); if (size === 3) size = 2; }
    port += size; bytes -= size; data >>>= size * 8;
  }
}

/** INS/OUTS with optional REP (x86_emulate 0x6c–0x6f + rep_ins/rep_outs). */
function stringIo(i: Insn, op: number, singleStep: boolean): PrivOpResult {
  const ctx = i.ctx, r = ctx.regs, ins = op < 0x6e;
  const bytes = (op & 1) !== 0 ? i.opSize : 1, port = r[EDX]! & 0xffff;
  const amask = i.adSize === 4 ? 0xffffffff : 0xffff;
  const idx = ins ? EDI : ESI;
  // complete_insn: EIP moves on unless a REP count remains; RF is cleared
  const finish = (advance: boolean, bp: number): PrivOpResult => {
    if (advance) ctx.eip = (i.start + i.len) >>> 0;
    ctx.eflags &= ~RF;
    return { handled: true, singleStep, dr6: (singleStep ? DR6_BS : 0) | bp };
  };
  // get_rep_prefix: a zero count skips the instruction (before any I/O check)
  let reps = i.rep ? (r[ECX]! & amask) >>> 0 : 1;
  if (reps === 0) return finish(true, 0);
  if (reps > 1 && singleStep) reps = 1;
  // truncate_ea_and_reps: the index register may at most just wrap
  const ea = (r[idx]! & amask) >>> 0, down = (ctx.eflags & DF) !== 0;
  const todo = !down ? Math.floor(((amask + 1 - ea) % (amask + 1)) / bytes)
    : ((ea + bytes - 1) & amask) < ea ? 1 : Math.floor(ea / bytes) + 1;
  reps = Math.min(todo === 0 ? 1 : Math.min(todo, reps), MAX_REPS);
  let doneReps = 0, bp = 0, stop: Stop | undefined;
  try {
    guestIoOkay(ctx, port, bytes);
    const seg = ins ? ES : i.seg, s = ctx.segment(seg);
    if (s === undefined || (s.attr & ATTR_P) === 0) throw new Stop(NOT_HANDLED);
    const code = (s.attr & ATTR_CODE) !== 0, rw = (s.attr & ATTR_RW) !== 0;
    if ((s.attr & ATTR_S) === 0 || (ins ? code || !rw : code && !rw)) throw fault(seg === SS ? SS_VEC : GP, 0);
    bp = ctx.ioBreakpoints(port, bytes);
    let off = ea;
    while (doneReps < reps) {
      // pv_emul_virt_to_linear: limit check, then a 32-bit linear address
      if (s.limit < bytes - 1 || off > s.limit - bytes + 1) throw fault(seg === SS ? SS_VEC : GP, 0);
      const va = (s.base + off) >>> 0;
      if (ins) writeIo(ctx, va, guestIoRead(ctx.ioState, port, bytes), bytes);
      else {
        const b = readOrFault(ctx, va, bytes);
        guestIoWrite(ctx.ioState, port, bytes, (b[0]! | ((b[1] ?? 0) << 8) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 24)) >>> 0);
      }
      doneReps++;
      if (bp !== 0) break;
      off = down ? off - bytes : off + bytes;
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    if (!e.result.handled) return e.result; // nothing was done or committed
    stop = e;
  }
  // register_address_adjust + put_rep_prefix: progress is committed, even before a fault
  const moved = (down ? -doneReps : doneReps) * bytes;
  r[idx] = ((r[idx]! & ~amask) | ((r[idx]! + moved) & amask)) | 0;
  let restart = false;
  if (i.rep) {
    const left = ((r[ECX]! & amask) - doneReps) & amask;
    r[ECX] = ((r[ECX]! & ~amask) | left) | 0;
    restart = left !== 0;
  }
  if (stop === undefined) return finish(!restart, bp);
  if (i.rep) ctx.eflags &= ~RF;
  return stop.result;
}

/** INS's store: copy_to_guest_pv, which writes up to the faulting byte. */
function writeIo(ctx: PrivOpContext, va: number, data: number, bytes: number): void {
  const b = Uint8Array.of(data & 0xff, (data >>> 8) & 0xff, (data >>> 16) & 0xff, data >>> 24).subarray(0, bytes);
  if (ctx.guest.copyToGuest(va as Vaddr, b)) return;
  for (let k = 0; k < bytes; k++) {
    if (!ctx.guest.copyToGuest(((va + k) >>> 0) as Vaddr, b.subarray(k, k + 1))) throw fault(PF, PFEC_WRITE | pfUser(ctx), va + k);
  }
}

/** CLTS, WBINVD, WRMSR, RDTSC, RDMSR, CPUID. */
function twoByte(ctx: PrivOpContext, op2: number): void {
  const r = ctx.regs;
  if (op2 === 0x31) return rdtsc(ctx, false);
  if (op2 === 0xa2) {
    // x86_emulate reads MISC_FEATURES_ENABLES outside ring 0: faulting active → #GP(0)
    if (!isKernel(ctx) && guestCpuidFaulting(ctx)) throw fault(GP, 0);
    return cpuidInto(ctx);
  }
  if (!isKernel(ctx)) throw fault(GP, 0);
  switch (op2) {
    case 0x06: // CLTS = read CR0, write it back without TS
      ctx.fpuTaskswitch(false);
      return;
    case 0x09: // WBINVD: ignored for a domain without cache-flush permission
      return;
    case 0x30:
      if (!ctx.msr.write(r[ECX]! >>> 0, (BigInt(r[EDX]! >>> 0) << 32n) | BigInt(r[EAX]! >>> 0))) throw fault(GP, 0);
      return;
    default: { // 0x32 RDMSR
      const v = ctx.msr.read(r[ECX]! >>> 0);
      if (v === undefined) throw fault(GP, 0);
      r[EAX] = Number(v & 0xffffffffn) | 0;
      r[EDX] = Number((v >> 32n) & 0xffffffffn) | 0;
    }
  }
}

/** RDTSC (and RDTSCP's tail): user mode with virtual CR4.TSD → #GP(0); the TSC MSR. */
function rdtsc(ctx: PrivOpContext, withAux: boolean): void {
  const r = ctx.regs;
  if (withAux) {
    const aux = ctx.msr.read(MSR_TSC_AUX);
    if (aux === undefined) throw fault(GP, 0);
    r[ECX] = Number(aux & 0xffffffffn) | 0;
  }
  if (!isKernel(ctx) && (ctx.cr4 & CR4_TSD) !== 0) throw fault(GP, 0);
  const t = ctx.msr.read(MSR_TSC);
  if (t === undefined) throw fault(GP, 0);
  r[EAX] = Number(t & 0xffffffffn) | 0;
  r[EDX] = Number((t >> 32n) & 0xffffffffn) | 0;
}

/** MOV from/to CRn/DRn (0F 20–23); Mod is ignored, rm names the GPR. */
function movCrDr(ctx: PrivOpContext, op2: number, modrm: number): void {
  if (!isKernel(ctx)) throw fault(GP, 0);
  const n = (modrm >> 3) & 7, gpr = modrm & 7, r = ctx.regs, write = (op2 & 2) !== 0;
  if ((op2 & 1) !== 0) { // debug registers (x86emul_read_dr / x86emul_write_dr)
    if (write) {
      const rc = ctx.setDebugreg(n, r[gpr]! >>> 0);
      if (rc === -ERRNO.ENODEV) throw fault(UD);
      if (rc !== 0) throw fault(GP, 0);
    } else {
      const v = ctx.getDebugreg(n);
      if (v === undefined) throw fault(UD);
      r[gpr] = v | 0;
    }
    return;
  }
  if (!write) {
    const v = readCr(ctx, n);
    if (v === undefined) throw new Stop(NOT_HANDLED);
    r[gpr] = v | 0;
    return;
  }
  const val = r[gpr]! >>> 0;
  switch (n) {
    case 0: // only TS may change (do_fpu_taskswitch)
      if (((val ^ ctx.hostCr0) & ~CR0_TS) !== 0) throw new Stop(NOT_HANDLED);
      ctx.fpuTaskswitch((val & CR0_TS) !== 0);
      return;
    case 2:
      ctx.setCr2(val);
      return;
    case 3: // compat_cr3_to_pfn, then new_guest_cr3
      if (ctx.newBaseptr(((val >>> 12) | (val << 20)) >>> 0) !== 0) throw new Stop(NOT_HANDLED);
      return;
    case 4:
      ctx.setCr4(pvFixupGuestCr4(val, (l, s) => ctx.cpuid(l, s), ctx.hostCr4));
      return;
    default:
      throw new Stop(NOT_HANDLED);
  }
}

/** read_cr: CR0 with the virtual TS, CR2/CR4 virtual, CR3 = compat_pfn_to_cr3(L3). */
function readCr(ctx: PrivOpContext, n: number): number | undefined {
  switch (n) {
    case 0: return ((ctx.hostCr0 & ~CR0_TS) | (ctx.ts ? CR0_TS : 0)) >>> 0;
    case 2: return ctx.cr2 >>> 0;
    case 3: { const p = ctx.baseptr >>> 0; return ((p << 12) | (p >>> 20)) >>> 0; }
    case 4: return ctx.cr4 >>> 0;
    default: return undefined;
  }
}
