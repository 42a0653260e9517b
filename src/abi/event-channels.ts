/**
 * Event channels, 2-level ABI (docs/xen-pv32-abi.md §7, §4.14; Xen
 * xen/include/public/event_channel.h, xen.h).
 *
 * State lives in the shared_info page (structs.ts): one pending and one mask
 * bit per port, 32-bit words, and per vCPU a selector of pending words.
 *
 *   port p  ->  word p >> 5 (0..31), bit p & 31
 *
 *   evtchn_pending[word]  bit set = event pending        (hypervisor sets)
 *   evtchn_mask[word]     bit set = no upcall for port   (guest writes)
 *   vcpu_info.evtchn_pending_sel  bit w = "look at word w"
 *   vcpu_info.evtchn_upcall_pending = 1 when something new is pending
 *
 * Port 0 is reserved forever; allocation takes the lowest free port ≥ 1.
 */
import { group, type ConstGroup } from "./constants.js";
import { array, struct, u32, u64, u8, union, type Compound, type Provenance } from "./layout.js";
import { domid_t, evtchn_port_t } from "./structs.js";

/** Sizes of the 2-level ABI for a 32-bit guest (§7.1, §7.4). */
export const EVTCHN_2L = {
  /** Bits per pending/mask word (xen_ulong_t). */
  BITS_PER_WORD: 32,
  /** Words in evtchn_pending / evtchn_mask. */
  WORDS: 32,
  /** NR_EVENT_CHANNELS: ports 0 .. 1023. */
  NR_CHANNELS: 1024,
  /** libxl's default max_event_channels for a domain. */
  DEFAULT_MAX_CHANNELS: 1023,
} as const;

export const portWord = (port: number): number => port >>> 5;
export const portBit = (port: number): number => port & 31;

/** Virtual IRQ numbers (§7.5). */
export const VIRQ = {
  TIMER: 0,
  DEBUG: 1,
  CONSOLE: 2,
  DOM_EXC: 3,
  TBUF: 4,
  DEBUGGER: 6,
  XENOPROF: 7,
  CON_RING: 8,
  PCPU_STATE: 9,
  MEM_EVENT: 10,
  ARGO: 11,
  ENOMEM: 12,
  XENPMU: 13,
  ARCH_0: 16,
  ARCH_1: 17,
  ARCH_2: 18,
  ARCH_3: 19,
  ARCH_4: 20,
  ARCH_5: 21,
  ARCH_6: 22,
  ARCH_7: 23,
} as const;

/** bind_virq refuses virq ≥ this (−EINVAL). */
export const NR_VIRQS = 24;

/**
 * How a VIRQ may be bound (§7.5): per-vCPU ones once per vCPU; per-domain and
 * global ones on vCPU 0 only, and global ones only by their handler domain.
 */
export type VirqScope = "vcpu" | "domain" | "global";

export const VIRQ_SCOPE: Readonly<Record<keyof typeof VIRQ, VirqScope>> = {
  TIMER: "vcpu",
  DEBUG: "vcpu",
  CONSOLE: "global",
  DOM_EXC: "global",
  TBUF: "global",
  DEBUGGER: "global",
  XENOPROF: "vcpu",
  CON_RING: "global",
  PCPU_STATE: "global",
  MEM_EVENT: "global",
  ARGO: "domain",
  ENOMEM: "global",
  XENPMU: "vcpu",
  ARCH_0: "global",
  ARCH_1: "global",
  ARCH_2: "global",
  ARCH_3: "global",
  ARCH_4: "global",
  ARCH_5: "global",
  ARCH_6: "global",
  ARCH_7: "global",
};

/** evtchn_status.status (§4.14). A free port and the reserved port 0 report closed. */
export const EVTCHNSTAT = {
  closed: 0,
  unbound: 1,
  interdomain: 2,
  pirq: 3,
  virq: 4,
  ipi: 5,
} as const;

/** EVTCHNOP_init_control (FIFO ABI) facts a 2-level hypervisor still checks (§4.14). */
export const EVTCHN_FIFO = {
  LINK_BITS: 17,
  /** offset must be ≤ 4096 − 72 and 8-byte aligned. */
  CONTROL_BLOCK_SIZE: 72,
} as const;

const from = (section: string): Provenance => ({ section, header: "event_channel.h" });

export const evtchnAllocUnbound = struct("evtchn_alloc_unbound", 8, [
  ["dom", domid_t, 0],
  ["remote_dom", domid_t, 2],
  ["port", evtchn_port_t, 4, "out"],
], from("§4.14"));

export const evtchnBindInterdomain = struct("evtchn_bind_interdomain", 12, [
  ["remote_dom", domid_t, 0],
  ["remote_port", evtchn_port_t, 4],
  ["local_port", evtchn_port_t, 8, "out"],
], from("§4.14"));

export const evtchnBindVirq = struct("evtchn_bind_virq", 12, [
  ["virq", u32, 0],
  ["vcpu", u32, 4],
  ["port", evtchn_port_t, 8, "out"],
], from("§4.14"));

export const evtchnBindPirq = struct("evtchn_bind_pirq", 12, [
  ["pirq", u32, 0],
  ["flags", u32, 4],
  ["port", evtchn_port_t, 8, "out"],
], from("§4.14"));

export const evtchnBindIpi = struct("evtchn_bind_ipi", 8, [
  ["vcpu", u32, 0],
  ["port", evtchn_port_t, 4, "out"],
], from("§4.14"));

export const evtchnClose = struct("evtchn_close", 4, [["port", evtchn_port_t, 0]], from("§4.14"));

export const evtchnSend = struct("evtchn_send", 4, [["port", evtchn_port_t, 0]], from("§4.14"));

export const evtchnStatusUnbound = struct("evtchn_status_unbound", 2, [["dom", domid_t, 0]], from("§4.14"));

export const evtchnStatusInterdomain = struct("evtchn_status_interdomain", 8, [
  ["dom", domid_t, 0],
  ["port", evtchn_port_t, 4],
], from("§4.14"));

export const evtchnStatusU = union("evtchn_status_u", 8, [
  ["unbound", evtchnStatusUnbound, 0],
  ["interdomain", evtchnStatusInterdomain, 0],
  ["pirq", u32, 0],
  ["virq", u32, 0],
], from("§4.14"));

export const evtchnStatus = struct("evtchn_status", 24, [
  ["dom", domid_t, 0],
  ["port", evtchn_port_t, 4],
  ["status", u32, 8, "out: EVTCHNSTAT_*"],
  ["vcpu", u32, 12, "out"],
  ["u", evtchnStatusU, 16, "out"],
], from("§4.14"));

export const evtchnBindVcpu = struct("evtchn_bind_vcpu", 8, [
  ["port", evtchn_port_t, 0],
  ["vcpu", u32, 4],
], from("§4.14"));

export const evtchnUnmask = struct("evtchn_unmask", 4, [["port", evtchn_port_t, 0]], from("§4.14"));

export const evtchnReset = struct("evtchn_reset", 2, [["dom", domid_t, 0]], from("§4.14"));

export const evtchnInitControl = struct("evtchn_init_control", 24, [
  ["control_gfn", u64, 0],
  ["offset", u32, 8],
  ["vcpu", u32, 12],
  ["link_bits", u8, 16, "out"],
  ["_pad", array(u8, 7), 17],
], from("§4.14"));

export const evtchnExpandArray = struct("evtchn_expand_array", 8, [["array_gfn", u64, 0]], from("§4.14"));

export const evtchnSetPriority = struct("evtchn_set_priority", 8, [
  ["port", evtchn_port_t, 0],
  ["priority", u32, 4],
], from("§4.14"));

/** Nested types first. */
export const eventChannelStructs: readonly Compound[] = [
  evtchnAllocUnbound,
  evtchnBindInterdomain,
  evtchnBindVirq,
  evtchnBindPirq,
  evtchnBindIpi,
  evtchnClose,
  evtchnSend,
  evtchnStatusUnbound,
  evtchnStatusInterdomain,
  evtchnStatusU,
  evtchnStatus,
  evtchnBindVcpu,
  evtchnUnmask,
  evtchnReset,
  evtchnInitControl,
  evtchnExpandArray,
  evtchnSetPriority,
];

export const eventChannelConstants: readonly ConstGroup[] = [
  group("EVTCHN_2L_", EVTCHN_2L, "2-level event channel ABI sizes (tsxen names)", "§7.1, §7.4", "event_channel.h"),
  group("", { NR_EVENT_CHANNELS: EVTCHN_2L.NR_CHANNELS, NR_VIRQS }, "limits", "§7.4, §7.5", "xen.h"),
  group("VIRQ_", VIRQ, "virtual IRQs", "§7.5", "xen.h"),
  group("EVTCHNSTAT_", EVTCHNSTAT, "evtchn_status.status", "§4.14", "event_channel.h"),
  group("EVTCHN_FIFO_", EVTCHN_FIFO, "FIFO ABI facts checked by init_control", "§4.14", "event_channel.h"),
];
