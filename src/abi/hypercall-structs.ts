/**
 * Argument structures of the hypercalls, i386 layout (docs/xen-pv32-abi.md
 * §4.2–§4.23; Xen xen/include/public/xen.h, sched.h, memory.h, vcpu.h,
 * callback.h, nmi.h, physdev.h, version.h). Event-channel and grant-table
 * structures live in event-channels.ts and grant-tables.ts.
 *
 * Pointers are 32-bit guest linear addresses (§3.3); 64-bit fields are only
 * 4-byte aligned, which is why e.g. vcpu_set_singleshot_timer is 12 bytes.
 */
import { array, char, i32, ptr, struct, u16, u32, u64, u8, union, type Compound, type Provenance } from "./layout.js";
import { domid_t, evtchn_port_t, xen_pfn_t, xen_ulong_t } from "./structs.js";

const from = (section: string, header: string): Provenance => ({ section, header });

// --- page tables (§4.2, §4.22) and multicall (§4.12) ----------------------

export const mmuUpdate = struct("mmu_update", 16, [
  ["ptr", u64, 0, "machine address of the entry; bits 1:0 = MMU_* command"],
  ["val", u64, 8],
], from("§4.2", "xen.h"));

export const mmuextOpArg1 = union("mmuext_op_arg1", 4, [
  ["mfn", xen_pfn_t, 0],
  ["linear_addr", u32, 0],
], from("§4.22", "xen.h"));

export const mmuextOpArg2 = union("mmuext_op_arg2", 4, [
  ["nr_ents", u32, 0],
  ["vcpumask", ptr(), 0],
  ["src_mfn", xen_pfn_t, 0],
], from("§4.22", "xen.h"));

export const mmuextOp = struct("mmuext_op", 12, [
  ["cmd", u32, 0, "MMUEXT_*"],
  ["arg1", mmuextOpArg1, 4],
  ["arg2", mmuextOpArg2, 8],
], from("§4.22", "xen.h"));

export const multicallEntry = struct("multicall_entry", 32, [
  ["op", xen_ulong_t, 0],
  ["result", xen_ulong_t, 4],
  ["args", array(xen_ulong_t, 6), 8, "only args[0..4] are passed"],
], from("§4.12", "xen.h"));

// --- sched_op (§4.7) --------------------------------------------------------

export const schedShutdown = struct("sched_shutdown", 4, [
  ["reason", u32, 0, "SHUTDOWN_*"],
], from("§4.7", "sched.h"));

export const schedPoll = struct("sched_poll", 16, [
  ["ports", ptr(evtchn_port_t), 0],
  ["nr_ports", u32, 4],
  ["timeout", u64, 8, "absolute system time in ns; 0 = none"],
], from("§4.7", "sched.h"));

export const schedRemoteShutdown = struct("sched_remote_shutdown", 8, [
  ["domain_id", domid_t, 0],
  ["reason", u32, 4],
], from("§4.7", "sched.h"));

export const schedWatchdog = struct("sched_watchdog", 8, [
  ["id", u32, 0],
  ["timeout", u32, 4],
], from("§4.7", "sched.h"));

// --- memory_op (§4.11) ------------------------------------------------------

export const xenMemoryReservation = struct("xen_memory_reservation", 20, [
  ["extent_start", ptr(xen_pfn_t), 0],
  ["nr_extents", xen_ulong_t, 4],
  ["extent_order", u32, 8],
  ["mem_flags", u32, 12, "XENMEMF_*"],
  ["domid", domid_t, 16],
], from("§4.11", "memory.h"));

export const xenMemoryExchange = struct("xen_memory_exchange", 44, [
  ["in", xenMemoryReservation, 0],
  ["out", xenMemoryReservation, 20],
  ["nr_exchanged", xen_ulong_t, 40],
], from("§4.11", "memory.h"));

export const xenMachphysMfnList = struct("xen_machphys_mfn_list", 12, [
  ["max_extents", u32, 0],
  ["extent_start", ptr(xen_pfn_t), 4],
  ["nr_extents", u32, 8],
], from("§4.11", "memory.h"));

export const xenMachphysMapping = struct("xen_machphys_mapping", 12, [
  ["v_start", xen_ulong_t, 0],
  ["v_end", xen_ulong_t, 4],
  ["max_mfn", xen_ulong_t, 8],
], from("§4.11", "memory.h"));

export const e820Entry = struct("e820entry", 20, [
  ["addr", u64, 0],
  ["size", u64, 8],
  ["type", u32, 16],
], from("§4.11", "memory.h"));

export const xenMemoryMap = struct("xen_memory_map", 8, [
  ["nr_entries", u32, 0, "in: capacity, out: count"],
  ["buffer", ptr(e820Entry), 4],
], from("§4.11", "memory.h"));

/** Not laid out in the ABI document (translated guests only); offsets from memory.h. */
export const xenAddToPhysmap = struct("xen_add_to_physmap", 16, [
  ["domid", domid_t, 0],
  ["size", u16, 2],
  ["space", u32, 4, "XENMAPSPACE_*"],
  ["idx", xen_ulong_t, 8],
  ["gpfn", xen_pfn_t, 12],
], from("§4.11 (layout from memory.h)", "memory.h"));

/** Not laid out in the ABI document (translated guests only; PV gets −EACCES); offsets from memory.h. */
export const xenRemoveFromPhysmap = struct("xen_remove_from_physmap", 8, [
  ["domid", domid_t, 0],
  ["gpfn", xen_pfn_t, 4],
], from("§4.11 (layout from memory.h)", "memory.h"));

// --- vcpu_op (§4.21) --------------------------------------------------------

export const vcpuRunstateInfo = struct("vcpu_runstate_info", 44, [
  ["state", i32, 0, "RUNSTATE_*"],
  ["state_entry_time", u64, 4],
  ["time", array(u64, 4), 12],
], from("§4.21", "vcpu.h"));

export const vcpuRegisterRunstateMemoryArea = struct("vcpu_register_runstate_memory_area", 8, [
  ["addr", u64, 0, "guest virtual address in the low 32 bits"],
], from("§4.21", "vcpu.h"));

export const vcpuSetPeriodicTimer = struct("vcpu_set_periodic_timer", 8, [
  ["period_ns", u64, 0],
], from("§4.21", "vcpu.h"));

export const vcpuSetSingleshotTimer = struct("vcpu_set_singleshot_timer", 12, [
  ["timeout_abs_ns", u64, 0],
  ["flags", u32, 8, "VCPU_SSHOTTMR_*"],
], from("§4.21", "vcpu.h"));

export const vcpuRegisterVcpuInfo = struct("vcpu_register_vcpu_info", 16, [
  ["mfn", u64, 0],
  ["offset", u32, 8],
  ["rsvd", u32, 12],
], from("§4.21", "vcpu.h"));

export const vcpuGetPhysid = struct("vcpu_get_physid", 8, [
  ["phys_id", u64, 0],
], from("§4.21", "vcpu.h"));

export const vcpuRegisterTimeMemoryArea = struct("vcpu_register_time_memory_area", 8, [
  ["addr", u64, 0],
], from("§4.21", "vcpu.h"));

// --- callback_op (§4.5), nmi_op (§4.23), physdev_op (§4.17) ------------------

export const xenCallback = struct("xen_callback", 8, [
  ["cs", u32, 0],
  ["eip", u32, 4],
], from("§4.5", "arch-x86/xen-x86_32.h"));

export const callbackRegister = struct("callback_register", 12, [
  ["type", u16, 0, "CALLBACKTYPE_*"],
  ["flags", u16, 2, "CALLBACKF_*"],
  ["address", xenCallback, 4],
], from("§4.5", "callback.h"));

export const callbackUnregister = struct("callback_unregister", 4, [
  ["type", u16, 0],
  ["_unused", u16, 2],
], from("§4.5", "callback.h"));

export const xennmiCallback = struct("xennmi_callback", 8, [
  ["handler_address", u32, 0],
  ["pad", u32, 4],
], from("§4.23", "nmi.h"));

export const physdevSetIopl = struct("physdev_set_iopl", 4, [
  ["iopl", u32, 0],
], from("§4.17", "physdev.h"));

export const physdevSetIobitmap = struct("physdev_set_iobitmap", 8, [
  ["bitmap", ptr(u8), 0, "8192-byte bitmap, bit set = port denied"],
  ["nr_ports", u32, 4],
], from("§4.17", "physdev.h"));

// --- xen_version (§4.15) ----------------------------------------------------

export const xenFeatureInfo = struct("xen_feature_info", 8, [
  ["submap_idx", u32, 0],
  ["submap", u32, 4],
], from("§4.15", "version.h"));

export const xenPlatformParameters = struct("xen_platform_parameters", 4, [
  ["virt_start", xen_ulong_t, 0],
], from("§4.15", "version.h"));

export const xenCompileInfo = struct("xen_compile_info", 144, [
  ["compiler", array(char, 64), 0],
  ["compile_by", array(char, 16), 64],
  ["compile_domain", array(char, 32), 80],
  ["compile_date", array(char, 32), 112],
], from("§4.15", "version.h"));

/** Nested types first. */
export const hypercallStructs: readonly Compound[] = [
  mmuUpdate,
  mmuextOpArg1,
  mmuextOpArg2,
  mmuextOp,
  multicallEntry,
  schedShutdown,
  schedPoll,
  schedRemoteShutdown,
  schedWatchdog,
  xenMemoryReservation,
  xenMemoryExchange,
  xenMachphysMfnList,
  xenMachphysMapping,
  e820Entry,
  xenMemoryMap,
  xenAddToPhysmap,
  xenRemoveFromPhysmap,
  vcpuRunstateInfo,
  vcpuRegisterRunstateMemoryArea,
  vcpuSetPeriodicTimer,
  vcpuSetSingleshotTimer,
  vcpuRegisterVcpuInfo,
  vcpuGetPhysid,
  vcpuRegisterTimeMemoryArea,
  xenCallback,
  callbackRegister,
  callbackUnregister,
  xennmiCallback,
  physdevSetIopl,
  physdevSetIobitmap,
  xenFeatureInfo,
  xenPlatformParameters,
  xenCompileInfo,
];
