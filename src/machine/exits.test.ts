/**
 * The ring-0 host interface with a small host written here: ring-1 code
 * makes INT 0x80 (bounced to the host, which returns a value in EAX), takes
 * a page fault (the host maps the page and the instruction restarts), goes
 * to ring 3, where INT 0x85 reaches a ring-1 handler through a DPL-3 gate
 * without the host, and INT 0x82 through a DPL-1 gate is #GP((0x82<<3)|2),
 * delivered to the host as vector 13.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pc } from "./pc.js";
import { CS, DS, EAX, EBX, ES, ESP, FS, GS, SS } from "./cpu/registers.js";
import { setSegment } from "./cpu/segmentation.js";
import type { TrapFrame } from "./exits.js";

const GDT = 0x1000, IDT = 0x2000, TSS = 0x2800, CODE1 = 0x3000, HANDLER1 = 0x3800, CODE3 = 0x4000;
const PD = 0x10000, PT = 0x11000;

function descriptor(pc: Pc, index: number, base: number, limit: number, access: number, flags: number): void {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | (flags << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff);
  pc.ram.write32(GDT + index * 8, lo);
  pc.ram.write32(GDT + index * 8 + 4, hi);
}

function gate(pc: Pc, vector: number, sel: number, offset: number, dpl: number): void {
  pc.ram.write32(IDT + vector * 8, (sel << 16) | (offset & 0xffff));
  pc.ram.write32(IDT + vector * 8 + 4, (offset & 0xffff0000) | 0x8e00 | (dpl << 13));
}

function machine(): Pc {
  const pc = new Pc({ memoryMiB: 4, serial: () => {} });
  descriptor(pc, 1, 0, 0xfffff, 0x9a, 0xc); // 0x08 ring-0 code
  descriptor(pc, 2, 0, 0xfffff, 0x92, 0xc); // 0x10 ring-0 data
  descriptor(pc, 3, 0, 0xfffff, 0xba, 0xc); // 0x19 ring-1 code
  descriptor(pc, 4, 0, 0xfffff, 0xb2, 0xc); // 0x21 ring-1 data
  descriptor(pc, 5, 0, 0xfffff, 0xfa, 0xc); // 0x2b ring-3 code
  descriptor(pc, 6, 0, 0xfffff, 0xf2, 0xc); // 0x33 ring-3 data
  descriptor(pc, 7, TSS, 0x67, 0x89, 0); // 0x38 32-bit TSS
  pc.ram.write32(TSS + 12, 0x9000); // esp1
  pc.ram.write32(TSS + 16, 0x21); // ss1
  gate(pc, 0x80, 0x08, 0xdead0000, 3); // to ring 0: the host takes it
  gate(pc, 0x85, 0x19, HANDLER1, 3); // to ring 1: plain x86
  gate(pc, 0x82, 0x08, 0xdead0082, 1); // DPL 1: INT 0x82 from ring 3 is #GP
  gate(pc, 13, 0x08, 0xdead000d, 0);
  gate(pc, 14, 0x08, 0xdead000e, 0);
  // identity paging of the first 4 MiB, except 0x200000 (not present)
  pc.ram.write32(PD, PT | 7);
  for (let i = 0; i < 1024; i++) pc.ram.write32(PT + i * 4, i === 0x200 ? 0 : (i << 12) | 7);
  pc.ram.write32(0x300000, 0x5eed1e55);
  const code1 = [
    0xb8, 5, 0, 0, 0, // mov eax, 5
    0xcd, 0x80, // int 0x80  -> host: eax += 1
    0x8b, 0x1d, 0, 0, 0x20, 0, // mov ebx, [0x200000]  -> #PF -> host maps, restarts
    // iret to ring 3: push ss, esp, eflags, cs, eip
    0x6a, 0x33, 0x68, 0x00, 0xa0, 0, 0, 0x9c, 0x6a, 0x2b, 0x68, CODE3 & 0xff, CODE3 >> 8, 0, 0, 0xcf,
  ];
  const code3 = [
    0xcd, 0x85, // int 0x85 -> ring-1 handler (no host)
    0xcd, 0x82, // int 0x82 -> #GP((0x82 << 3) | 2) -> host
  ];
  // ring-1 handler: record the CS it runs with and its ESP, then IRET back to ring 3
  // (DS was nulled by the IRET to ring 3, so the stores go through SS)
  const handler1 = [0x36, 0x8c, 0x0d, 0x00, 0x60, 0, 0, 0x36, 0x89, 0x25, 0x04, 0x60, 0, 0, 0xcf]; // mov ss:[0x6000], cs; mov ss:[0x6004], esp; iret
  pc.ram.u8.set(code1, CODE1);
  pc.ram.u8.set(code3, CODE3);
  pc.ram.u8.set(handler1, HANDLER1);
  const cpu = pc.cpu;
  cpu.gdtBase = GDT; cpu.gdtLimit = 0x3f;
  cpu.idtBase = IDT; cpu.idtLimit = 0x7ff;
  cpu.trSel = 0x38; cpu.trBase = TSS; cpu.trLimit = 0x67; cpu.trAttr = 0x8b;
  cpu.cr3 = PD;
  cpu.cr0 = 0x80010011; // PG WP ET PE
  setSegment(cpu, CS, 0x19, 0, 0xffffffff, 0xba | (0xc << 12));
  for (const seg of [DS, ES, FS, GS, SS]) setSegment(cpu, seg, 0x21, 0, 0xffffffff, 0xb2 | (0xc << 12));
  cpu.cpl = 1;
  cpu.updateAccessMasks();
  cpu.eflags = 0x1002; // IOPL 1
  cpu.regs[ESP] = 0x8000;
  cpu.eip = CODE1;
  return pc;
}

test("ring-0 host receives INT n, page faults and #GP, and resumes from the state it leaves", () => {
  const pc = machine();
  const cpu = pc.cpu;
  const seen: TrapFrame[] = [];
  cpu.host = {
    trap(frame) {
      seen.push({ ...frame });
      if (frame.vector === 0x80) cpu.regs[EAX] = cpu.regs[EAX]! + 1;
      else if (frame.vector === 14) {
        pc.ram.write32(PT + 0x200 * 4, 0x300000 | 7);
        cpu.invalidatePage(frame.cr2);
      } else if (frame.vector === 13) {
        cpu.stopRequested = true; // the host ends this "domain"
      }
    },
  };
  assert.equal(pc.runFor(10_000_000), "stopped");
  assert.equal(cpu.regs[EAX]! & 0xffffff00, 6 & 0xffffff00);
  assert.equal(cpu.regs[EBX], 0x5eed1e55);
  assert.deepEqual(seen.map((f) => [f.vector, f.errorCode, f.software]), [
    [0x80, -1, true],
    [14, 0, false], // not present, read, supervisor (CPL 1)
    [13, (0x82 << 3) | 2, false],
  ]);
  const [int80, pf, gp] = seen as [TrapFrame, TrapFrame, TrapFrame];
  assert.equal(int80.eip, CODE1 + 7, "INT n: the host sees the return address");
  assert.equal(int80.cs, 0x19);
  assert.equal(pf.eip, CODE1 + 7, "#PF: the faulting instruction");
  assert.equal(pf.cr2, 0x200000);
  assert.equal(gp.eip, CODE3 + 2, "#GP from INT 0x82: the INT instruction");
  assert.equal(gp.cs, 0x2b);
  assert.equal(gp.ss, 0x33);
  // INT 0x85 went to the ring-1 handler directly, which ran at CPL 1 on TSS.esp1 (5-dword frame)
  assert.equal(pc.ram.read16(0x6000), 0x19);
  assert.equal(pc.ram.read32(0x6004), 0x9000 - 20);
  assert.equal(seen.some((f) => f.vector === 0x85), false);
});

test("without a host, the same gate to ring 0 runs x86 code at CPL 0", () => {
  const pc = machine();
  const cpu = pc.cpu;
  pc.ram.u8.set([0xb0, 0x07, 0xe6, 0xf4], 0x5000); // ring-0 handler: out 0xf4, 7
  gate(pc, 0x80, 0x08, 0x5000, 3);
  pc.ram.write32(TSS + 4, 0x7000); // esp0
  pc.ram.write32(TSS + 8, 0x10); // ss0
  assert.equal(pc.runFor(1_000_000), "exit");
  assert.equal(pc.exitCode, 7);
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.segSel[SS], 0x10);
  // the inter-privilege frame: SS ESP EFLAGS CS EIP pushed on the ring-0 stack
  assert.equal(cpu.regs[ESP], 0x7000 - 20);
  assert.equal(pc.ram.read32(0x7000 - 20), CODE1 + 7);
  assert.equal(pc.ram.read32(0x7000 - 16), 0x19);
  assert.equal(pc.ram.read32(0x7000 - 8), 0x8000);
  assert.equal(pc.ram.read32(0x7000 - 4), 0x21);
});
