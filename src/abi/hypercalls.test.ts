/**
 * Hypercall and sub-op numbers against docs/xen-pv32-abi.md §4, and the
 * hypercall page bytes against §3.2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CALLBACKTYPE,
  DOMID,
  EVTCHNOP,
  GNTTABOP,
  HYPERCALL,
  MMU,
  MMUEXT,
  NR_HYPERCALLS,
  SCHEDOP,
  SHUTDOWN,
  UVMF,
  VCPUOP,
  VMASST_TYPE,
  XENMEM,
  XENVER,
  hypercallInfo,
  hypercallTable,
} from "./hypercalls.js";
import { HYPERCALL_PAGE, hypercallPage, hypercallStub } from "./hypercall-page.js";

/** §4.0, column by column. */
const documented: readonly (readonly [number, string])[] = [
  [0, "set_trap_table"], [1, "mmu_update"], [2, "set_gdt"], [3, "stack_switch"], [4, "set_callbacks"],
  [5, "fpu_taskswitch"], [6, "sched_op_compat"], [7, "platform_op"], [8, "set_debugreg"], [9, "get_debugreg"],
  [10, "update_descriptor"], [12, "memory_op"], [13, "multicall"], [14, "update_va_mapping"], [15, "set_timer_op"],
  [16, "event_channel_op_compat"], [17, "xen_version"], [18, "console_io"], [19, "physdev_op_compat"],
  [20, "grant_table_op"], [21, "vm_assist"], [22, "update_va_mapping_otherdomain"], [23, "iret"], [24, "vcpu_op"],
  [25, "set_segment_base"], [26, "mmuext_op"], [27, "xsm_op"], [28, "nmi_op"], [29, "sched_op"], [30, "callback_op"],
  [31, "xenoprof_op"], [32, "event_channel_op"], [33, "physdev_op"], [34, "hvm_op"], [35, "sysctl"], [36, "domctl"],
  [37, "kexec_op"], [38, "tmem_op"], [39, "argo_op"], [40, "xenpmu_op"], [41, "dm_op"], [42, "hypfs_op"],
  [48, "arch_0"], [49, "arch_1"], [50, "arch_2"], [51, "arch_3"], [52, "arch_4"], [53, "arch_5"], [54, "arch_6"], [55, "arch_7"],
];

test("§4.0: every hypercall number, and only those", () => {
  assert.deepEqual(hypercallTable.map((h) => [h.number, h.name]), documented);
  for (const [number, name] of documented) assert.equal((HYPERCALL as Readonly<Record<string, number>>)[name], number);
  for (const unused of [11, 43, 44, 45, 46, 47, 56, 63]) assert.equal(hypercallInfo(unused), undefined);
  assert.equal(NR_HYPERCALLS, 64);
  assert.ok(hypercallTable.every((h) => h.number < NR_HYPERCALLS && h.args.length <= 5));
});

test("§4.0: argument counts of the calls the targets use", () => {
  const argc = (n: number): number | undefined => hypercallInfo(n)?.args.length;
  assert.equal(argc(HYPERCALL.mmu_update), 4);
  assert.equal(argc(HYPERCALL.update_va_mapping), 4);
  assert.equal(argc(HYPERCALL.console_io), 3);
  assert.equal(argc(HYPERCALL.grant_table_op), 3);
  assert.equal(argc(HYPERCALL.update_va_mapping_otherdomain), 5);
  assert.equal(argc(HYPERCALL.iret), 0);
});

test("sub-op numbers (§4.2, §4.7, §4.11, §4.13, §4.14, §4.15, §4.18, §4.19, §4.21, §4.22, §4.5)", () => {
  assert.deepEqual(MMU, { NORMAL_PT_UPDATE: 0, MACHPHYS_UPDATE: 1, PT_UPDATE_PRESERVE_AD: 2, PT_UPDATE_NO_TRANSLATE: 3 });
  assert.equal(DOMID.SELF, 0x7ff0);
  assert.equal(DOMID.IO, 0x7ff1);
  assert.deepEqual(
    [MMUEXT.PIN_L1_TABLE, MMUEXT.PIN_L3_TABLE, MMUEXT.UNPIN_TABLE, MMUEXT.NEW_BASEPTR, MMUEXT.TLB_FLUSH_ALL, MMUEXT.SET_LDT,
      MMUEXT.NEW_USER_BASEPTR, MMUEXT.CLEAR_PAGE, MMUEXT.COPY_PAGE, MMUEXT.UNMARK_SUPER],
    [0, 2, 4, 5, 10, 13, 15, 16, 17, 20],
  );
  assert.ok(!Object.values(MMUEXT).includes(14 as never));
  assert.deepEqual([UVMF.NONE, UVMF.TLB_FLUSH, UVMF.INVLPG, UVMF.LOCAL, UVMF.ALL], [0, 1, 2, 0, 4]);
  assert.deepEqual(Object.values(SCHEDOP), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(SHUTDOWN, { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 });
  assert.deepEqual(
    [XENMEM.increase_reservation, XENMEM.maximum_reservation, XENMEM.populate_physmap, XENMEM.memory_map,
      XENMEM.exchange, XENMEM.machphys_mapping, XENMEM.maximum_gpfn, XENMEM.machphys_compat_mfn_list],
    [0, 4, 6, 9, 11, 12, 14, 25],
  );
  assert.deepEqual(Object.values(EVTCHNOP), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.equal(EVTCHNOP.alloc_unbound, 6);
  assert.equal(XENVER.platform_parameters, 5);
  assert.equal(XENVER.get_features, 6);
  assert.equal(GNTTABOP.setup_table, 2);
  assert.equal(GNTTABOP.set_version, 8);
  assert.equal(VMASST_TYPE.pae_extended_cr3, 3);
  assert.equal(VMASST_TYPE.m2p_strict, 32);
  assert.equal(VCPUOP.set_singleshot_timer, 8);
  assert.equal(VCPUOP.register_vcpu_info, 10);
  assert.deepEqual(CALLBACKTYPE, { event: 0, failsafe: 1, syscall: 2, sysenter_deprecated: 3, nmi: 4, sysenter: 5, syscall32: 7 });
});

test("§3.2: an ordinary stub is mov $n,%eax; int $0x82; ret, then INT3s", () => {
  const stub = hypercallStub(HYPERCALL.console_io);
  assert.deepEqual([...stub.subarray(0, 8)], [0xb8, 18, 0, 0, 0, 0xcd, 0x82, 0xc3]);
  assert.ok(stub.subarray(8).every((b) => b === 0xcc));
  assert.equal(stub.length, 32);
});

test("§3.2: the iret stub pushes EAX and has no ret", () => {
  assert.deepEqual([...hypercallStub(23).subarray(0, 8)], [0x50, 0xb8, 0x17, 0, 0, 0, 0xcd, 0x82]);
  assert.ok(hypercallStub(23).subarray(8).every((b) => b === 0xcc));
});

test("§3.2, §1.10: the page holds 128 stubs, stub n at 32·n, byte 0 is not XTF's 0xC3 poison", () => {
  const page = hypercallPage();
  assert.equal(page.length, 4096);
  assert.equal(HYPERCALL_PAGE.STUBS * HYPERCALL_PAGE.STUB_SIZE, 4096);
  assert.notEqual(page[0], 0xc3);
  for (const n of [0, 1, 29, 63, 64, 127]) {
    assert.deepEqual([...page.subarray(32 * n, 32 * n + 5)], [0xb8, n, 0, 0, 0], `stub ${n}`);
  }
  assert.deepEqual([...page.subarray(32 * 23, 32 * 23 + 2)], [0x50, 0xb8]);
  assert.equal(HYPERCALL_PAGE.RING3_GP_ERROR_CODE, 0x412);
});
