/**
 * Hypercall numbers and the sub-operation numbers of the multiplexed calls
 * (docs/xen-pv32-abi.md §4.0–§4.24; Xen xen/include/public/xen.h, sched.h,
 * memory.h, event_channel.h, vcpu.h, grant_table.h, physdev.h, version.h,
 * callback.h, nmi.h).
 *
 * Calling convention (§3.1): `INT 0x82` from ring 1, EAX = number, arguments
 * in EBX, ECX, EDX, ESI, EDI; result in EAX, negative = −errno. Numbers ≥ 64
 * or without a handler return −ENOSYS. The table below lists every number
 * Xen defines; gaps (11, 43–47, 56–63) are unused.
 */
import { group, type ConstGroup } from "./constants.js";

export interface HypercallInfo {
  readonly number: number;
  readonly name: string;
  /** The arguments as the ABI document lists them (EBX, ECX, EDX, ESI, EDI). Empty: none documented. */
  readonly args: readonly string[];
  /** Where the ABI document specifies it. */
  readonly section: string;
}

/** Every hypercall number (§4.0). */
export const hypercallTable = [
  { number: 0, name: "set_trap_table", args: ["trap_info *table"], section: "§4.1" },
  { number: 1, name: "mmu_update", args: ["mmu_update_t *reqs", "u32 count", "u32 *done", "u32 foreigndom"], section: "§4.2" },
  { number: 2, name: "set_gdt", args: ["u32 *frames", "u32 entries"], section: "§4.3" },
  { number: 3, name: "stack_switch", args: ["u32 ss", "u32 esp"], section: "§4.4" },
  { number: 4, name: "set_callbacks", args: ["u32 ev_cs", "u32 ev_eip", "u32 fs_cs", "u32 fs_eip"], section: "§4.5" },
  { number: 5, name: "fpu_taskswitch", args: ["int set"], section: "§4.6" },
  { number: 6, name: "sched_op_compat", args: ["int cmd", "u32 arg"], section: "§4.0" },
  { number: 7, name: "platform_op", args: ["xen_platform_op *op"], section: "§4.0" },
  { number: 8, name: "set_debugreg", args: ["int reg", "u32 value"], section: "§4.9" },
  { number: 9, name: "get_debugreg", args: ["int reg"], section: "§4.9" },
  { number: 10, name: "update_descriptor", args: ["u32 ma_lo", "u32 ma_hi", "u32 desc_lo", "u32 desc_hi"], section: "§4.10" },
  { number: 12, name: "memory_op", args: ["u32 cmd", "void *arg"], section: "§4.11" },
  { number: 13, name: "multicall", args: ["multicall_entry *list", "u32 nr"], section: "§4.12" },
  { number: 14, name: "update_va_mapping", args: ["u32 va", "u32 pte_lo", "u32 pte_hi", "u32 flags"], section: "§4.13" },
  { number: 15, name: "set_timer_op", args: ["u32 lo", "u32 hi"], section: "§4.8" },
  { number: 16, name: "event_channel_op_compat", args: ["evtchn_op *op"], section: "§4.0" },
  { number: 17, name: "xen_version", args: ["int cmd", "void *arg"], section: "§4.15" },
  { number: 18, name: "console_io", args: ["int cmd", "u32 count", "char *buf"], section: "§4.16" },
  { number: 19, name: "physdev_op_compat", args: ["physdev_op *op"], section: "§4.0" },
  { number: 20, name: "grant_table_op", args: ["u32 cmd", "void *uop", "u32 count"], section: "§4.18" },
  { number: 21, name: "vm_assist", args: ["u32 cmd", "u32 type"], section: "§4.19" },
  { number: 22, name: "update_va_mapping_otherdomain", args: ["u32 va", "u32 lo", "u32 hi", "u32 flags", "u16 domid"], section: "§4.0" },
  { number: 23, name: "iret", args: [], section: "§4.20" },
  { number: 24, name: "vcpu_op", args: ["int cmd", "u32 vcpuid", "void *arg"], section: "§4.21" },
  { number: 25, name: "set_segment_base", args: ["u32 which", "u32 base"], section: "§4.0" },
  { number: 26, name: "mmuext_op", args: ["mmuext_op_t *ops", "u32 count", "u32 *done", "u32 foreigndom"], section: "§4.22" },
  { number: 27, name: "xsm_op", args: ["void *op"], section: "§4.24" },
  { number: 28, name: "nmi_op", args: ["u32 cmd", "void *arg"], section: "§4.23" },
  { number: 29, name: "sched_op", args: ["int cmd", "void *arg"], section: "§4.7" },
  { number: 30, name: "callback_op", args: ["int cmd", "void *arg"], section: "§4.5" },
  { number: 31, name: "xenoprof_op", args: [], section: "§4.0" },
  { number: 32, name: "event_channel_op", args: ["int cmd", "void *arg"], section: "§4.14" },
  { number: 33, name: "physdev_op", args: ["int cmd", "void *arg"], section: "§4.17" },
  { number: 34, name: "hvm_op", args: ["u32 op", "void *arg"], section: "§4.0" },
  { number: 35, name: "sysctl", args: ["xen_sysctl *op"], section: "§4.24" },
  { number: 36, name: "domctl", args: ["xen_domctl *op"], section: "§4.24" },
  { number: 37, name: "kexec_op", args: [], section: "§4.24" },
  { number: 38, name: "tmem_op", args: [], section: "§4.0" },
  { number: 39, name: "argo_op", args: ["u32 cmd", "void *a1", "void *a2", "u32 a3", "u32 a4"], section: "§4.24" },
  { number: 40, name: "xenpmu_op", args: ["u32 op", "void *arg"], section: "§4.0" },
  { number: 41, name: "dm_op", args: ["u16 domid", "u32 nr_bufs", "void *bufs"], section: "§4.24" },
  { number: 42, name: "hypfs_op", args: ["a1", "a2", "a3", "a4", "a5"], section: "§4.24" },
  { number: 48, name: "arch_0", args: ["xen_mc *op"], section: "§4.0 (mca)" },
  { number: 49, name: "arch_1", args: [], section: "§4.0 (paging_domctl_cont)" },
  { number: 50, name: "arch_2", args: [], section: "§4.0" },
  { number: 51, name: "arch_3", args: [], section: "§4.0" },
  { number: 52, name: "arch_4", args: [], section: "§4.0" },
  { number: 53, name: "arch_5", args: [], section: "§4.0" },
  { number: 54, name: "arch_6", args: [], section: "§4.0" },
  { number: 55, name: "arch_7", args: [], section: "§4.0" },
] as const satisfies readonly HypercallInfo[];

type Row = (typeof hypercallTable)[number];
export type HypercallName = Row["name"];

/** Named hypercall numbers: `HYPERCALL.mmu_update === 1`. C: `__HYPERVISOR_mmu_update`. */
export const HYPERCALL = Object.freeze(Object.fromEntries(hypercallTable.map((h) => [h.name, h.number]))) as {
  readonly [R in Row as R["name"]]: R["number"];
};

/** Hypercall numbers are below this; anything else is −ENOSYS (§3.1). */
export const NR_HYPERCALLS = 64;

/** The row for a number, or undefined for an unused one. */
export function hypercallInfo(number: number): HypercallInfo | undefined {
  return hypercallTable.find((h) => h.number === number);
}

/** mmu_update commands: `ptr & 3` (§4.2). */
export const MMU = { NORMAL_PT_UPDATE: 0, MACHPHYS_UPDATE: 1, PT_UPDATE_PRESERVE_AD: 2, PT_UPDATE_NO_TRANSLATE: 3 } as const;

/** Flag in mmu_update/mmuext_op `count` marking a preempted call (§12.7; only Xen continuations). */
export const MMU_UPDATE_PREEMPTED = 0x80000000;

/** Domain ids with a meaning of their own (§0, §4.2): `foreigndom` bits 15:0. */
export const DOMID = {
  FIRST_RESERVED: 0x7ff0,
  SELF: 0x7ff0,
  IO: 0x7ff1,
  /** Owner of the hypervisor's own frames (xen.h DOMID_XEN). */
  XEN: 0x7ff2,
} as const;

/** mmuext_op commands (§4.22). 14 is unused. */
export const MMUEXT = {
  PIN_L1_TABLE: 0,
  PIN_L2_TABLE: 1,
  PIN_L3_TABLE: 2,
  PIN_L4_TABLE: 3,
  UNPIN_TABLE: 4,
  NEW_BASEPTR: 5,
  TLB_FLUSH_LOCAL: 6,
  INVLPG_LOCAL: 7,
  TLB_FLUSH_MULTI: 8,
  INVLPG_MULTI: 9,
  TLB_FLUSH_ALL: 10,
  INVLPG_ALL: 11,
  FLUSH_CACHE: 12,
  SET_LDT: 13,
  NEW_USER_BASEPTR: 15,
  CLEAR_PAGE: 16,
  COPY_PAGE: 17,
  FLUSH_CACHE_GLOBAL: 18,
  MARK_SUPER: 19,
  UNMARK_SUPER: 20,
} as const;

/** update_va_mapping `flags` (§4.13): bits 1:0 flush type, bits 31:2 scope or vCPU-bitmap pointer. */
export const UVMF = {
  NONE: 0,
  TLB_FLUSH: 1,
  INVLPG: 2,
  FLUSHTYPE_MASK: 3,
  MULTI: 0,
  LOCAL: 0,
  ALL: 4,
} as const;

/** sched_op commands (§4.7). sched_op_compat uses the same numbers for 0–2. */
export const SCHEDOP = {
  yield: 0,
  block: 1,
  shutdown: 2,
  poll: 3,
  remote_shutdown: 4,
  shutdown_code: 5,
  watchdog: 6,
  pin_override: 7,
} as const;

/** SCHEDOP_poll refuses more ports than this (−EINVAL, §4.7). */
export const SCHEDOP_POLL_MAX_PORTS = 128;

/** Shutdown reasons (§4.7). */
export const SHUTDOWN = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;

/** memory_op sub-ops: `cmd` bits 5:0; bits 31:6 are the start extent (§4.11). */
export const XENMEM = {
  increase_reservation: 0,
  decrease_reservation: 1,
  maximum_ram_page: 2,
  current_reservation: 3,
  maximum_reservation: 4,
  machphys_mfn_list: 5,
  populate_physmap: 6,
  add_to_physmap: 7,
  memory_map: 9,
  machine_memory_map: 10,
  exchange: 11,
  machphys_mapping: 12,
  set_memory_map: 13,
  maximum_gpfn: 14,
  remove_from_physmap: 15,
  machphys_compat_mfn_list: 25,
} as const;

/** memory_op `cmd` split (§4.11). */
export const MEMOP = {
  CMD_MASK: 0x3f,
  EXTENT_SHIFT: 6,
  /** Largest extent_order a domU may ask for (PAGETABLE_ORDER). */
  MAX_ORDER: 9,
} as const;

/** xen_memory_reservation.mem_flags (§4.11). */
export const XENMEMF = {
  address_bits_mask: 0xff,
  node_shift: 8,
  populate_on_demand: 1 << 16,
  exact_node_request: 1 << 17,
  vnode: 1 << 18,
} as const;

/** xen_add_to_physmap.space (memory.h; translated guests only, §4.11). */
export const XENMAPSPACE = { shared_info: 0, grant_table: 1, gmfn: 2, gmfn_range: 3, gmfn_foreign: 4, dev_mmio: 5 } as const;

/** event_channel_op commands (§4.14). */
export const EVTCHNOP = {
  bind_interdomain: 0,
  bind_virq: 1,
  bind_pirq: 2,
  close: 3,
  send: 4,
  status: 5,
  alloc_unbound: 6,
  bind_ipi: 7,
  bind_vcpu: 8,
  unmask: 9,
  reset: 10,
  init_control: 11,
  expand_array: 12,
  set_priority: 13,
} as const;

/** vcpu_op commands (§4.21). */
export const VCPUOP = {
  initialise: 0,
  up: 1,
  down: 2,
  is_up: 3,
  get_runstate_info: 4,
  register_runstate_memory_area: 5,
  set_periodic_timer: 6,
  stop_periodic_timer: 7,
  set_singleshot_timer: 8,
  stop_singleshot_timer: 9,
  register_vcpu_info: 10,
  send_nmi: 11,
  get_physid: 12,
  register_vcpu_time_memory_area: 13,
  register_runstate_phys_area: 14,
  register_vcpu_time_phys_area: 15,
} as const;

/** vcpu_runstate_info.state (§4.21). */
export const RUNSTATE = { running: 0, runnable: 1, blocked: 2, offline: 3 } as const;

/** vcpu_set_singleshot_timer.flags (§4.21; ignored by current Xen). */
export const VCPU_SSHOTTMR = { future: 1 } as const;

/** grant_table_op commands (§4.18). */
export const GNTTABOP = {
  map_grant_ref: 0,
  unmap_grant_ref: 1,
  setup_table: 2,
  dump_table: 3,
  transfer: 4,
  copy: 5,
  query_size: 6,
  unmap_and_replace: 7,
  set_version: 8,
  get_status_frames: 9,
  get_version: 10,
  swap_grant_ref: 11,
  cache_flush: 12,
} as const;

/** physdev_op commands a domU meets (§4.17). */
export const PHYSDEVOP = { irq_status_query: 5, set_iopl: 6, set_iobitmap: 7, eoi: 12, map_pirq: 13 } as const;

/** xen_version commands (§4.15). */
export const XENVER = {
  version: 0,
  extraversion: 1,
  compile_info: 2,
  capabilities: 3,
  changeset: 4,
  platform_parameters: 5,
  get_features: 6,
  pagesize: 7,
  guest_handle: 8,
  commandline: 9,
  build_id: 10,
  extraversion2: 11,
  capabilities2: 12,
  changeset2: 13,
  commandline2: 14,
} as const;

/** Buffer sizes of the string sub-ops of xen_version (§4.15; version.h). */
export const XENVER_LEN = {
  EXTRAVERSION: 16,
  COMPILE_INFO: 144,
  CAPABILITIES_INFO: 1024,
  CHANGESET_INFO: 64,
  GUEST_HANDLE: 16,
  COMMANDLINE: 1024,
} as const;

/** console_io commands (§4.16). */
export const CONSOLEIO = { write: 0, read: 1 } as const;

/** callback_op commands (§4.5). */
export const CALLBACKOP = { register: 0, unregister: 1 } as const;

/** Callback types for 32-bit guests (§4.5). 6 is unused. */
export const CALLBACKTYPE = {
  event: 0,
  failsafe: 1,
  syscall: 2,
  sysenter_deprecated: 3,
  nmi: 4,
  sysenter: 5,
  syscall32: 7,
} as const;

/** callback_register.flags (§4.5). */
export const CALLBACKF = { mask_events: 1 } as const;

/** vm_assist commands (§4.19). */
export const VMASST_CMD = { enable: 0, disable: 1 } as const;

/** vm_assist types; `vcpu_guest_context.vm_assist` is the bitmap 1 << type (§4.19). */
export const VMASST_TYPE = {
  "4gb_segments": 0,
  "4gb_segments_notify": 1,
  writable_pagetables: 2,
  pae_extended_cr3: 3,
  architectural_iopl: 4,
  runstate_update_flag: 5,
  m2p_strict: 32,
} as const;

/** nmi_op commands (§4.23). */
export const XENNMI = { register_callback: 0, unregister_callback: 1 } as const;

/** fpu_taskswitch argument (§4.6): any non-zero value sets virtual CR0.TS. */
export const FPU_TASKSWITCH = { clear: 0, set: 1 } as const;

/** set_debugreg / get_debugreg (§4.9, §6.10): register numbers and fixed values. */
export const DEBUGREG = { DR0: 0, DR1: 1, DR2: 2, DR3: 3, DR4: 4, DR5: 5, DR6: 6, DR7: 7, /** reg ≥ COUNT → −ENODEV */ COUNT: 8 } as const;

export const DEBUGREG_VALUE = {
  DR6_DEFAULT: 0xffff0ff0,
  DR7_DEFAULT: 0x00000400,
  /** DR7.GD: setting it → −EPERM. */
  DR7_GD: 1 << 13,
} as const;

/** Privileged-interface versions (§4.24): a wrong one gives −EACCES before the privilege check. */
export const XEN_INTERFACE = {
  SYSCTL_INTERFACE_VERSION: 0x00000016,
  DOMCTL_INTERFACE_VERSION: 0x00000018,
} as const;

/** The groups in the order the C header prints them. */
export const hypercallConstants: readonly ConstGroup[] = [
  group("__HYPERVISOR_", HYPERCALL, "hypercall numbers", "§4.0", "xen.h"),
  group("", { NR_HYPERCALLS }, "hypercall numbers are below this", "§3.1", "xen.h"),
  group("MMU_", MMU, "mmu_update commands (ptr & 3)", "§4.2", "xen.h"),
  group("", { MMU_UPDATE_PREEMPTED }, "preemption flag in count", "§12", "xen.h", { hex: true }),
  group("DOMID_", DOMID, "special domain ids", "§4.2", "xen.h", { hex: true }),
  group("MMUEXT_", MMUEXT, "mmuext_op commands", "§4.22", "xen.h"),
  group("UVMF_", UVMF, "update_va_mapping flags", "§4.13", "xen.h"),
  group("SCHEDOP_", SCHEDOP, "sched_op commands", "§4.7", "sched.h"),
  group("", { SCHEDOP_POLL_MAX_PORTS }, "SCHEDOP_poll port limit", "§4.7", "sched.h"),
  group("SHUTDOWN_", SHUTDOWN, "shutdown reasons", "§4.7", "sched.h"),
  group("XENMEM_", XENMEM, "memory_op sub-ops", "§4.11", "memory.h"),
  group("MEMOP_", MEMOP, "memory_op cmd split (tsxen names)", "§4.11", "memory.h"),
  group("XENMEMF_", XENMEMF, "xen_memory_reservation.mem_flags", "§4.11", "memory.h", { hex: true }),
  group("XENMAPSPACE_", XENMAPSPACE, "xen_add_to_physmap.space", "§4.11", "memory.h"),
  group("EVTCHNOP_", EVTCHNOP, "event_channel_op commands", "§4.14", "event_channel.h"),
  group("VCPUOP_", VCPUOP, "vcpu_op commands", "§4.21", "vcpu.h"),
  group("RUNSTATE_", RUNSTATE, "vcpu_runstate_info.state", "§4.21", "vcpu.h"),
  group("VCPU_SSHOTTMR_", VCPU_SSHOTTMR, "vcpu_set_singleshot_timer.flags", "§4.21", "vcpu.h"),
  group("GNTTABOP_", GNTTABOP, "grant_table_op commands", "§4.18", "grant_table.h"),
  group("PHYSDEVOP_", PHYSDEVOP, "physdev_op commands", "§4.17", "physdev.h"),
  group("XENVER_", XENVER, "xen_version commands", "§4.15", "version.h"),
  group("XENVER_LEN_", XENVER_LEN, "xen_version buffer sizes (tsxen names)", "§4.15", "version.h"),
  group("CONSOLEIO_", CONSOLEIO, "console_io commands", "§4.16", "xen.h"),
  group("CALLBACKOP_", CALLBACKOP, "callback_op commands", "§4.5", "callback.h"),
  group("CALLBACKTYPE_", CALLBACKTYPE, "callback types", "§4.5", "callback.h"),
  group("CALLBACKF_", CALLBACKF, "callback_register.flags", "§4.5", "callback.h"),
  group("VMASST_CMD_", VMASST_CMD, "vm_assist commands", "§4.19", "xen.h"),
  group("VMASST_TYPE_", VMASST_TYPE, "vm_assist types", "§4.19", "xen.h"),
  group("XENNMI_", XENNMI, "nmi_op commands", "§4.23", "nmi.h"),
  group("FPU_TASKSWITCH_", FPU_TASKSWITCH, "fpu_taskswitch argument (tsxen names)", "§4.6", "xen.h"),
  group("XEN_DEBUGREG_", DEBUGREG, "set_debugreg register numbers (tsxen names)", "§4.9", "xen.h"),
  group("XEN_", DEBUGREG_VALUE, "debug register values", "§4.9, §6.10", "xen.h", { hex: true }),
  group("XEN_", XEN_INTERFACE, "privileged interface versions", "§4.24", "sysctl.h, domctl.h", { hex: true }),
];
