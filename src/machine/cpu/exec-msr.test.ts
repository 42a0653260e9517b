/**
 * CPUID faulting (Intel's "CPUID faulting" feature, which a hypervisor can
 * offer its guests): MSR_PLATFORM_INFO (0xCE) bit 31 says it exists (as Linux's
 * MSR_PLATFORM_INFO_CPUID_FAULT_BIT and Xen's PLATFORM_INFO_CPUID_FAULTING), and
 * MISC_FEATURES_ENABLES (0x140) bit 0 makes CPUID at CPL > 0 raise #GP(0)
 * while CPL 0 still executes it. Plus the TSC MSR following simulated time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CODE, Code, EXIT, SEL_CODE0, SEL_CODE3, SEL_DATA3, SEL_TSS, TSS, flatGdt, gate, le32, runCode,
} from "./test-machine.js";
import { EAX, EBX, EDX, ESI, EDI } from "./registers.js";

test("CPUID faulting: advertised in PLATFORM_INFO, CPUID at CPL 3 is #GP(0) once enabled, CPL 0 unaffected", () => {
  const RING3 = 0x3000;
  const boot = new Code(CODE)
    .emit(0xb9, ...le32(0xce)).emit(0x0f, 0x32) // rdmsr PLATFORM_INFO
    .emit(0x89, 0xc6) // mov esi, eax (bit 31 = CPUID faulting supported)
    .emit(0xb9, ...le32(0x140)).emit(0xb8, ...le32(1)).emit(0x31, 0xd2).emit(0x0f, 0x30) // wrmsr MISC_FEATURES_ENABLES = 1
    .emit(0x31, 0xc0).emit(0x0f, 0xa2) // cpuid leaf 0 at CPL 0
    .emit(0x89, 0xdf) // mov edi, ebx ("Genu")
    .emit(0x66, 0xb8, SEL_TSS, 0).emit(0x0f, 0x00, 0xd8) // ltr
    .emit(0x6a, SEL_DATA3).emit(0x68, ...le32(0x6000)).emit(0x9c).emit(0x6a, SEL_CODE3).emit(0x68, ...le32(RING3))
    .emit(0xcf); // iret to ring 3
  const ring3 = new Code(RING3).emit(0x31, 0xc0).emit(0x0f, 0xa2); // cpuid at CPL 3 -> #GP(0)
  const hgp = new Code(0x2200).emit(0x5b).emit(0x8b, 0x14, 0x24).emit(...EXIT); // pop ebx (error code); mov edx, [esp] (EIP)
  const r = runCode(boot, {
    setup: (tm) => {
      flatGdt(tm);
      for (const c of [ring3, hgp]) c.place(tm.pc);
      tm.pc.ram.write32(TSS + 4, 0x9000);
      tm.pc.ram.write32(TSS + 8, 0x10);
      gate(tm, 13, SEL_CODE0, 0x2200, 0);
    },
  });
  assert.equal(r.after.regs[ESI]! >>> 31, 1, "PLATFORM_INFO bit 31");
  assert.equal(r.after.regs[EDI], 0x756e6547, "CPUID still works at CPL 0");
  assert.equal(r.after.regs[EBX], 0, "#GP error code 0");
  assert.equal(r.after.regs[EDX], RING3 + 2, "#GP at the CPUID instruction");
  assert.equal(r.after.regs[EAX], 0, "CPUID at CPL 3 changed nothing");
});

test("RDMSR of the TSC follows simulated time and WRMSR sets it", () => {
  const boot = new Code(CODE)
    .emit(0xb9, ...le32(0x10)).emit(0x31, 0xc0).emit(0xba, ...le32(5)).emit(0x0f, 0x30) // wrmsr TSC = 5 << 32
    .emit(0x0f, 0x31) // rdtsc
    .emit(0x89, 0xd6) // mov esi, edx
    .emit(...EXIT);
  const r = runCode(boot);
  assert.equal(r.after.regs[ESI], 5, "high half as written (a few cycles cannot carry into it)");
});
