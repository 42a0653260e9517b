/**
 * The event_channel_op hypercall body (docs/xen-pv32-abi.md §4.14, §3.3; Xen
 * xen/common/event_channel.c do_event_channel_op): copy the sub-op's
 * structure in from the guest, run it on the caller's table
 * (event-channel.ts), copy the whole structure back only on success.
 *
 *   cmd  struct (i386)              in            out
 *   0    evtchn_bind_interdomain    remote_dom, remote_port   local_port @8
 *   1    evtchn_bind_virq           virq, vcpu    port @8
 *   2    evtchn_bind_pirq           pirq, flags   (−EPERM: tsxen grants no physical IRQs)
 *   3    evtchn_close               port
 *   4    evtchn_send                port
 *   5    evtchn_status              dom, port     status @8, vcpu @12, u @16
 *   6    evtchn_alloc_unbound       dom, remote_dom           port @4
 *   7    evtchn_bind_ipi            vcpu          port @4
 *   8    evtchn_bind_vcpu           port, vcpu
 *   9    evtchn_unmask              port
 *   10   evtchn_reset               dom
 *   11   evtchn_init_control        FIFO: checked, then refused (2-level only)
 *   12   evtchn_expand_array        −EOPNOTSUPP (FIFO not initialised)
 *   13   evtchn_set_priority        −EINVAL bad port, else −ENOSYS (2-level)
 *   else −ENOSYS
 *
 * A structure that cannot be read gives −EFAULT before anything happens; one
 * that cannot be written back after success gives −EFAULT with the operation
 * done (Xen: "cleaning up here would be a mess"). Field offsets come from the
 * ABI tables (src/abi/event-channels.ts); nothing here restates them.
 */
import {
  EVTCHN_FIFO,
  EVTCHNSTAT,
  evtchnAllocUnbound,
  evtchnBindInterdomain,
  evtchnBindIpi,
  evtchnBindPirq,
  evtchnBindVcpu,
  evtchnBindVirq,
  evtchnClose,
  evtchnExpandArray,
  evtchnInitControl,
  evtchnReset,
  evtchnSend,
  evtchnSetPriority,
  evtchnStatus,
  evtchnUnmask,
} from "../../abi/event-channels.js";
import { xenError } from "../../abi/errno.js";
import { EVTCHNOP } from "../../abi/hypercalls.js";
import { offsetOf, type Compound } from "../../abi/layout.js";
import type { Vaddr } from "../../lib/brand.js";
import type { EvtchnDomain } from "./event-channel.js";
import { PAGE_SIZE } from "./machine-memory.js";

/**
 * copy_from_guest / copy_to_guest at a guest linear address (§3.3), supplied
 * by the hypercall layer: any fault (or a range reaching the hypervisor
 * area) makes the copy fail as a whole.
 */
import type { GuestCopy } from "./guest-copy.js";
export type { GuestCopy };

/** Whether `gfn` is a writable RAM page of the caller (what FIFO init_control would map). */
export type GuestRamCheck = (gfn: bigint) => boolean;

const EFAULT = xenError("EFAULT");

/** A guest structure being worked on: its bytes and little-endian field access by name. */
class GuestStruct {
  private readonly view: DataView;
  constructor(readonly type: Compound, readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(field: string): number {
    return this.view.getUint16(offsetOf(this.type, field), true);
  }
  u32(field: string): number {
    return this.view.getUint32(offsetOf(this.type, field), true);
  }
  u64(field: string): bigint {
    return this.view.getBigUint64(offsetOf(this.type, field), true);
  }
  setU16(field: string, value: number): void {
    this.view.setUint16(offsetOf(this.type, field), value, true);
  }
  setU32(field: string, value: number): void {
    this.view.setUint32(offsetOf(this.type, field), value >>> 0, true);
  }
}

/**
 * Runs EVTCHNOP `cmd` for `caller` with its argument structure at `arg`.
 * Returns 0 (or the hypercall's non-negative result) or −errno.
 */
export function eventChannelOp(
  caller: EvtchnDomain,
  cmd: number,
  arg: Vaddr,
  guest: GuestCopy,
  isGuestRam: GuestRamCheck = () => false,
): number {
  const load = (type: Compound): GuestStruct | undefined => {
    const bytes = guest.copyFromGuest(arg, type.size);
    return bytes === undefined || bytes.length !== type.size ? undefined : new GuestStruct(type, bytes.slice());
  };
  /** A port result (≥ 0) is written to `field` and the structure copied back; −errno passes through. */
  const reply = (s: GuestStruct, rc: number, field?: string): number => {
    if (rc < 0) return rc;
    if (field !== undefined) s.setU32(field, rc);
    return guest.copyToGuest(arg, s.bytes) ? 0 : EFAULT;
  };

  switch (cmd) {
    case EVTCHNOP.bind_interdomain: {
      const s = load(evtchnBindInterdomain);
      if (s === undefined) return EFAULT;
      return reply(s, caller.bindInterdomain(s.u16("remote_dom"), s.u32("remote_port")), "local_port");
    }
    case EVTCHNOP.bind_virq: {
      const s = load(evtchnBindVirq);
      if (s === undefined) return EFAULT;
      return reply(s, caller.bindVirq(s.u32("virq"), s.u32("vcpu")), "port");
    }
    case EVTCHNOP.bind_pirq:
      return load(evtchnBindPirq) === undefined ? EFAULT : xenError("EPERM");
    case EVTCHNOP.close: {
      const s = load(evtchnClose);
      return s === undefined ? EFAULT : caller.close(s.u32("port"));
    }
    case EVTCHNOP.send: {
      const s = load(evtchnSend);
      return s === undefined ? EFAULT : caller.send(s.u32("port"));
    }
    case EVTCHNOP.status: {
      const s = load(evtchnStatus);
      if (s === undefined) return EFAULT;
      const st = caller.status(s.u16("dom"), s.u32("port"));
      if (typeof st === "number") return st;
      s.setU32("status", st.status);
      s.setU32("vcpu", st.vcpu);
      switch (st.status) {
        case EVTCHNSTAT.unbound:
          s.setU16("u.unbound.dom", st.dom);
          break;
        case EVTCHNSTAT.interdomain:
          s.setU16("u.interdomain.dom", st.dom);
          s.setU32("u.interdomain.port", st.port);
          break;
        case EVTCHNSTAT.virq:
          s.setU32("u.virq", st.virq);
          break;
      }
      return reply(s, 0);
    }
    case EVTCHNOP.alloc_unbound: {
      const s = load(evtchnAllocUnbound);
      if (s === undefined) return EFAULT;
      return reply(s, caller.allocUnbound(s.u16("dom"), s.u16("remote_dom")), "port");
    }
    case EVTCHNOP.bind_ipi: {
      const s = load(evtchnBindIpi);
      if (s === undefined) return EFAULT;
      return reply(s, caller.bindIpi(s.u32("vcpu")), "port");
    }
    case EVTCHNOP.bind_vcpu: {
      const s = load(evtchnBindVcpu);
      return s === undefined ? EFAULT : caller.bindVcpu(s.u32("port"), s.u32("vcpu"));
    }
    case EVTCHNOP.unmask: {
      const s = load(evtchnUnmask);
      return s === undefined ? EFAULT : caller.unmask(s.u32("port"));
    }
    case EVTCHNOP.reset: {
      const s = load(evtchnReset);
      return s === undefined ? EFAULT : caller.reset(s.u16("dom"));
    }
    case EVTCHNOP.init_control: {
      const s = load(evtchnInitControl);
      return s === undefined ? EFAULT : initControl(caller, s, isGuestRam);
    }
    case EVTCHNOP.expand_array:
      return load(evtchnExpandArray) === undefined ? EFAULT : xenError("EOPNOTSUPP");
    case EVTCHNOP.set_priority: {
      const s = load(evtchnSetPriority);
      if (s === undefined) return EFAULT;
      return caller.isValidPort(s.u32("port")) ? xenError("ENOSYS") : xenError("EINVAL");
    }
    default:
      return xenError("ENOSYS");
  }
}

/**
 * init_control (evtchn_fifo_init_control's checks, in its order): bad vCPU
 * −ENOENT; control block crossing the page or misaligned −EINVAL; a GFN that
 * is not the caller's writable RAM −EINVAL (XSA-188 sends 2^64−2). tsxen has
 * no FIFO ABI, so a request that passes every check gets −EOPNOTSUPP, what
 * Xen built without CONFIG_EVTCHN_FIFO returns; guests then stay on 2-level.
 */
function initControl(caller: EvtchnDomain, s: GuestStruct, isGuestRam: GuestRamCheck): number {
  if (!caller.hasVcpu(s.u32("vcpu"))) return xenError("ENOENT");
  const offset = s.u32("offset");
  if (offset > PAGE_SIZE - EVTCHN_FIFO.CONTROL_BLOCK_SIZE || (offset & 7) !== 0) return xenError("EINVAL");
  if (!isGuestRam(s.u64("control_gfn"))) return xenError("EINVAL");
  return xenError("EOPNOTSUPP");
}
