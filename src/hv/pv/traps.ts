/**
 * The PV vCPU's virtual IDT and the way back from it
 * (docs/xen-pv32-abi.md §4.1, §4.4, §4.5, §4.20, §5.11, §6.3, §6.4, §6.7):
 *
 *   set_trap_table ──► trapCtxt[0..255] (§2.5: vector, flags DPL|mask, cs, address)
 *   stack_switch   ──► kernel SS:ESP, used by ring 3 → ring 1 bounces (§4.4)
 *   exception (PvHost.trap) ──► bounce frame on the guest kernel stack (§6.4)
 *                               ──► trapCtxt[vec].cs:address at ring 1
 *   iret (§6.7)    ──► pop EAX EIP CS EFLAGS [ESP SS], upcall mask := !IF
 *
 * What reaches the virtual IDT (§6.3): exceptions 0–20 (DPL not checked;
 * #PF stores CR2 in vcpu_info[0].arch.cr2, §5.11, the hardware error code
 * already has U/S per the guest ring); INT3/INTO through the DPL-3 hardware
 * gates 3 and 4 (trap-style EIP); any other `INT n` the hardware refuses
 * with #GP((n << 3) | 2) — if trapCtxt[n] allows the guest ring (DPL ≥ 1 at
 * ring 1, 3 at ring 3) it becomes a software interrupt to n with EIP after
 * the 2-byte INT, as Xen's do_general_protection does; otherwise the #GP
 * itself is bounced (so `int $0x82` at ring 3 is #GP(0x412), §3.1).
 *
 * One PvTraps per vCPU. Every way into the guest (bounce, upcall, iret)
 * ends in returnToGuest (guest-return.ts): an IRET at privilege 0, so
 * handler and stack selectors may be any the guest's GDT/LDT allows and the
 * CPU checks them. A vector whose entry has a null CS, a kernel stack that
 * cannot be written with the guest kernel's rights, an unreadable iret
 * frame, an iret to RPL 0, or a return the CPU refuses crash the domain
 * (Xen's domain_crash paths in create_bounce_frame and compat_iret; Xen
 * would use the failsafe callback for a refused data segment). An iret to
 * vm86 becomes #GP at the kernel's #GP handler as compat_iret does it.
 * upcall() delivers the event upcall (§6.5) when this vCPU's vcpu_info has
 * upcall_pending set and the mask clear: a bounce frame without error code
 * to the event callback, with events masked.
 */
import { ERRNO } from "../../abi/errno.js";
import { CALLBACKF, CALLBACKOP, CALLBACKTYPE, HYPERCALL } from "../../abi/hypercalls.js";
import { FIRST_RESERVED_GDT, FLAT } from "../../abi/segments.js";
import { TRAP_INFO } from "../../abi/structs.js";
import type { TrapFrame } from "../../machine/exits.js";
import type { Cpu } from "../../machine/cpu/cpu.js";
import { CS, EBX, ESP, IF, SS, VM } from "../../machine/cpu/registers.js";
import { vaddr, type Paddr } from "../../lib/brand.js";
import type { MachineMemory } from "../core/machine-memory.js";
import type { GuestCopy } from "../core/guest-copy.js";
import type { HypercallTable } from "./hypercall.js";
import type { HypervisorArea } from "./hypervisor-area.js";
import { returnToGuest, type GuestFrame } from "./guest-return.js";

/** One virtual IDT entry (§2.5). */
export interface TrapInfo { flags: number; cs: number; address: number }
interface Callback { cs: number; eip: number; mask: boolean }

/** Vectors that push an error code (§6.3). */
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);
/** Entries set_trap_table installs before it continues itself (Xen preempts the same way). */
const TRAP_TABLE_BATCH = 256;
const IOPL_MASK = 3 << 12;
const GP = 13, PF = 14;
/** vcpu_info offsets (§2.3). */
const UPCALL_PENDING = 0, UPCALL_MASK = 1, ARCH_CR2 = 8;

export interface PvTrapsOptions {
  cpu: Cpu;
  mem: MachineMemory;
  area: HypervisorArea;
  guest: GuestCopy;
  /** Machine address of this vCPU's vcpu_info (§2.3). */
  vcpuInfo: Paddr;
  /** Initial kernel stack (§1.11) until stack_switch changes it. */
  kernelSs: number;
  kernelSp: number;
  /** stack_switch changed the kernel stack (the hypervisor updates the TSS while this vCPU runs). */
  kernelStackChanged(ss: number, esp: number): void;
  crash(message: string): void;
  /** The virtual IDT changed (the hypervisor refreshes the fast int 0x80 gate while this vCPU runs). */
  trapTableChanged?(): void;
  /** The vCPU's virtual IOPL (0–3) and whether VMASST architectural_iopl is on (§4.19, §6.7). */
  iopl?(): number;
  setIopl?(iopl: number): void;
  architecturalIopl?(): boolean;
  /** Counters for --stats: an exception bounced, an event upcall delivered. */
  bounced?(vector: number): void;
  upcalled?(): void;
  /** A #PF is bounced: the vCPU's virtual CR2 becomes `cr2` too (§5.11, pv_inject_event). */
  pageFault?(cr2: number): void;
}

/** Route the trap hypercalls to the PvTraps of the vCPU making the call. */
export function registerTrapHypercalls(t: HypercallTable, current: () => PvTraps): void {
  t.register(HYPERCALL.set_trap_table, ([table]) => current().setTrapTable(table))
    .register(HYPERCALL.stack_switch, ([ss, esp]) => current().stackSwitch(ss, esp))
    .register(HYPERCALL.set_callbacks, ([ecs, eeip, fcs, feip]) => current().setCallbacks(ecs, eeip, fcs, feip))
    .register(HYPERCALL.callback_op, ([cmd, arg]) => current().callbackOp(cmd, arg))
    .register(HYPERCALL.iret, () => current().iret());
}

export class PvTraps {
  private readonly trapCtxt: Array<TrapInfo | undefined> = new Array(256);
  kernelSs: number;
  kernelSp: number;
  readonly callbacks = new Map<number, Callback>();

  constructor(private readonly o: PvTrapsOptions) {
    this.kernelSs = o.kernelSs;
    this.kernelSp = o.kernelSp >>> 0;
  }

  /** The virtual IDT entry for `vector` (for the fast int 0x80 gate and VCPUOP_initialise). */
  entry(vector: number): Readonly<TrapInfo> | undefined {
    return this.trapCtxt[vector];
  }

  setEntry(vector: number, ti: TrapInfo | undefined): void {
    this.trapCtxt[vector] = ti;
    this.o.trapTableChanged?.();
  }

  /**
   * The handler the fast int 0x80 gate may go to (32-bit Xen's
   * init_int80_direct_trap): registered, events not masked, and a selector
   * guest_gate_selector_okay accepts (a guest GDT or LDT selector, or
   * FLAT_RING1_CS).
   */
  fastTrap(): TrapInfo | undefined {
    const ti = this.trapCtxt[0x80];
    if (ti === undefined || (ti.flags & TRAP_INFO.MASK_EVENTS) !== 0) return undefined;
    const cs = ti.cs;
    const ok = (cs & 0xfffc) !== 0 && ((cs >>> 3) < FIRST_RESERVED_GDT.ENTRY || (cs & 4) !== 0 || cs === FLAT.RING1_CS);
    return ok ? ti : undefined;
  }

  /** §4.1: entries until address 0; CS RPL raised to ≥ 1; −EFAULT on an unreadable entry. */
  setTrapTable(table: number): number {
    if (table === 0) { this.trapCtxt.fill(undefined); this.o.trapTableChanged?.(); return 0; }
    for (let i = 0; i < TRAP_TABLE_BATCH; i++) {
      const e = this.o.guest.copyFromGuest(vaddr((table + i * 8) >>> 0), 8);
      if (e === undefined) return -ERRNO.EFAULT;
      const v = new DataView(e.buffer, e.byteOffset, 8);
      const address = v.getUint32(4, true);
      if (address === 0) { this.o.trapTableChanged?.(); return 0; }
      this.trapCtxt[v.getUint8(0)] = { flags: v.getUint8(1), cs: raiseRpl(v.getUint16(2, true)), address };
    }
    // a continuation, as Xen's hypercall_create_continuation: re-execute the
    // INT 0x82 with EBX on the next entry (EAX = set_trap_table = the result 0)
    this.o.trapTableChanged?.();
    this.o.cpu.regs[EBX] = (table + TRAP_TABLE_BATCH * 8) | 0;
    this.o.cpu.eip = (this.o.cpu.eip - 2) >>> 0;
    return HYPERCALL.set_trap_table;
  }

  /** §4.4: no checks; RPL raised to ≥ 1. */
  stackSwitch(ss: number, esp: number): number {
    this.kernelSs = raiseRpl(ss & 0xffff);
    this.kernelSp = esp >>> 0;
    this.o.kernelStackChanged(this.kernelSs, this.kernelSp);
    return 0;
  }

  /** §4.5: failsafe is registered without CALLBACKF_mask_events; always 0. */
  setCallbacks(ecs: number, eeip: number, fcs: number, feip: number): number {
    this.callbacks.set(CALLBACKTYPE.event, { cs: raiseRpl(ecs & 0xffff), eip: eeip >>> 0, mask: true });
    this.callbacks.set(CALLBACKTYPE.failsafe, { cs: raiseRpl(fcs & 0xffff), eip: feip >>> 0, mask: false });
    return 0;
  }

  /** §4.5 callback_op: register / unregister (callback_register is 12 bytes). */
  callbackOp(cmd: number, arg: number): number {
    if (cmd !== CALLBACKOP.register && cmd !== CALLBACKOP.unregister) return -ERRNO.EINVAL;
    const raw = this.o.guest.copyFromGuest(vaddr(arg), cmd === CALLBACKOP.register ? 12 : 4);
    if (raw === undefined) return -ERRNO.EFAULT;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const type = v.getUint16(0, true);
    if (cmd === CALLBACKOP.unregister) {
      if (type === CALLBACKTYPE.nmi) { this.trapCtxt[2] = undefined; return 0; }
      const known: number[] = [CALLBACKTYPE.event, CALLBACKTYPE.failsafe, CALLBACKTYPE.syscall32, CALLBACKTYPE.sysenter];
      return known.includes(type) ? -ERRNO.EINVAL : -ERRNO.ENOSYS;
    }
    const flags = v.getUint16(2, true), cs = raiseRpl(v.getUint32(4, true) & 0xffff), eip = v.getUint32(8, true);
    switch (type) {
      case CALLBACKTYPE.event:
        this.callbacks.set(type, { cs, eip, mask: true });
        return 0;
      case CALLBACKTYPE.failsafe: case CALLBACKTYPE.sysenter: case CALLBACKTYPE.syscall32:
        this.callbacks.set(type, { cs, eip, mask: (flags & CALLBACKF.mask_events) !== 0 });
        return 0;
      case CALLBACKTYPE.nmi:
        this.trapCtxt[2] = { flags: TRAP_INFO.MASK_EVENTS, cs: FLAT.RING1_CS, address: eip };
        return 0;
      default:
        return -ERRNO.ENOSYS;
    }
  }

  /** An exception, INT3/INTO or a refused INT n from the guest (§6.3): bounce it or crash. */
  exception(f: TrapFrame): void {
    const ring = f.cs & 3;
    if (ring === 0) return this.o.crash(`exception ${f.vector} in ring 0`);
    if (f.vector === GP && f.errorCode >= 0 && (f.errorCode & 3) === 2) {
      const n = f.errorCode >>> 3, ti = this.trapCtxt[n];
      if (ti !== undefined && (ti.flags & TRAP_INFO.DPL_MASK) >= ring) {
        return this.bounce(n, -1, { ...f, eip: (f.eip + 2) >>> 0 });
      }
    }
    if (f.vector > 20) return this.o.crash(`unexpected vector ${f.vector}`);
    if (f.vector === PF) {
      this.o.mem.write32(this.o.vcpuInfo + ARCH_CR2, f.cr2 >>> 0);
      this.o.pageFault?.(f.cr2);
    }
    this.bounce(f.vector, HAS_ERROR_CODE.has(f.vector) ? f.errorCode : -1, f);
  }

  /**
   * §6.5: if an upcall is deliverable (pending and not masked) bounce to the
   * event callback at the vCPU's current state; true if one was delivered
   * (or the domain crashed trying: a null callback CS).
   */
  upcall(): boolean {
    if (this.mem8(UPCALL_PENDING) === 0 || this.mem8(UPCALL_MASK) !== 0) return false;
    const cpu = this.o.cpu;
    if (cpu.cpl === 0) return false;
    const cb = this.callbacks.get(CALLBACKTYPE.event);
    const f: TrapFrame = {
      vector: -1, errorCode: -1, software: false, external: false, cr2: 0,
      eip: cpu.eip >>> 0, cs: cpu.segSel[CS]!, eflags: cpu.eflags >>> 0, esp: cpu.regs[ESP]! >>> 0, ss: cpu.segSel[SS]!,
    };
    if (cb === undefined || (cb.cs & 0xfffc) === 0) {
      this.o.crash(`event upcall with no event callback at ${hex(f.cs, 4)}:${hex(f.eip)}`);
      return true;
    }
    this.o.upcalled?.();
    this.push("event upcall", { flags: TRAP_INFO.MASK_EVENTS, cs: cb.cs, address: cb.eip }, -1, f);
    return true;
  }

  /** §6.4: push the bounce frame and enter trapCtxt[vector] at ring 1. */
  private bounce(vector: number, errorCode: number, f: TrapFrame): void {
    const ti = this.trapCtxt[vector];
    if (ti === undefined || (ti.cs & 0xfffc) === 0) {
      return this.o.crash(`Unhandled: vec ${vector} at ${hex(f.cs, 4)}:${hex(f.eip)}`);
    }
    this.o.bounced?.(vector);
    this.push(`vec ${vector}`, ti, errorCode, f);
  }

  /** §6.4: the bounce frame on the guest kernel stack, then into trapCtxt[vector] (create_bounce_frame). */
  private push(what: string, ti: TrapInfo, errorCode: number, f: TrapFrame): void {
    const fromUser = (f.cs & 3) > 1;
    const ss = fromUser ? this.kernelSs : f.ss;
    const saved = this.mem8(UPCALL_MASK);
    const viopl = this.o.architecturalIopl?.() === true ? (this.o.iopl?.() ?? 0) << 12 : 0;
    const eflags = ((f.eflags & ~(IF | IOPL_MASK)) | (saved === 0 ? IF : 0) | viopl) >>> 0;
    const words: number[] = [];
    if (errorCode >= 0) words.push(errorCode);
    words.push(f.eip, (f.cs & 0xffff) | (saved << 16), eflags);
    if (fromUser) words.push(f.esp, f.ss & 0xffff);
    const esp = ((fromUser ? this.kernelSp : f.esp) - words.length * 4) >>> 0;
    if (!this.o.guest.copyToGuest(vaddr(esp), u32s(words))) {
      return this.o.crash(`${what}: cannot write the bounce frame at ${hex(esp)}`);
    }
    if ((ti.flags & TRAP_INFO.MASK_EVENTS) !== 0) this.o.mem.write8(this.o.vcpuInfo + UPCALL_MASK, 1);
    // the handler runs with TF, NT, RF and VM clear (guestEflags drops the last three)
    this.resume(what, { eip: ti.address, cs: ti.cs, eflags: f.eflags & ~(1 << 8), esp, ss });
  }

  /** §6.7 (compat_iret): EAX EIP CS EFLAGS [ESP SS] from the guest stack; returns the saved EAX. */
  iret(): number {
    const cpu = this.o.cpu, sp = cpu.regs[ESP]! >>> 0;
    const fail = (why: string): number => { this.o.crash(`iret: ${why}`); return cpu.regs[0]! | 0; };
    const head = this.o.guest.copyFromGuest(vaddr(sp), 16);
    if (head === undefined) return fail(`unreadable frame at ${hex(sp)}`);
    const [eax, eip, cs, eflags] = words32(head) as [number, number, number, number];
    if (this.o.architecturalIopl?.() === true) this.o.setIopl?.((eflags >>> 12) & 3);
    if ((eflags & VM) !== 0) return this.iretToVm86(eax, sp);
    const rpl = cs & 3;
    if (rpl === 0) return fail("return to ring 0");
    let ss = cpu.segSel[SS]!, esp = (sp + 16) >>> 0;
    if (rpl !== 1) {
      const tail = this.o.guest.copyFromGuest(vaddr((sp + 16) >>> 0), 8);
      if (tail === undefined) return fail(`unreadable frame at ${hex(sp)}`);
      [esp, ss] = words32(tail) as [number, number];
    }
    this.o.mem.write8(this.o.vcpuInfo + UPCALL_MASK, (eflags & IF) !== 0 ? 0 : 1);
    this.resume("iret", { eip, cs, eflags, esp, ss });
    return eax | 0;
  }

  /** compat_iret's vm86 case: the frame moves to the kernel stack and #GP's handler runs instead. */
  private iretToVm86(eax: number, sp: number): number {
    const cpu = this.o.cpu;
    const ksp = (this.kernelSp - 40) >>> 0;
    const frame = this.o.guest.copyFromGuest(vaddr((sp + 4) >>> 0), 36);
    const ti = this.trapCtxt[GP];
    if (frame === undefined || !this.o.guest.copyToGuest(vaddr((ksp + 4) >>> 0), frame) || !this.o.guest.copyToGuest(vaddr(ksp), u32s([0]))) {
      this.o.crash("iret: cannot move the vm86 frame");
      return eax | 0;
    }
    if (ti === undefined || (ti.cs & 0xfffc) === 0) { this.o.crash("Unhandled: vec 13 (iret to vm86)"); return eax | 0; }
    this.resume("iret", { eip: ti.address, cs: ti.cs, eflags: cpu.eflags & ~(1 << 8), esp: ksp, ss: this.kernelSs });
    return cpu.regs[0]! | 0;
  }

  /** Into the guest at `f` through the CPU's own IRET checks; a refusal crashes the domain. */
  private resume(what: string, f: GuestFrame): void {
    const fault = returnToGuest(this.o.cpu, this.o.mem, this.o.area, f);
    if (fault !== undefined) {
      this.o.crash(`${what}: return to ${hex(f.cs, 4)}:${hex(f.eip)} stack ${hex(f.ss, 4)}:${hex(f.esp)} refused with vector ${fault.vector} error ${hex(fault.errorCode, 4)}`);
    }
  }

  private mem8(off: number): number {
    return this.o.mem.read8(this.o.vcpuInfo + off);
  }
}

function raiseRpl(sel: number): number {
  return (sel & 3) === 0 ? (sel & ~3) | 1 : sel;
}

function u32s(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => { b[i * 4] = w; b[i * 4 + 1] = w >>> 8; b[i * 4 + 2] = w >>> 16; b[i * 4 + 3] = w >>> 24; });
  return b;
}

function words32(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 3 < b.length; i += 4) out.push((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
  return out;
}

function hex(v: number, width = 8): string {
  return (v >>> 0).toString(16).padStart(width, "0");
}
