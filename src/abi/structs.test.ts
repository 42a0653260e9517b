/**
 * Every structure size and field offset the ABI document gives
 * (docs/xen-pv32-abi.md §2, §4, §9.2, §11.3), re-typed here from the document
 * so that the tables in src/abi would have to be wrong twice to pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { locate, type Compound } from "./layout.js";
import * as boot from "./structs.js";
import * as hc from "./hypercall-structs.js";
import * as ev from "./event-channels.js";
import * as gt from "./grant-tables.js";
import * as rings from "./rings.js";

/** [path, offset] or [path, offset, size] rows, as the document's tables print them. */
type Row = readonly [string, number, number?];

function check(s: Compound, size: number, rows: readonly Row[]): void {
  assert.equal(s.size, size, `sizeof(${s.name})`);
  for (const [path, offset, bytes] of rows) {
    const at = locate(s, path);
    assert.equal(at.offset, offset, `${s.name}.${path} offset`);
    if (bytes !== undefined) assert.equal(at.size, bytes, `${s.name}.${path} size`);
  }
}

test("§2.1 start_info is 1112 bytes", () => {
  check(boot.startInfo, 1112, [
    ["magic", 0, 32], ["nr_pages", 32, 4], ["shared_info", 36, 4], ["flags", 40, 4],
    ["store_mfn", 44, 4], ["store_evtchn", 48, 4],
    ["console.domU.mfn", 52, 4], ["console.domU.evtchn", 56, 4],
    ["console.dom0.info_off", 52, 4], ["console.dom0.info_size", 56, 4],
    ["pt_base", 60, 4], ["nr_pt_frames", 64, 4], ["mfn_list", 68, 4], ["mod_start", 72, 4],
    ["mod_len", 76, 4], ["cmd_line", 80, 1024], ["first_p2m_pfn", 1104, 4], ["nr_p2m_frames", 1108, 4],
  ]);
  assert.deepEqual(boot.SIF, { PRIVILEGED: 1, INITDOMAIN: 2, MULTIBOOT_MOD: 4, MOD_START_PFN: 8, VIRT_P2M_4TOOLS: 16, PM_MASK: 0xff00 });
  assert.equal(boot.START_INFO.MAGIC, "xen-3.0-x86_32p");
});

test("§2.2 shared_info is 2344 bytes; vCPU n at 64·n", () => {
  check(boot.sharedInfo, 2344, [
    ["vcpu_info", 0, 32 * 64], ["vcpu_info[5]", 5 * 64, 64], ["vcpu_info[31].time.version", 31 * 64 + 32],
    ["evtchn_pending", 2048, 128], ["evtchn_mask", 2176, 128],
    ["wc_version", 2304, 4], ["wc_sec", 2308, 4], ["wc_nsec", 2312, 4],
    ["arch.max_pfn", 2316, 4], ["arch.pfn_to_mfn_frame_list_list", 2320, 4], ["arch.nmi_reason", 2324, 4],
    ["arch.p2m_cr3", 2328, 4], ["arch.p2m_vaddr", 2332, 4], ["arch.p2m_generation", 2336, 4],
    ["arch.wc_sec_hi", 2340, 4],
  ]);
});

test("§2.3 vcpu_info is 64 bytes, §2.4 vcpu_time_info 32", () => {
  check(boot.vcpuInfo, 64, [
    ["evtchn_upcall_pending", 0, 1], ["evtchn_upcall_mask", 1, 1], ["evtchn_pending_sel", 4, 4],
    ["arch.cr2", 8, 4], ["arch.pad", 12, 20], ["time", 32, 32],
  ]);
  check(boot.vcpuTimeInfo, 32, [
    ["version", 0, 4], ["pad0", 4, 4], ["tsc_timestamp", 8, 8], ["system_time", 16, 8],
    ["tsc_to_system_mul", 24, 4], ["tsc_shift", 28, 1], ["flags", 29, 1], ["pad1", 30, 2],
  ]);
});

test("§2.5 trap_info is 8 bytes", () => {
  check(boot.trapInfo, 8, [["vector", 0, 1], ["flags", 1, 1], ["cs", 2, 2], ["address", 4, 4]]);
});

test("§2.6 cpu_user_regs is 68 bytes, vcpu_guest_context 2800", () => {
  check(boot.cpuUserRegs, 68, [
    ["ebx", 0, 4], ["ecx", 4, 4], ["edx", 8, 4], ["esi", 12, 4], ["edi", 16, 4], ["ebp", 20, 4], ["eax", 24, 4],
    ["error_code", 28, 2], ["entry_vector", 30, 2], ["eip", 32, 4], ["cs", 36, 2], ["saved_upcall_mask", 38, 1],
    ["_pad0", 39, 1], ["eflags", 40, 4], ["esp", 44, 4], ["ss", 48, 2], ["es", 52, 2], ["ds", 56, 2],
    ["fs", 60, 2], ["gs", 64, 2],
  ]);
  check(boot.vcpuGuestContext, 2800, [
    ["fpu_ctxt", 0, 512], ["flags", 512, 4], ["user_regs", 516, 68], ["trap_ctxt", 584, 2048],
    ["ldt_base", 2632, 4], ["ldt_ents", 2636, 4], ["gdt_frames", 2640, 64], ["gdt_ents", 2704, 4],
    ["kernel_ss", 2708, 4], ["kernel_sp", 2712, 4], ["ctrlreg", 2716, 32], ["ctrlreg[3]", 2728, 4],
    ["debugreg", 2748, 32], ["event_callback_cs", 2780, 4], ["event_callback_eip", 2784, 4],
    ["failsafe_callback_cs", 2788, 4], ["failsafe_callback_eip", 2792, 4], ["vm_assist", 2796, 4],
    ["trap_ctxt[13].address", 584 + 13 * 8 + 4],
  ]);
  assert.deepEqual(boot.VGCF, { i387_valid: 1, in_kernel: 4, failsafe_disables_events: 8, syscall_disables_events: 16, online: 32 });
});

test("§4.2 mmu_update 16, §4.22 mmuext_op 12, §4.12 multicall_entry 32", () => {
  check(hc.mmuUpdate, 16, [["ptr", 0, 8], ["val", 8, 8]]);
  check(hc.mmuextOp, 12, [["cmd", 0, 4], ["arg1.mfn", 4, 4], ["arg1.linear_addr", 4, 4],
    ["arg2.nr_ents", 8, 4], ["arg2.vcpumask", 8, 4], ["arg2.src_mfn", 8, 4]]);
  check(hc.multicallEntry, 32, [["op", 0, 4], ["result", 4, 4], ["args", 8, 24]]);
});

test("§4.5 callback_register 12 / unregister 4, §4.23 xennmi_callback 8", () => {
  check(hc.callbackRegister, 12, [["type", 0, 2], ["flags", 2, 2], ["address.cs", 4, 4], ["address.eip", 8, 4]]);
  check(hc.callbackUnregister, 4, [["type", 0, 2]]);
  check(hc.xennmiCallback, 8, [["handler_address", 0, 4], ["pad", 4, 4]]);
});

test("§4.7 sched_op structures", () => {
  check(hc.schedShutdown, 4, [["reason", 0, 4]]);
  check(hc.schedPoll, 16, [["ports", 0, 4], ["nr_ports", 4, 4], ["timeout", 8, 8]]);
  check(hc.schedRemoteShutdown, 8, [["domain_id", 0, 2], ["reason", 4, 4]]);
  check(hc.schedWatchdog, 8, [["id", 0, 4], ["timeout", 4, 4]]);
});

test("§4.11 memory_op structures", () => {
  check(hc.xenMemoryReservation, 20, [["extent_start", 0, 4], ["nr_extents", 4, 4], ["extent_order", 8, 4],
    ["mem_flags", 12, 4], ["domid", 16, 2]]);
  check(hc.xenMemoryExchange, 44, [["in", 0, 20], ["out", 20, 20], ["nr_exchanged", 40, 4]]);
  check(hc.xenMachphysMfnList, 12, [["max_extents", 0, 4], ["extent_start", 4, 4], ["nr_extents", 8, 4]]);
  check(hc.xenMachphysMapping, 12, [["v_start", 0, 4], ["v_end", 4, 4], ["max_mfn", 8, 4]]);
  check(hc.xenMemoryMap, 8, [["nr_entries", 0, 4], ["buffer", 4, 4]]);
  check(hc.e820Entry, 20, [["addr", 0, 8], ["size", 8, 8], ["type", 16, 4]]);
});

test("§4.15 xen_version structures, §4.17 physdev structures", () => {
  check(hc.xenCompileInfo, 144, [["compiler", 0, 64], ["compile_by", 64, 16], ["compile_domain", 80, 32], ["compile_date", 112, 32]]);
  check(hc.xenFeatureInfo, 8, [["submap_idx", 0, 4], ["submap", 4, 4]]);
  check(hc.xenPlatformParameters, 4, [["virt_start", 0, 4]]);
  check(hc.physdevSetIopl, 4, [["iopl", 0, 4]]);
  check(hc.physdevSetIobitmap, 8, [["bitmap", 0, 4], ["nr_ports", 4, 4]]);
});

test("§4.21 vcpu_op structures", () => {
  check(hc.vcpuRunstateInfo, 44, [["state", 0, 4], ["state_entry_time", 4, 8], ["time", 12, 32]]);
  check(hc.vcpuRegisterRunstateMemoryArea, 8, [["addr", 0, 8]]);
  check(hc.vcpuSetPeriodicTimer, 8, [["period_ns", 0, 8]]);
  check(hc.vcpuSetSingleshotTimer, 12, [["timeout_abs_ns", 0, 8], ["flags", 8, 4]]);
  check(hc.vcpuRegisterVcpuInfo, 16, [["mfn", 0, 8], ["offset", 8, 4], ["rsvd", 12, 4]]);
});

test("§4.14 event_channel_op structures", () => {
  check(ev.evtchnBindInterdomain, 12, [["remote_dom", 0, 2], ["remote_port", 4, 4], ["local_port", 8, 4]]);
  check(ev.evtchnBindVirq, 12, [["virq", 0, 4], ["vcpu", 4, 4], ["port", 8, 4]]);
  check(ev.evtchnBindPirq, 12, [["pirq", 0, 4], ["flags", 4, 4], ["port", 8, 4]]);
  check(ev.evtchnClose, 4, [["port", 0, 4]]);
  check(ev.evtchnSend, 4, [["port", 0, 4]]);
  check(ev.evtchnStatus, 24, [["dom", 0, 2], ["port", 4, 4], ["status", 8, 4], ["vcpu", 12, 4], ["u", 16, 8],
    ["u.unbound.dom", 16, 2], ["u.interdomain.dom", 16, 2], ["u.interdomain.port", 20, 4], ["u.pirq", 16, 4], ["u.virq", 16, 4]]);
  check(ev.evtchnAllocUnbound, 8, [["dom", 0, 2], ["remote_dom", 2, 2], ["port", 4, 4]]);
  check(ev.evtchnBindIpi, 8, [["vcpu", 0, 4], ["port", 4, 4]]);
  check(ev.evtchnBindVcpu, 8, [["port", 0, 4], ["vcpu", 4, 4]]);
  check(ev.evtchnUnmask, 4, [["port", 0, 4]]);
  check(ev.evtchnReset, 2, [["dom", 0, 2]]);
  check(ev.evtchnInitControl, 24, [["control_gfn", 0, 8], ["offset", 8, 4], ["vcpu", 12, 4], ["link_bits", 16, 1], ["_pad", 17, 7]]);
  check(ev.evtchnExpandArray, 8, [["array_gfn", 0, 8]]);
  check(ev.evtchnSetPriority, 8, [["port", 0, 4], ["priority", 4, 4]]);
});

test("§4.18 grant_table_op structures and the v1 grant entry", () => {
  check(gt.gnttabMapGrantRef, 32, [["host_addr", 0, 8], ["flags", 8, 4], ["ref", 12, 4], ["dom", 16, 2],
    ["status", 18, 2], ["handle", 20, 4], ["dev_bus_addr", 24, 8]]);
  check(gt.gnttabUnmapGrantRef, 24, [["host_addr", 0, 8], ["dev_bus_addr", 8, 8], ["handle", 16, 4], ["status", 20, 2]]);
  check(gt.gnttabSetupTable, 16, [["dom", 0, 2], ["nr_frames", 4, 4], ["status", 8, 2], ["frame_list", 12, 4]]);
  check(gt.gnttabDumpTable, 4, [["dom", 0, 2]]);
  check(gt.gnttabTransfer, 16, [["mfn", 0, 4], ["domid", 4, 2], ["ref", 8, 4], ["status", 12, 2]]);
  check(gt.gnttabCopy, 24, [["source.u.ref", 0, 4], ["source.domid", 4, 2], ["source.offset", 6, 2], ["dest", 8, 8],
    ["len", 16, 2], ["flags", 18, 2], ["status", 20, 2]]);
  check(gt.gnttabQuerySize, 16, [["dom", 0, 2], ["nr_frames", 4, 4], ["max_nr_frames", 8, 4], ["status", 12, 2]]);
  check(gt.gnttabSetVersion, 4, [["version", 0, 4]]);
  check(gt.gnttabGetVersion, 8, [["dom", 0, 2], ["version", 4, 4]]);
  check(gt.grantEntryV1, 8, [["flags", 0, 2], ["domid", 2, 2], ["frame", 4, 4]]);
});

test("§9.2 xencons_interface (3092 bytes; connection @3088 is where §1.5 writes 1)", () => {
  check(rings.xenconsInterface, 3092, [["in", 0, 1024], ["out", 1024, 2048], ["in_cons", 3072, 4], ["in_prod", 3076, 4],
    ["out_cons", 3080, 4], ["out_prod", 3084, 4], ["connection", 3088, 1]]);
  assert.equal(rings.XENCONSOLE.DISCONNECTED, 1);
  assert.equal(rings.XENCONSOLE.CONNECTED, 0);
});

test("§11.3 xenstore_domain_interface and the message header", () => {
  check(rings.xenstoreDomainInterface, 2080, [["req", 0, 1024], ["rsp", 1024, 1024], ["req_cons", 2048, 4],
    ["req_prod", 2052, 4], ["rsp_cons", 2056, 4], ["rsp_prod", 2060, 4], ["server_features", 2064, 4],
    ["connection", 2068, 4], ["error", 2072, 4]]);
  check(rings.xsdSockmsg, 16, [["type", 0, 4], ["req_id", 4, 4], ["tx_id", 8, 4], ["len", 12, 4]]);
  assert.equal(rings.XS.WATCH_EVENT, 15);
  assert.equal(rings.XS.RESET_WATCHES, 21);
  assert.equal(rings.XS.SET_QUOTA, 26);
});
