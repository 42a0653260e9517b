/**
 * Event delivery, 2-level ABI: the port operations behind `EvtchnPortOps`
 * (docs/xen-pv32-abi.md §7.1–§7.2, §2.2–§2.3; Xen xen/common/event_2l.c).
 *
 * The channel table (event-channel.ts) is mechanism shared by every ABI; how
 * "pending" and "masked" are represented is policy behind this interface, as
 * Xen's `evtchn_port_ops` hides 2-level vs FIFO (STYLE §3). This file is the
 * 2-level policy: bits in the domain's shared_info page, read and written by
 * machine address.
 *
 *   shared_info @ S                       vcpu_info[v] @ V (S + 64·v unless moved)
 *   S+2048  evtchn_pending[32]  (u32)     V+0  evtchn_upcall_pending (u8)
 *   S+2176  evtchn_mask[32]     (u32)     V+1  evtchn_upcall_mask    (u8)
 *           port p: word p>>5, bit p&31   V+4  evtchn_pending_sel    (u32, bit = word)
 *
 * Raising port p for vCPU v (§7.2), in this order:
 *   1. test_and_set pending[p]; already set → stop (no new notification).
 *   2. mask[p] clear and test_and_set sel bit (p>>5) was clear →
 *      upcall_pending = 1 and kick(v).
 *   3. checkPollers(p) (SCHEDOP_poll), even when p is masked.
 * Xen's vcpu_mark_events_pending kicks only when upcall_pending was newly set;
 * §7.2 kicks whenever the selector bit is newly set, which we follow (a
 * spurious kick is harmless: it only wakes or re-checks the vCPU).
 *
 * Callers guarantee `port < maxPorts` and a vCPU that exists; the core only
 * calls these for "usable" channels (not free, reserved, or Xen-consumed).
 */
import { EVTCHN_2L, portBit, portWord } from "../../abi/event-channels.js";
import { offsetOf } from "../../abi/layout.js";
import { sharedInfo, vcpuInfo } from "../../abi/structs.js";
import type { Paddr, Port } from "../../lib/brand.js";
import type { MachineMemory } from "./machine-memory.js";

/** The shared memory and the vCPU notification a port operation acts on. */
export interface EvtchnTarget {
  readonly mem: MachineMemory;
  /** Machine address of the domain's shared_info page. */
  readonly sharedInfo: Paddr;
  /** Machine address of vCPU `vcpu`'s vcpu_info. */
  vcpuInfo(vcpu: number): Paddr;
  /** §7.2 step 2: something new is pending for `vcpu` (wake it / deliver the upcall). */
  kick(vcpu: number): void;
  /** §7.2 step 3: wake vCPUs polling on `port`. */
  checkPollers(port: Port): void;
}

/** How an event ABI stores pending/masked state (Xen's evtchn_port_ops). */
export interface EvtchnPortOps {
  /** Ports this ABI can name (Xen's max_evtchns). */
  readonly maxPorts: number;
  /** Raise `port` towards `vcpu` (§7.2). */
  setPending(target: EvtchnTarget, vcpu: number, port: Port): void;
  clearPending(target: EvtchnTarget, port: Port): void;
  /** Clear the mask bit; if it was set and the port is pending, notify `vcpu` as §7.2 step 2. */
  unmask(target: EvtchnTarget, vcpu: number, port: Port): void;
  isPending(target: EvtchnTarget, port: Port): boolean;
  isMasked(target: EvtchnTarget, port: Port): boolean;
}

const PENDING = offsetOf(sharedInfo, "evtchn_pending");
const MASK = offsetOf(sharedInfo, "evtchn_mask");
const UPCALL_PENDING = offsetOf(vcpuInfo, "evtchn_upcall_pending");
const PENDING_SEL = offsetOf(vcpuInfo, "evtchn_pending_sel");
const WORD_BYTES = EVTCHN_2L.BITS_PER_WORD / 8;

/** Address of the 32-bit word holding `port`'s bit in the bitmap at `bitmap`. */
const wordAt = (t: EvtchnTarget, bitmap: number, port: number): number =>
  t.sharedInfo + bitmap + portWord(port) * WORD_BYTES;

function testBit(mem: MachineMemory, at: number, bit: number): boolean {
  return ((mem.read32(at) >>> bit) & 1) !== 0;
}

/** Sets `bit` of the u32 at `at`; returns whether it was already set. */
function testAndSet(mem: MachineMemory, at: number, bit: number): boolean {
  const old = mem.read32(at);
  if (((old >>> bit) & 1) !== 0) return true;
  mem.write32(at, old | (1 << bit));
  return false;
}

/** Clears `bit` of the u32 at `at`; returns whether it was set. */
function testAndClear(mem: MachineMemory, at: number, bit: number): boolean {
  const old = mem.read32(at);
  if (((old >>> bit) & 1) === 0) return false;
  mem.write32(at, old & ~(1 << bit));
  return true;
}

/** §7.2 step 2 for `vcpu`: selector bit for `port`'s word, then upcall_pending and the kick. */
function notifyVcpu(t: EvtchnTarget, vcpu: number, port: number): void {
  const vi = t.vcpuInfo(vcpu);
  if (testAndSet(t.mem, vi + PENDING_SEL, portWord(port))) return;
  t.mem.write8(vi + UPCALL_PENDING, t.mem.read8(vi + UPCALL_PENDING) | 1);
  t.kick(vcpu);
}

export const evtchnPortOps2l: EvtchnPortOps = {
  maxPorts: EVTCHN_2L.NR_CHANNELS,

  setPending(t, vcpu, port) {
    if (testAndSet(t.mem, wordAt(t, PENDING, port), portBit(port))) return;
    if (!testBit(t.mem, wordAt(t, MASK, port), portBit(port))) notifyVcpu(t, vcpu, port);
    t.checkPollers(port);
  },

  clearPending(t, port) {
    testAndClear(t.mem, wordAt(t, PENDING, port), portBit(port));
  },

  unmask(t, vcpu, port) {
    if (!testAndClear(t.mem, wordAt(t, MASK, port), portBit(port))) return;
    if (testBit(t.mem, wordAt(t, PENDING, port), portBit(port))) notifyVcpu(t, vcpu, port);
  },

  isPending(t, port) {
    return testBit(t.mem, wordAt(t, PENDING, port), portBit(port));
  },

  isMasked(t, port) {
    return testBit(t.mem, wordAt(t, MASK, port), portBit(port));
  },
};
