/**
 * The shared structures of the boot protocol and the vCPU context
 * (docs/xen-pv32-abi.md §2.1–§2.6, §1.8–§1.9; Xen xen/include/public/xen.h,
 * arch-x86/xen.h, arch-x86/xen-x86_32.h), with the i386 offsets the document
 * gives. Each table is checked against the i386 rules when this module loads
 * (layout.ts).
 *
 *   shared_info page (2344 bytes used):
 *   0     vcpu_info[0..31]      64 bytes each
 *   2048  evtchn_pending[32]    one bit per port (§7)
 *   2176  evtchn_mask[32]
 *   2304  wc_version, wc_sec, wc_nsec
 *   2316  arch (max_pfn … wc_sec_hi)
 *
 * The integer aliases (domid_t …) are Xen's typedefs as a 32-bit guest sees
 * them: xen_pfn_t and xen_ulong_t are 32 bits on x86_32.
 */
import { group, type ConstGroup } from "./constants.js";
import { alias, array, char, i8, struct, u16, u32, u64, u8, union, type Compound, type Provenance } from "./layout.js";

export const domid_t = alias("domid_t", u16);
export const evtchn_port_t = alias("evtchn_port_t", u32);
export const xen_pfn_t = alias("xen_pfn_t", u32);
export const xen_ulong_t = alias("xen_ulong_t", u32);
export const grant_ref_t = alias("grant_ref_t", u32);
export const grant_handle_t = alias("grant_handle_t", u32);

const xenH = (section: string): Provenance => ({ section, header: "xen.h" });
const archH = (section: string): Provenance => ({ section, header: "arch-x86/xen-x86_32.h" });

/** §2.4: per-vCPU system time; version odd while the hypervisor updates it (§8.1). */
export const vcpuTimeInfo = struct("vcpu_time_info", 32, [
  ["version", u32, 0],
  ["pad0", u32, 4],
  ["tsc_timestamp", u64, 8],
  ["system_time", u64, 16],
  ["tsc_to_system_mul", u32, 24],
  ["tsc_shift", i8, 28],
  ["flags", u8, 29],
  ["pad1", array(u8, 2), 30],
], xenH("§2.4"));

/** §2.3: `vcpu_info.arch`. */
export const archVcpuInfo = struct("arch_vcpu_info", 24, [
  ["cr2", u32, 0, "faulting address of the last #PF bounced"],
  ["pad", array(u32, 5), 4],
], archH("§2.3"));

/** §2.3: one vCPU's slot in shared_info (or a registered page, VCPUOP_register_vcpu_info). */
export const vcpuInfo = struct("vcpu_info", 64, [
  ["evtchn_upcall_pending", u8, 0],
  ["evtchn_upcall_mask", u8, 1, "the virtual interrupt-disable flag"],
  ["evtchn_pending_sel", xen_ulong_t, 4],
  ["arch", archVcpuInfo, 8],
  ["time", vcpuTimeInfo, 32],
], xenH("§2.3"));

/** §2.2: `shared_info.arch`. */
export const archSharedInfo = struct("arch_shared_info", 28, [
  ["max_pfn", u32, 0],
  ["pfn_to_mfn_frame_list_list", xen_pfn_t, 4],
  ["nmi_reason", u32, 8],
  ["p2m_cr3", u32, 12],
  ["p2m_vaddr", u32, 16],
  ["p2m_generation", u32, 20],
  ["wc_sec_hi", u32, 24],
], archH("§2.2"));

/** XEN_LEGACY_MAX_VCPUS: vcpu_info slots in shared_info. */
export const LEGACY_MAX_VCPUS = 32;

/** §2.2: the shared_info page. */
export const sharedInfo = struct("shared_info", 2344, [
  ["vcpu_info", array(vcpuInfo, LEGACY_MAX_VCPUS), 0],
  ["evtchn_pending", array(xen_ulong_t, 32), 2048],
  ["evtchn_mask", array(xen_ulong_t, 32), 2176],
  ["wc_version", u32, 2304],
  ["wc_sec", u32, 2308],
  ["wc_nsec", u32, 2312],
  ["arch", archSharedInfo, 2316],
], xenH("§2.2"));

/** §2.1: `start_info.console` as a domU reads it. */
export const startInfoConsoleDomU = struct("start_info_console_domU", 8, [
  ["mfn", xen_pfn_t, 0],
  ["evtchn", u32, 4],
], xenH("§2.1"));

/** §2.1: `start_info.console` as dom0 reads it. */
export const startInfoConsoleDom0 = struct("start_info_console_dom0", 8, [
  ["info_off", u32, 0],
  ["info_size", u32, 4],
], xenH("§2.1"));

export const startInfoConsole = union("start_info_console", 8, [
  ["domU", startInfoConsoleDomU, 0],
  ["dom0", startInfoConsoleDom0, 0],
], xenH("§2.1"));

/** MAX_GUEST_CMDLINE. */
export const MAX_GUEST_CMDLINE = 1024;

/** §2.1: the page whose address is in ESI at entry (§1.8 lists the values). */
export const startInfo = struct("start_info", 1112, [
  ["magic", array(char, 32), 0],
  ["nr_pages", u32, 32],
  ["shared_info", u32, 36, "machine address"],
  ["flags", u32, 40],
  ["store_mfn", xen_pfn_t, 44],
  ["store_evtchn", u32, 48],
  ["console", startInfoConsole, 52],
  ["pt_base", u32, 60],
  ["nr_pt_frames", u32, 64],
  ["mfn_list", u32, 68],
  ["mod_start", u32, 72],
  ["mod_len", u32, 76],
  ["cmd_line", array(char, MAX_GUEST_CMDLINE), 80],
  ["first_p2m_pfn", u32, 1104],
  ["nr_p2m_frames", u32, 1108],
], xenH("§2.1"));

/** §2.5: one virtual IDT entry (set_trap_table, vcpu_guest_context.trap_ctxt). */
export const trapInfo = struct("trap_info", 8, [
  ["vector", u8, 0],
  ["flags", u8, 1, "bits 1:0 DPL, bit 2 mask events"],
  ["cs", u16, 2],
  ["address", u32, 4, "0 ends a set_trap_table list"],
], archH("§2.5"));

/** §2.6: registers as VCPUOP_initialise takes them. */
export const cpuUserRegs = struct("cpu_user_regs", 68, [
  ["ebx", u32, 0],
  ["ecx", u32, 4],
  ["edx", u32, 8],
  ["esi", u32, 12],
  ["edi", u32, 16],
  ["ebp", u32, 20],
  ["eax", u32, 24],
  ["error_code", u16, 28, "private"],
  ["entry_vector", u16, 30, "private"],
  ["eip", u32, 32],
  ["cs", u16, 36],
  ["saved_upcall_mask", u8, 38],
  ["_pad0", u8, 39],
  ["eflags", u32, 40],
  ["esp", u32, 44],
  ["ss", u16, 48],
  ["_pad1", u16, 50],
  ["es", u16, 52],
  ["_pad2", u16, 54],
  ["ds", u16, 56],
  ["_pad3", u16, 58],
  ["fs", u16, 60],
  ["_pad4", u16, 62],
  ["gs", u16, 64],
  ["_pad5", u16, 66],
], archH("§2.6"));

/** §2.6: the whole initial state of a vCPU (VCPUOP_initialise). */
export const vcpuGuestContext = struct("vcpu_guest_context", 2800, [
  ["fpu_ctxt", array(u8, 512), 0, "FXSAVE image, used if VGCF_i387_valid"],
  ["flags", u32, 512, "VGCF_*"],
  ["user_regs", cpuUserRegs, 516],
  ["trap_ctxt", array(trapInfo, 256), 584],
  ["ldt_base", u32, 2632],
  ["ldt_ents", u32, 2636],
  ["gdt_frames", array(u32, 16), 2640],
  ["gdt_ents", u32, 2704],
  ["kernel_ss", u32, 2708],
  ["kernel_sp", u32, 2712],
  ["ctrlreg", array(u32, 8), 2716, "ctrlreg[3] in xen_pfn_to_cr3 format"],
  ["debugreg", array(u32, 8), 2748],
  ["event_callback_cs", u32, 2780],
  ["event_callback_eip", u32, 2784],
  ["failsafe_callback_cs", u32, 2788],
  ["failsafe_callback_eip", u32, 2792],
  ["vm_assist", u32, 2796, "VMASST_TYPE_* bitmap"],
], archH("§2.6"));

/** start_info.magic for a 32-bit PAE guest (§1.8). */
export const START_INFO = {
  MAGIC: "xen-3.0-x86_32p",
  MAGIC_SIZE: 32,
} as const;

/** start_info.flags (§2.1). */
export const SIF = {
  PRIVILEGED: 1 << 0,
  INITDOMAIN: 1 << 1,
  MULTIBOOT_MOD: 1 << 2,
  MOD_START_PFN: 1 << 3,
  VIRT_P2M_4TOOLS: 1 << 4,
  PM_MASK: 0xff << 8,
} as const;

/** vcpu_time_info.flags (§2.4). */
export const XEN_PVCLOCK = {
  TSC_STABLE_BIT: 1 << 0,
  GUEST_STOPPED: 1 << 1,
} as const;

/** trap_info.flags (§2.5; Xen's TI_GET_DPL / TI_GET_IF). */
export const TRAP_INFO = {
  DPL_MASK: 3,
  MASK_EVENTS: 1 << 2,
} as const;

/** vcpu_guest_context.flags (§2.6). */
export const VGCF = {
  i387_valid: 1 << 0,
  in_kernel: 1 << 2,
  failsafe_disables_events: 1 << 3,
  syscall_disables_events: 1 << 4,
  online: 1 << 5,
} as const;

/** Boot and vCPU structures, nested types first (the order the C header needs). */
export const bootStructs: readonly Compound[] = [
  vcpuTimeInfo,
  archVcpuInfo,
  vcpuInfo,
  archSharedInfo,
  sharedInfo,
  startInfoConsoleDomU,
  startInfoConsoleDom0,
  startInfoConsole,
  startInfo,
  trapInfo,
  cpuUserRegs,
  vcpuGuestContext,
];

export const bootConstants: readonly ConstGroup[] = [
  group("XEN_", { LEGACY_MAX_VCPUS }, "vcpu_info slots in shared_info", "§2.2", "xen.h"),
  group("", { MAX_GUEST_CMDLINE }, "start_info.cmd_line size", "§2.1", "xen.h"),
  group("START_INFO_", START_INFO, "start_info.magic (tsxen names)", "§1.8", "xen.h"),
  group("SIF_", SIF, "start_info.flags", "§2.1", "xen.h", { hex: true }),
  group("XEN_PVCLOCK_", XEN_PVCLOCK, "vcpu_time_info.flags", "§2.4", "xen.h"),
  group("TRAP_INFO_", TRAP_INFO, "trap_info.flags (tsxen names)", "§2.5", "arch-x86/xen.h"),
  group("VGCF_", VGCF, "vcpu_guest_context.flags", "§2.6", "arch-x86/xen.h", { hex: true }),
];
