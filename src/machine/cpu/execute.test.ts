/**
 * End-to-end runs of small machine-code programs through the CPU loop
 * (execute.ts) on a test machine: ALU and Jcc, the stack and near calls,
 * REP MOVSB across pages (and restarted after a #PF), exception delivery
 * through the IDT, INT n with the gate-DPL check, IRET to ring 3 and back
 * through a gate with the TSS ring-0 stack. Self-modifying code and
 * determinism are in ../jit/block-compiler.test.ts.
 *
 * Each test asserts the whole CPU state where it can: a snapshot before the
 * run, with the expected changes applied, must equal the snapshot after.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ATTR_UNUSABLE } from "./cpu.js";
import { CS, DS, EAX, EBP, EBX, ECX, EDI, EDX, ES, ESI, ESP, FS, GS, SS } from "./registers.js";
import {
  CODE, Code, EXIT, GDT, PAGE_DIR, SEL_CODE0, SEL_CODE3, SEL_DATA3, SEL_TSS, STACK, TSS, flatGdt, gate, identityPaging, le32,
  runCode, withRegs,
} from "./test-machine.js";

// ---- ALU and branches ----------------------------------------------------------

function sumLoop(): Code {
  const c = new Code(CODE);
  c.emit(0x31, 0xc0); // xor eax, eax
  c.emit(0xb9, ...le32(100)); // mov ecx, 100
  const loop = c.here;
  c.emit(0x01, 0xc8); // add eax, ecx
  c.emit(0x49); // dec ecx
  c.rel8(0x75, loop); // jnz loop
  c.emit(...EXIT);
  return c;
}

for (const compile of [true, false]) {
  test(`ALU + Jcc loop sums 1..100; only EAX, ECX, EIP, EFLAGS change (${compile ? "block compiler" : "interpreter"})`, () => {
    const c = sumLoop();
    const r = runCode(c, { compile });
    assert.deepEqual(r.after, {
      ...r.before, regs: withRegs(r.before.regs, { [EAX]: 5050, [ECX]: 0 }), eip: c.here,
      eflags: 0x46, // dec ecx -> 0: ZF PF; CF kept from the last add (no carry)
    });
    assert.equal(r.pc.exitCode, 5050 & 0xff);
    assert.equal(r.cpu.instructions, 2 + 3 * 100 + 1);
  });
}

test("the block compiler and the interpreter agree on state, instruction count and cycles", () => {
  const a = runCode(sumLoop(), { compile: true });
  const b = runCode(sumLoop(), { compile: false });
  assert.deepEqual(a.after, b.after);
  assert.equal(a.cpu.instructions, b.cpu.instructions);
  assert.equal(a.pc.clock.now, b.pc.clock.now);
});

// ---- stack, CALL, RET ------------------------------------------------------------

test("PUSH/POP/CALL/RET: frame contents in memory, ESP restored, return address seen by the callee", () => {
  const c = new Code(CODE);
  c.emit(0xbb, ...le32(0x11223344)); // mov ebx, 0x11223344
  c.emit(0x53); // push ebx
  c.emit(0x6a, 0xfe); // push -2 (sign-extended)
  const callAt = c.here;
  c.call(0x1040);
  const ret = c.here;
  c.emit(0x59); // pop ecx
  c.emit(0x5a); // pop edx
  c.emit(0x6a, 0x07); // push 7 (argument)
  c.call(0x1050);
  c.emit(...EXIT);
  const end = c.here;
  while (c.here < 0x1040) c.emit(0xcc);
  c.emit(0x8b, 0x04, 0x24); // 0x1040: mov eax, [esp]
  c.emit(0x8b, 0x74, 0x24, 0x04); // mov esi, [esp+4]
  c.emit(0xc3); // ret
  while (c.here < 0x1050) c.emit(0xcc);
  c.emit(0x8b, 0x7c, 0x24, 0x04); // 0x1050: mov edi, [esp+4]
  c.emit(0xc2, 0x04, 0x00); // ret 4
  const r = runCode(c);
  assert.deepEqual(r.after, {
    ...r.before, eip: end,
    regs: withRegs(r.before.regs, {
      [EAX]: ret, [ESI]: 0xfffffffe, [ECX]: 0xfffffffe, [EDX]: 0x11223344, [EBX]: 0x11223344, [EDI]: 7,
    }),
  });
  // the second frame (argument 7, return address) overwrote the first one's top two slots
  const m = r.pc.ram;
  assert.deepEqual([m.read32(STACK - 4), m.read32(STACK - 8), m.read32(STACK - 12)], [7, end - 2, ret]);
  assert.equal(ret, callAt + 5);
});

// ---- strings across pages ---------------------------------------------------------

/** rep movsb of 0x20 bytes from 0x3ff0 to 0x4ff8; linear page 0x5000 maps frame 0x9000. */
function movsAcrossPages(destPresent: boolean, compile = true) {
  const c = new Code(CODE);
  c.emit(0xbe, ...le32(0x3ff0)); // mov esi
  c.emit(0xbf, ...le32(0x4ff8)); // mov edi
  c.emit(0xb9, ...le32(0x20)); // mov ecx
  c.emit(0xfc); // cld
  const movsAt = c.here;
  c.emit(0xf3, 0xa4); // rep movsb
  c.emit(...EXIT);
  const exitAt = c.here;
  const r = runCode(c, {
    compile,
    setup: (tm) => {
      flatGdt(tm);
      const pte = identityPaging(tm.pc, 4);
      tm.pc.ram.write32(pte(5), destPresent ? 0x9000 | 7 : 0);
      for (let i = 0; i < 0x20; i++) tm.pc.ram.write8(0x3ff0 + i, 0x40 + i);
      // #PF handler: record CR2, ECX and the error code at 0x7000, map the page, return
      new Code(0x2000)
        .emit(0x0f, 0x20, 0xd0) // mov eax, cr2
        .emit(0xa3, ...le32(0x7000)) // mov [0x7000], eax
        .emit(0x89, 0x0d, ...le32(0x7004)) // mov [0x7004], ecx
        .emit(0x8b, 0x04, 0x24) // mov eax, [esp]
        .emit(0xa3, ...le32(0x7008)) // mov [0x7008], eax
        .emit(0x8b, 0x44, 0x24, 0x04) // mov eax, [esp+4]
        .emit(0xa3, ...le32(0x700c)) // mov [0x700c], eax (faulting EIP)
        .emit(0xc7, 0x05, ...le32(pte(5)), ...le32(0x9000 | 7)) // map linear 0x5000 -> 0x9000
        .emit(0x83, 0xc4, 0x04) // add esp, 4
        .emit(0xcf) // iret
        .place(tm.pc);
      gate(tm, 14, SEL_CODE0, 0x2000);
      tm.cpu.cr3 = PAGE_DIR;
      tm.cpu.cr0 = 0x80000011;
    },
  });
  return { ...r, movsAt, exitAt };
}

test("REP MOVSB across two page boundaries into a remapped page", () => {
  const r = movsAcrossPages(true);
  const m = r.pc.ram;
  const src = Array.from({ length: 0x20 }, (_, i) => 0x40 + i);
  assert.deepEqual(Array.from(m.u8.subarray(0x4ff8, 0x5000)), src.slice(0, 8));
  assert.deepEqual(Array.from(m.u8.subarray(0x9000, 0x9018)), src.slice(8));
  assert.ok(m.u8.subarray(0x5000, 0x5018).every((b) => b === 0), "the physical page behind the identity map is untouched");
  assert.deepEqual(r.after, {
    ...r.before, eip: r.exitAt,
    regs: withRegs(r.before.regs, { [ESI]: 0x4010, [EDI]: 0x5018, [ECX]: 0 }),
  });
});

for (const compile of [true, false]) {
  test(`REP MOVSB faulting mid-copy: #PF after the completed bytes, handler maps, the copy resumes (${compile ? "blocks" : "interpreter"})`, () => {
    const r = movsAcrossPages(false, compile);
    const m = r.pc.ram;
    assert.equal(m.read32(0x7000), 0x5000, "CR2 = first byte of the missing page");
    assert.equal(m.read32(0x7004), 0x18, "ECX counts down the 8 bytes already copied");
    assert.equal(m.read32(0x7008), 2, "error code: supervisor write, not present");
    assert.equal(m.read32(0x700c), r.movsAt, "the frame's EIP is the REP MOVSB");
    const src = Array.from({ length: 0x20 }, (_, i) => 0x40 + i);
    assert.deepEqual(Array.from(m.u8.subarray(0x4ff8, 0x5000)), src.slice(0, 8));
    assert.deepEqual(Array.from(m.u8.subarray(0x9000, 0x9018)), src.slice(8));
    assert.deepEqual(r.after, {
      ...r.before, eip: r.exitAt, cr2: 0x5000,
      regs: withRegs(r.before.regs, { [ESI]: 0x4010, [EDI]: 0x5018, [ECX]: 0, [EAX]: r.movsAt }),
    });
  });
}

// ---- exceptions through the IDT -----------------------------------------------------

test("a page fault is delivered through an interrupt gate: frame, error code, CR2, IF cleared, nothing committed", () => {
  const c = new Code(CODE);
  c.emit(0xb9, ...le32(0xdeadbeef)); // mov ecx, 0xdeadbeef
  c.emit(0xfb); // sti
  const faultAt = c.here;
  c.emit(0x89, 0x0d, ...le32(0x400123)); // mov [0x400123], ecx  (PDE 1 not present)
  c.emit(...EXIT);
  const handler = new Code(0x2000)
    .emit(0x0f, 0x20, 0xd0) // mov eax, cr2
    .emit(0x89, 0xe3) // mov ebx, esp
    .emit(0x9c) // pushf
    .emit(0x5a) // pop edx
    .emit(...EXIT);
  const r = runCode(c, {
    setup: (tm) => {
      flatGdt(tm);
      identityPaging(tm.pc, 4);
      handler.place(tm.pc);
      gate(tm, 14, SEL_CODE0, 0x2000);
      tm.cpu.cr3 = PAGE_DIR;
      tm.cpu.cr0 = 0x80000011;
    },
  });
  const m = r.pc.ram;
  const frame = STACK - 16;
  assert.deepEqual(
    [m.read32(frame), m.read32(frame + 4), m.read32(frame + 8), m.read32(frame + 12)],
    // error code W, EIP of the faulting MOV, CS, EFLAGS with IF, and RF = 1 as in every fault-class frame (SDM Vol. 3 §17.3.1.1)
    [2, faultAt, SEL_CODE0, 0x10202],
  );
  assert.equal(m.read32(0x400120), 0, "the faulting store wrote nothing");
  assert.deepEqual(r.after, {
    ...r.before, eip: handler.here, cr2: 0x400123,
    regs: withRegs(r.before.regs, { [EAX]: 0x400123, [EBX]: frame, [ECX]: 0xdeadbeef, [EDX]: 0x2, [ESP]: frame }),
  });
});

// ---- rings, INT n, IRET -----------------------------------------------------------

test("IRET to ring 3; INT through a DPL-3 gate switches to the TSS ring-0 stack and IRETs back; INT through a DPL-0 gate is #GP((n<<3)|2)", () => {
  const ESP0 = 0x9000, ESP3 = 0x6000, RING3 = 0x3000;
  const boot = new Code(CODE)
    .emit(0x66, 0xb8, SEL_TSS, 0) // mov ax, SEL_TSS
    .emit(0x0f, 0x00, 0xd8) // ltr ax
    .emit(0x6a, SEL_DATA3) // push ss3
    .emit(0x68, ...le32(ESP3)) // push esp3
    .emit(0x9c) // pushf
    .emit(0x6a, SEL_CODE3) // push cs3
    .emit(0x68, ...le32(RING3)) // push eip
    .emit(0xcf); // iret
  const ring3 = new Code(RING3)
    .emit(0xb8, ...le32(0x1234)) // mov eax, 0x1234
    .emit(0xcd, 0x41) // int 0x41 -> eax + 1
    .emit(0x89, 0xc6) // mov esi, eax
    .emit(0x8c, 0xcf); // mov edi, cs
  const int40At = ring3.here;
  ring3.emit(0xcd, 0x40); // int 0x40: gate DPL 0
  const h41 = new Code(0x2000)
    .emit(0x40) // inc eax
    .emit(0x89, 0xe3) // mov ebx, esp
    .emit(0x8c, 0xd1) // mov ecx, ss
    .emit(0x8c, 0xca) // mov edx, cs
    .emit(0x36, 0x89, 0x1d, ...le32(0x7000)) // mov ss:[0x7000], ebx (DS was nulled by the IRET to ring 3)
    .emit(0x36, 0x89, 0x0d, ...le32(0x7004)) // mov ss:[0x7004], ecx
    .emit(0x36, 0x89, 0x15, ...le32(0x7008)) // mov ss:[0x7008], edx
    .emit(0xcf); // iret
  const hgp = new Code(0x2200)
    .emit(0x5d) // pop ebp (error code)
    .emit(0x8b, 0x14, 0x24) // mov edx, [esp]
    .emit(...EXIT);
  const r = runCode(boot, {
    setup: (tm) => {
      flatGdt(tm);
      for (const c of [ring3, h41, hgp]) c.place(tm.pc);
      tm.pc.ram.write32(TSS + 4, ESP0);
      tm.pc.ram.write32(TSS + 8, 0x10);
      gate(tm, 0x41, SEL_CODE0, 0x2000, 3);
      gate(tm, 0x40, SEL_CODE0, 0x2100, 0);
      gate(tm, 13, SEL_CODE0, 0x2200, 0);
    },
  });
  const m = r.pc.ram;
  // what the INT 0x41 handler saw: ring-0 stack from the TSS, 5-dword frame
  assert.deepEqual([m.read32(0x7000), m.read32(0x7004), m.read32(0x7008)], [ESP0 - 20, 0x10, SEL_CODE0]);
  // the #GP frame on the ring-0 stack: SS3, ESP3, EFLAGS, CS3, EIP of INT 0x40 (a fault, not a trap)
  assert.deepEqual(
    [m.read32(ESP0 - 4), m.read32(ESP0 - 8), m.read32(ESP0 - 12), m.read32(ESP0 - 16), m.read32(ESP0 - 20)],
    [SEL_DATA3, ESP3, 0x10002, SEL_CODE3, int40At], // RF = 1 in a fault-class frame (SDM Vol. 3 §17.3.1.1)
  );
  assert.equal((m.read32(GDT + (SEL_TSS >> 3) * 8 + 4) >>> 8) & 0xf, 0xb, "LTR marked the TSS busy");
  const nulled = { sel: 0, attr: ATTR_UNUSABLE };
  const after = r.after;
  assert.equal(after.cpl, 0);
  assert.deepEqual(
    [DS, ES, FS, GS].map((s) => ({ sel: after.segSel[s], attr: after.segAttr[s]! & ATTR_UNUSABLE })), [nulled, nulled, nulled, nulled],
    "IRET to ring 3 nulled the DPL-0 data segments",
  );
  assert.deepEqual([after.segSel[CS], after.segSel[SS]], [SEL_CODE0, 0x10]);
  assert.deepEqual(after.regs, withRegs(r.before.regs, {
    [EAX]: 0x1235, [ESI]: 0x1235, [EDI]: SEL_CODE3, [EBP]: (0x40 << 3) | 2, [EDX]: int40At,
    [EBX]: ESP0 - 20, [ECX]: 0x10, [ESP]: ESP0 - 20,
  }));
  assert.equal(after.tr, SEL_TSS);
});
