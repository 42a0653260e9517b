/**
 * PvCpuidPolicy over this machine's own CPUID (src/machine/cpu/cpuid.ts) and
 * over a synthetic, feature-rich Intel and AMD CPU: PV masking, hidden
 * leaves, max-leaf clamping and the Xen leaves at 0x40000000.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuid as machineCpuid } from "../../machine/cpu/cpuid.js";
import { timeScale } from "../core/pv-time.js";
import { PvCpuidPolicy, type CpuidLeaf, type PvCpuidHost } from "./pv-cpuid.js";

function machine(): PvCpuidHost {
  const out = new Int32Array(4);
  return {
    rawCpuid(leaf) { machineCpuid(leaf, out); return [out[0]! >>> 0, out[1]! >>> 0, out[2]! >>> 0, out[3]! >>> 0]; },
    tscKhz: 2_400_000, tscSafe: true, tscOffsetNs: 0x1_0000_0005n, maxMfn: 0x7fff,
  };
}

/** A modern Intel CPU (vendor by default) showing every feature bit and leaf. */
function rich(vendor: readonly [number, number, number] = [0x756e6547, 0x49656e69, 0x6c65746e]): PvCpuidHost {
  return {
    rawCpuid(leaf, subleaf): CpuidLeaf {
      if (leaf === 0) return [0x16, vendor[0], vendor[2], vendor[1]];
      if (leaf === 0x80000000) return [0x80000008, 0x11, 0x22, 0x33];
      if (leaf === 1) return [0x300806ec, 0x05100800, 0xffffffff, 0xffffffff];
      if (leaf === 7) return subleaf === 0 ? [3, 0xffffffff, 0xffffffff, 0xffffffff] : [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff];
      if (leaf === 2) return [0x00feff01 | 0x05, 0xf0, 0, 0];
      if (leaf === 0xd && subleaf === 1) return [0xffffffff, 5, 6, 7];
      if (leaf === 0x80000008) return [0x80000008 ^ 0xa5a5a5a5, 0xffffffff, 0xffffffff, 0xffffffff];
      return [leaf ^ 0xa5a5a5a5, subleaf + 1, 0xffffffff, 0xffffffff];
    },
    tscKhz: 3_000_000, tscSafe: false, tscOffsetNs: 0n, maxMfn: 1,
  };
}

test("this machine: vendor and max leaf, leaf 1 masked (PSE, PGE hidden), HYPERVISOR set, APIC ID cleared", () => {
  const p = new PvCpuidPolicy(machine());
  assert.deepEqual(p.cpuid(0, 0, 0), [4, 0x756e6547, 0x6c65746e, 0x49656e69]);
  const edx = (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 15);
  assert.deepEqual(p.cpuid(1, 0, 0), [0x663, 0, 0x80000000, edx]);
  assert.deepEqual(p.cpuid(1, 0, 1 << 18), [0x663, 0, 0x88000000, edx], "OSXSAVE follows the guest's CR4");
  assert.deepEqual(p.cpuid(2, 0, 0), [0x1, 0, 0, 0x002c307d]);
  assert.deepEqual(p.cpuid(3, 0, 0), [0, 0, 0, 0], "PSN hidden");
  assert.deepEqual(p.cpuid(5, 0, 0), [0, 0, 0, 0], "beyond max leaf: zeros, not the machine's last leaf");
  assert.deepEqual(p.cpuid(0xd, 0, 0), [0, 0, 0, 0]);
});

test("this machine: extended leaves (NX kept, vendor string cleared, address sizes)", () => {
  const p = new PvCpuidPolicy(machine());
  assert.deepEqual(p.cpuid(0x80000000, 0, 0), [0x80000008, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x80000001, 0, 0), [0, 0, 0, 1 << 20]);
  assert.deepEqual(p.cpuid(0x80000008, 0, 0), [0x2024, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x80000009, 0, 0), [0, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x90000000, 0, 0), [0, 0, 0, 0]);
});

test("Xen leaves: signature, version 4.23, hypercall page MSR, time, address width", () => {
  const p = new PvCpuidPolicy(machine());
  assert.deepEqual(p.cpuid(0x40000000, 0, 0), [0x40000005, 0x566e6558, 0x65584d4d, 0x4d4d566e]);
  const sig = p.cpuid(0x40000000, 0, 0).slice(1).map((w) => String.fromCharCode(w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, w >>> 24)).join("");
  assert.equal(sig, "XenVMMXenVMM");
  assert.deepEqual(p.cpuid(0x40000001, 0, 0), [0x00040017, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x40000002, 0, 0), [1, 0x40000000, 1, 0]);
  assert.deepEqual(p.cpuid(0x40000003, 0, 0), [2, 0, 2_400_000, 1]);
  const s = timeScale(2_400_000_000);
  assert.deepEqual(p.cpuid(0x40000003, 1, 0), [5, 1, s.mul, s.shift >>> 0]);
  assert.deepEqual(p.cpuid(0x40000003, 2, 0), [2_400_000, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x40000004, 0, 0), [0, 0, 0, 0], "HVM only");
  assert.deepEqual(p.cpuid(0x40000005, 0, 0), [0, 27, 0, 0], "fls(0x7fff) + 12");
  assert.deepEqual(p.cpuid(0x40000005, 1, 0), [0, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x40000006, 0, 0), [0, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x40000100, 0, 0), [0, 0, 0, 0]);
});

test("a feature-rich Intel CPU: VME PSE MTRR PGE PSE36 DS TM PBE, MONITOR VMX SMX EIST PCID x2APIC … hidden", () => {
  const p = new PvCpuidPolicy(rich());
  assert.equal(p.cpuid(0, 0, 0)[0], 0xd, "max basic leaf clamped to what a policy holds");
  const [a, b, c, d] = p.cpuid(1, 0, 0);
  assert.equal(a, 0x000806ec, "processor type clobbered");
  assert.equal(b, 0x00100800, "initial APIC ID cleared");
  for (const bit of [3, 4, 5, 6, 7, 8, 14, 15, 17, 18, 21, 24, 27]) assert.equal((c >>> bit) & 1, 0, `leaf 1 ECX bit ${bit}`);
  for (const bit of [0, 1, 9, 12, 13, 19, 20, 22, 23, 25, 26, 28, 29, 30, 31]) assert.equal((c >>> bit) & 1, 1, `leaf 1 ECX bit ${bit}`);
  for (const bit of [1, 3, 10, 12, 13, 17, 18, 20, 21, 29, 30, 31]) assert.equal((d >>> bit) & 1, 0, `leaf 1 EDX bit ${bit}`);
  for (const bit of [0, 2, 4, 5, 6, 7, 8, 9, 11, 14, 15, 16, 19, 22, 23, 24, 25, 26, 27, 28]) assert.equal((d >>> bit) & 1, 1, `leaf 1 EDX bit ${bit}`);
  assert.deepEqual(p.cpuid(2, 0, 0), [0x00feff01, 0xf0, 0, 0], "leaf 2 AL forced to 1");
  for (const leaf of [3, 5, 6, 8, 9, 0xa, 0xb, 0xc, 0xe]) assert.deepEqual(p.cpuid(leaf, 0, 0), [0, 0, 0, 0], `leaf ${leaf}`);
  assert.deepEqual(p.cpuid(4, 5, 0), [4 ^ 0xa5a5a5a5, 6, 0xffffffff, 0xffffffff].map((x) => x >>> 0), "cache leaf passed through");
  assert.deepEqual(p.cpuid(4, 6, 0), [0, 0, 0, 0]);
});

test("leaf 7: max subleaf clamped to 2; SMEP SMAP PKU UMIP … hidden, AVX2 BMI ERMS kept", () => {
  const p = new PvCpuidPolicy(rich());
  const [a, b, c] = p.cpuid(7, 0, 0);
  assert.equal(a, 2);
  for (const bit of [7, 20, 10, 14]) assert.equal((b >>> bit) & 1, 0, `7.0 EBX bit ${bit}`); // SMEP SMAP INVPCID MPX
  for (const bit of [0, 3, 5, 8, 9]) assert.equal((b >>> bit) & 1, 1, `7.0 EBX bit ${bit}`);
  for (const bit of [2, 3, 4, 16]) assert.equal((c >>> bit) & 1, 0, `7.0 ECX bit ${bit}`); // UMIP PKU OSPKE LA57
  assert.deepEqual(p.cpuid(7, 1, 0), [0x00801c37, 0, 0, 0x4430]);
  assert.deepEqual(p.cpuid(7, 2, 0), [0, 0, 0, 0x21]);
  assert.deepEqual(p.cpuid(7, 3, 0), [0, 0, 0, 0]);
});

test("XSAVE visible: leaf 0xD passes sizes, subleaf 1 masked; extended leaves on Intel", () => {
  const p = new PvCpuidPolicy(rich());
  assert.deepEqual(p.cpuid(0xd, 0, 0), [(0xd ^ 0xa5a5a5a5) >>> 0, 1, 0xffffffff, 0xffffffff]);
  assert.deepEqual(p.cpuid(0xd, 1, 0), [0x7, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0xd, 2, 0), [(0xd ^ 0xa5a5a5a5) >>> 0, 3, 0xffffffff, 0]);
  assert.deepEqual(p.cpuid(0x80000001, 0, 0), [0, 0, 0x442109e3, 0xea500800]);
  assert.deepEqual(p.cpuid(0x80000006, 0, 0), [0, 0, 0xffffffff, 0]);
  assert.deepEqual(p.cpuid(0x80000007, 0, 0), [0, 0, 0, 0]);
  assert.deepEqual(p.cpuid(0x80000008, 0, 0), [(0x80000008 ^ 0xa5a5a5a5) & 0xffff, 0x64001005, 0, 0]);
  assert.deepEqual(p.cpuid(0x40000003, 0, 0), [4, 0, 3_000_000, 1], "unsafe TSC, RDTSCP on the host");
  assert.equal(p.has(1, 0, 2, 1 << 26), true);
  assert.equal(p.has(1, 0, 2, 1 << 5), false);
});

test("a non-Intel vendor keeps its extended vendor string and leaf 0x80000001 EAX/EBX, loses leaf 2 and 4", () => {
  const amd = new PvCpuidPolicy(rich([0x68747541, 0x69746e65, 0x444d4163]));
  assert.deepEqual(amd.cpuid(0x80000000, 0, 0), [0x80000008, 0x11, 0x22, 0x33]);
  assert.deepEqual(amd.cpuid(0x80000001, 0, 0).slice(0, 2), [(0x80000001 ^ 0xa5a5a5a5) >>> 0, 1]);
  assert.deepEqual(amd.cpuid(2, 0, 0), [0, 0, 0, 0]);
  assert.deepEqual(amd.cpuid(4, 0, 0), [0, 0, 0, 0]);
});
