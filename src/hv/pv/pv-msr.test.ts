/**
 * PvMsrs with a fake host (STYLE §9), then wired into emulatePrivOp with the
 * real CPUID policy over this machine's CPUID, replaying what XTF's
 * cpuid-faulting and msr tests do from ring 1 and ring 3.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Vaddr } from "../../lib/brand.js";
import { cpuid as machineCpuid } from "../../machine/cpu/cpuid.js";
import { EAX, EBX, ECX, EDX } from "../../machine/cpu/registers.js";
import { emulatePrivOp, type PrivOpContext } from "./priv-op.js";
import { PvCpuidPolicy, type CpuidLeaf } from "./pv-cpuid.js";
import { MSR, PvMsrs, XEN_MSR_PAT, type PvMsrHost } from "./pv-msr.js";

const INTEL: CpuidLeaf = [4, 0x756e6547, 0x6c65746e, 0x49656e69];
const AMD: CpuidLeaf = [4, 0x68747541, 0x444d4163, 0x69746e65];

interface FakeHost extends PvMsrHost {
  hostMsrs: Map<number, bigint>;
  pages: number[];
  gpHandler: boolean;
  pageOk: boolean;
}

function host(over: Partial<FakeHost> = {}, vendor = INTEL): FakeHost {
  const h: FakeHost = {
    cpuid: (leaf) => (leaf === 0 ? vendor : [0, 0, 0, 0]),
    hostMsrs: new Map([[MSR.EFER, 0xd01n], [MSR.MISC_ENABLE, 0x850089n], [0x17, 0x12n << 50n], [0x1d9, 0n]]),
    hostRdmsr(m) { return this.hostMsrs.get(m); },
    cpuidFaulting: true, vcpuId: 0,
    tsc: () => 0x1_2345_6789n,
    gpHandler: true, gpHandlerRegistered() { return this.gpHandler; },
    pages: [], pageOk: true,
    writeHypercallPage(gfn) { this.pages.push(gfn); return this.pageOk; },
    ...over,
  };
  return h;
}

test("PLATFORM_INFO advertises CPUID faulting only when the machine has it; it is read-only", () => {
  assert.equal(new PvMsrs(host()).read(MSR.PLATFORM_INFO), 1n << 31n);
  assert.equal(new PvMsrs(host({ cpuidFaulting: false })).read(MSR.PLATFORM_INFO), 0n);
  assert.equal(new PvMsrs(host()).write(MSR.PLATFORM_INFO, 1n << 31n), false);
});

test("MISC_FEATURES_ENABLES: bit 0 writable when offered, reserved bits and unoffered faulting #GP", () => {
  const m = new PvMsrs(host());
  assert.equal(m.read(MSR.MISC_FEATURES_ENABLES), 0n);
  assert.equal(m.write(MSR.MISC_FEATURES_ENABLES, 1n), true);
  assert.equal(m.read(MSR.MISC_FEATURES_ENABLES), 1n);
  assert.equal(m.cpuidFaulting, true);
  assert.equal(m.write(MSR.MISC_FEATURES_ENABLES, 3n), false);
  assert.equal(m.read(MSR.MISC_FEATURES_ENABLES), 1n, "a refused write changes nothing");
  assert.equal(m.write(MSR.MISC_FEATURES_ENABLES, 0n), true);
  assert.equal(m.cpuidFaulting, false);
  const none = new PvMsrs(host({ cpuidFaulting: false }));
  assert.equal(none.write(MSR.MISC_FEATURES_ENABLES, 1n), false);
  assert.equal(none.write(MSR.MISC_FEATURES_ENABLES, 0n), true);
});

test("fixed values: APIC_BASE (BSP on vCPU 0), PAT, TSC, FEATURE_CONTROL, PERF_CAPABILITIES, NB_CFG", () => {
  const m = new PvMsrs(host());
  assert.equal(m.read(MSR.APIC_BASE), 0xfee00900n);
  assert.equal(new PvMsrs(host({ vcpuId: 1 })).read(MSR.APIC_BASE), 0xfee00800n);
  assert.equal(m.read(MSR.PAT), XEN_MSR_PAT);
  assert.equal(m.read(MSR.PAT), 0x0000050100070406n);
  assert.equal(m.read(MSR.TSC), 0x1_2345_6789n);
  assert.equal(m.read(MSR.FEATURE_CONTROL), 1n);
  assert.equal(m.read(MSR.PERF_CAPABILITIES), 0n);
  assert.equal(m.read(MSR.NB_CFG), 0n);
  assert.equal(m.write(MSR.NB_CFG, 5n), true);
  for (const msr of [MSR.APIC_BASE, MSR.PAT, MSR.TSC, MSR.FEATURE_CONTROL, MSR.PERF_CAPABILITIES]) {
    assert.equal(m.write(msr, 0n), false, `WRMSR ${msr.toString(16)}`);
  }
  assert.equal(new PvMsrs(host({}, AMD)).read(MSR.FEATURE_CONTROL), undefined);
});

test("EFER: the host's without LME/LMA (and SCE on Intel); only the same value may be written", () => {
  const m = new PvMsrs(host());
  assert.equal(m.read(MSR.EFER), 0x800n);
  assert.equal(m.write(MSR.EFER, 0x800n), true);
  assert.equal(m.write(MSR.EFER, 0x801n), false);
  assert.equal(m.write(MSR.EFER, 0n), false);
  assert.equal(new PvMsrs(host({}, AMD)).read(MSR.EFER), 0x801n, "SCE stays visible on AMD");
});

test("the hypercall-page MSR: reads 0; a write of gfn << 12 writes the page; index bits or a bad frame #GP", () => {
  const h = host(), m = new PvMsrs(h);
  assert.equal(m.read(0x40000000), 0n);
  assert.equal(m.write(0x40000000, 0x1234n << 12n), true);
  assert.deepEqual(h.pages, [0x1234]);
  assert.equal(m.write(0x40000000, (0x1234n << 12n) | 1n), false);
  h.pageOk = false;
  assert.equal(m.write(0x40000000, 0x99n << 12n), false);
  assert.deepEqual(h.pages, [0x1234, 0x99]);
  assert.equal(m.read(0x40000001), undefined);
  assert.equal(m.write(0x40000001, 0n), false);
});

test("unknown MSRs #GP, except RDMSR of a host MSR while the guest has no #GP handler (reads 0)", () => {
  const h = host(), m = new PvMsrs(h);
  assert.equal(m.read(0x174), undefined, "SYSENTER_CS");
  assert.equal(m.read(0xc0000100), undefined, "FS_BASE: no long mode in the policy");
  h.hostMsrs.set(0x174, 0x10n);
  assert.equal(m.read(0x174), undefined);
  h.gpHandler = false;
  assert.equal(m.read(0x174), 0n, "faked");
  assert.equal(m.read(0x175), undefined, "not on the host either");
  h.hostMsrs.set(0x40000010, 1n);
  assert.equal(m.read(0x40000010), undefined, "0x4000xxxx is never faked");
  assert.equal(m.write(0x174, 0n), false, "writes are never faked");
});

test("DEBUGCTL reads 0 (XTF debug-regs) and takes only 0", () => {
  const m = new PvMsrs(host());
  assert.equal(m.read(MSR.DEBUGCTL), 0n);
  assert.equal(m.write(MSR.DEBUGCTL, 0n), true);
  assert.equal(m.write(MSR.DEBUGCTL, 1n), false);
});

test("MISC_ENABLE: host value with PERF_AVAIL/MONITOR off and BTS/PEBS/xTPR bits on; writes ignored", () => {
  const m = new PvMsrs(host());
  assert.equal(m.read(MSR.MISC_ENABLE), (0x850089n & ~0x40080n) | 0x801800n);
  assert.equal(m.write(MSR.MISC_ENABLE, 0n), true);
  assert.equal(m.read(MSR.MISC_ENABLE), 0x811809n);
  const h = host();
  h.hostMsrs.delete(MSR.MISC_ENABLE);
  assert.equal(new PvMsrs(h).read(MSR.MISC_ENABLE), undefined);
  assert.equal(new PvMsrs(h).write(MSR.MISC_ENABLE, 0n), false);
});

test("vMCE: MCG_CAP, two banks (CTL all-ones, STATUS only cleared), CTL2 stored, later banks RAZ/WI", () => {
  const m = new PvMsrs(host());
  assert.equal(m.read(MSR.MCG_CAP), 0x01000c02n);
  assert.equal(new PvMsrs(host({}, AMD)).read(MSR.MCG_CAP), 2n);
  assert.equal(m.read(MSR.MCG_CTL), 0n);
  assert.equal(m.write(MSR.MCG_STATUS, 4n), true);
  assert.equal(m.read(MSR.MCG_STATUS), 4n);
  assert.equal(m.read(0x400), (1n << 64n) - 1n);
  assert.equal(m.read(0x405), 0n);
  assert.equal(m.write(0x405, 7n), false, "MC1_STATUS may only be cleared");
  assert.equal(m.write(0x405, 0n), true);
  assert.equal(m.write(0x400, 0n), true, "MCi_CTL writes ignored");
  assert.equal(m.read(0x400), (1n << 64n) - 1n);
  assert.equal(m.write(0x281, 0x7fffn), true);
  assert.equal(m.read(0x281), 0x7fffn);
  assert.equal(m.read(0x408), 0n);
  assert.equal(m.write(0x408, 9n), true);
  assert.equal(m.read(0x282), 0n);
  assert.equal(m.read(MSR.MCG_EXT_CTL), undefined);
  assert.equal(m.read(MSR.P5_MC_ADDR), 0n);
  assert.equal(m.write(MSR.P5_MC_ADDR, 0n), false);
});

test("Intel power/perf MSRs: counters RAZ/WI (vPMU off), PERF_CTL and friends write-discard", () => {
  const m = new PvMsrs(host()), amd = new PvMsrs(host({}, AMD));
  for (const msr of [0xc1, 0x186, 0x309, 0x38f]) {
    assert.equal(m.read(msr), 0n);
    assert.equal(m.write(msr, 123n), true);
    assert.equal(amd.read(msr), undefined);
  }
  for (const msr of [MSR.PERF_CTL, MSR.MPERF, MSR.APERF, MSR.THERM_CONTROL, MSR.ENERGY_PERF_BIAS]) assert.equal(m.write(msr, 1n), true);
  assert.equal(m.read(MSR.PERF_STATUS), 0n);
  assert.equal(m.write(MSR.PERF_STATUS, 0n), false);
  assert.equal(m.write(MSR.UCODE_REV, 0n), true);
  assert.equal(m.write(MSR.UCODE_REV, 1n), false);
  assert.equal(m.read(0x17), 0x12n << 50n, "PLATFORM_ID from the host");
});

// ── wired into the emulator: XTF cpuid-faulting and msr from the guest's side ──

function vcpu(code: number[], msrs: PvMsrs, policy: PvCpuidPolicy): PrivOpContext & { cs: number } {
  const mem = new Map<number, number>();
  code.forEach((b, k) => mem.set(0x1000 + k, b));
  const flat = { base: 0, limit: 0xffffffff, attr: 0xc093 };
  return {
    regs: new Int32Array(8), eip: 0x1000, eflags: 0x202, cs: 0xe019,
    segment: (s) => (s === 1 ? { ...flat, attr: 0xc09b } : flat),
    guest: {
      copyFromGuest: (va: Vaddr, len: number) => Uint8Array.from({ length: len }, (_, k) => mem.get(va + k) ?? 0),
      copyToGuest: () => false,
    },
    iopl: 0, architecturalIopl: false, ioBitmap: undefined, ioState: { cmosIndex: 0, pciCf8: 0 },
    ioBreakpoints: () => 0,
    cpuid: (l, s) => policy.cpuid(l, s, 0x20),
    msr: msrs, hostCr0: 0x80050033, hostCr4: 0x20, ts: false, fpuTaskswitch: () => {},
    cr2: 0, setCr2: () => {}, baseptr: 0, newBaseptr: () => 0, cr4: 0x20, setCr4: () => {},
    getDebugreg: () => 0, setDebugreg: () => 0,
  };
}

test("XTF cpuid-faulting: probe PLATFORM_INFO, enable faulting, user CPUID and FEP CPUID #GP, kernel CPUID works", () => {
  const out = new Int32Array(4);
  const policy = new PvCpuidPolicy({
    rawCpuid(l) { machineCpuid(l, out); return [out[0]!, out[1]!, out[2]!, out[3]!]; },
    tscKhz: 1000, tscSafe: true, tscOffsetNs: 0n, maxMfn: 0xffff,
  });
  const msrs = new PvMsrs({ ...host(), cpuid: (l, s) => policy.cpuid(l, s, 0) });
  const rd = vcpu([0x0f, 0x32], msrs, policy);
  rd.regs[ECX] = 0xce;
  assert.equal(emulatePrivOp(rd, "gp").handled, true);
  assert.equal(rd.regs[EAX], 1 << 31);
  assert.equal(rd.regs[EDX], 0);
  const wr = vcpu([0x0f, 0x30], msrs, policy);
  wr.regs[ECX] = 0x140; wr.regs[EAX] = 1;
  assert.deepEqual(emulatePrivOp(wr, "gp"), { handled: true, singleStep: false, dr6: 0 });
  const user = vcpu([0x0f, 0xa2], msrs, policy);
  user.cs = 0xe02b;
  assert.deepEqual(emulatePrivOp(user, "gp"), { handled: true, fault: { vector: 13, errorCode: 0 } });
  const userFep = vcpu([0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2], msrs, policy);
  userFep.cs = 0xe02b;
  assert.deepEqual(emulatePrivOp(userFep, "ud"), { handled: true, fault: { vector: 13, errorCode: 0 } });
  assert.equal(userFep.eip, 0x1005);
  const kern = vcpu([0x0f, 0xa2], msrs, policy);
  assert.equal(emulatePrivOp(kern, "gp").handled, true);
  assert.deepEqual([kern.regs[EAX], kern.regs[EBX], kern.regs[ECX], kern.regs[EDX]], [4, 0x756e6547, 0x6c65746e, 0x49656e69]);
  // XTF msr: an unknown MSR read from ring 1 after the trap table exists bounces #GP(0)
  const unknown = vcpu([0x0f, 0x32], msrs, policy);
  unknown.regs[ECX] = 0x2;
  assert.deepEqual(emulatePrivOp(unknown, "gp"), { handled: true, fault: { vector: 13, errorCode: 0 } });
  assert.equal(unknown.eip, 0x1000);
});
