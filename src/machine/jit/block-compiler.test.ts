/**
 * The block compiler (block-compiler.ts) against the interpreter: compiled
 * blocks must do exactly what the interpreter does, instruction by
 * instruction. Self-modifying code — a write to an instruction that a hot
 * (compiled) loop executes, including a write into the very block that is
 * running and a write through another linear alias of the code frame — must
 * execute the new bytes, in both modes. Determinism (ARCHITECTURE.md §2): a
 * program interrupted by the PIT gives the same state, cycles and instruction
 * count on every run, and the same with and without the block compiler.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EAX, EBX, ECX, EDI, EDX, ESI } from "../cpu/registers.js";
import {
  CODE, Code, EXIT, PAGE_DIR, SEL_CODE0, flatGdt, gate, identityPaging, le32, runCode, runToExit, snapshot, testMachine,
  withRegs, type TestMachine,
} from "../cpu/test-machine.js";

// ---- self-modifying code ---------------------------------------------------------------

/** A hot loop that, at iteration 20 of 40, patches the immediate of an earlier instruction. */
function patchLater(): { code: Code; end: number } {
  const c = new Code(CODE);
  c.emit(0xb9, ...le32(40)); // mov ecx, 40
  c.emit(0x31, 0xdb); // xor ebx, ebx
  const loop = c.here;
  const imm = c.here + 1;
  c.emit(0xb8, ...le32(1)); // mov eax, 1  <- patched to 2
  c.emit(0x01, 0xc3); // add ebx, eax
  c.emit(0x83, 0xf9, 20); // cmp ecx, 20
  const skipFrom = c.here;
  c.emit(0x75, 0); // jne skip (patched below)
  c.emit(0xc6, 0x05, ...le32(imm), 2); // mov byte [imm], 2
  c.bytes[skipFrom - CODE + 1] = c.here - (skipFrom + 2);
  c.emit(0x49); // dec ecx
  c.rel8(0x75, loop); // jnz loop
  c.emit(...EXIT);
  return { code: c, end: c.here };
}

/**
 * A loop that stores DL on every iteration: to a data page (0x7000) while
 * ECX > 10, so the loop gets hot and compiled, then (CMOVE switches EDI to
 * EBP) into the immediate of the very next instruction of the same block.
 * The test sets EBP to the immediate's address, directly or through another
 * linear page that maps the same frame (an alias).
 */
function patchNext(): { code: Code; end: number; loop: number } {
  const c = new Code(CODE);
  c.emit(0xb9, ...le32(40)); // mov ecx, 40
  c.emit(0x31, 0xdb); // xor ebx, ebx
  c.emit(0x31, 0xd2); // xor edx, edx
  c.emit(0xbf, ...le32(0x7000)); // mov edi, 0x7000
  const loop = c.here;
  c.emit(0x83, 0xf9, 10); // cmp ecx, 10
  c.emit(0x0f, 0x44, 0xfd); // cmove edi, ebp
  c.emit(0x88, 0x17); // mov [edi], dl
  c.emit(0xb8, ...le32(0x55)); // mov eax, 0x55  <- low byte rewritten once EDI = &imm
  c.emit(0x01, 0xc3); // add ebx, eax
  c.emit(0x42); // inc edx
  c.emit(0x49); // dec ecx
  c.rel8(0x75, loop);
  c.emit(...EXIT);
  return { code: c, end: c.here, loop };
}

/** EBX after patchNext: 30 iterations add 0x55, then ECX = 10..1 add EDX = 30..39. */
const PATCH_NEXT_SUM = 30 * 0x55 + (30 + 39) * 10 / 2;

for (const compile of [true, false]) {
  const mode = compile ? "block compiler" : "interpreter";
  test(`self-modifying code: a patched instruction in a hot loop executes its new bytes (${mode})`, () => {
    const { code, end } = patchLater();
    const r = runCode(code, { compile });
    assert.deepEqual(r.after.regs, withRegs(r.before.regs, { [EAX]: 2, [EBX]: 21 * 1 + 19 * 2, [ECX]: 0 }));
    assert.equal(r.after.eip, end);
  });

  for (const alias of [0, 0x400000]) {
    test(`self-modifying code: a compiled block rewrites its own next instruction${alias ? " through an alias mapping" : ""} (${mode})`, () => {
      const { code, end, loop } = patchNext();
      const r = runCode(code, {
        compile, mib: 8,
        setup: (tm) => {
          tm.cpu.regs[5] = loop + 3 + 3 + 2 + 1 + alias; // EBP = &imm
          if (alias === 0) return;
          identityPaging(tm.pc, 8);
          tm.pc.ram.write32(PAGE_DIR + 4, (PAGE_DIR + 0x1000) | 7); // PDE 1 -> the same table as PDE 0
          tm.cpu.cr3 = PAGE_DIR;
          tm.cpu.cr0 = 0x80000011;
        },
      });
      assert.deepEqual(r.after.regs, withRegs(r.before.regs, {
        [EAX]: 39, [EBX]: PATCH_NEXT_SUM, [ECX]: 0, [EDX]: 40, [EDI]: loop + 9 + alias,
      }));
      assert.equal(r.after.eip, end);
      const compiledLoop = r.cpu.dc.blocks.some((b) => b !== undefined && b.eip === loop && b.count >= 8);
      assert.equal(compiledLoop, compile, "the loop body was compiled into one block (before the patching began)");
    });
  }
}

// ---- backward branches ---------------------------------------------------------------------

/**
 * A loop whose forward JNE leaves the loop head's block on most iterations,
 * so the block that starts at `skip` follows the backward JNZ into the loop
 * head (block-compiler.ts: predicted taken). At ECX = 10 the load from the
 * not-present page 0x9000 faults inside that followed part; the #PF handler
 * counts, maps the page and returns, and the load runs again.
 */
function followProgram(tm: TestMachine): { skip: number; end: number } {
  const c = new Code(CODE);
  c.emit(0xb9, ...le32(60)); // mov ecx, 60
  const loop = c.here;
  c.emit(0x01, 0xcb); // add ebx, ecx
  c.emit(0x83, 0xf9, 10); // cmp ecx, 10
  const jne = c.here;
  c.emit(0x75, 0); // jne skip (patched below)
  c.emit(0x8b, 0x05, ...le32(0x9000)); // mov eax, [0x9000]
  const skip = c.here;
  c.bytes[jne - CODE + 1] = skip - (jne + 2);
  c.emit(0x42); // inc edx
  c.emit(0x49); // dec ecx
  c.rel8(0x75, loop); // jnz loop
  c.emit(...EXIT);
  c.place(tm.pc);
  flatGdt(tm);
  const pte = identityPaging(tm.pc, 4);
  tm.pc.ram.write32(pte(9), 0);
  tm.pc.ram.write32(0x9000 + 0x1000, 0x1234); // what the load finds once 0x9000 maps 0xa000
  new Code(0x2000)
    .emit(0xff, 0x05, ...le32(0x7000)) // inc dword [0x7000]
    .emit(0xc7, 0x05, ...le32(pte(9)), ...le32(0xa000 | 7)) // map linear 0x9000 -> 0xa000
    .emit(0x83, 0xc4, 0x04) // add esp, 4
    .emit(0xcf) // iret
    .place(tm.pc);
  gate(tm, 14, SEL_CODE0, 0x2000);
  tm.cpu.cr3 = PAGE_DIR;
  tm.cpu.cr0 = 0x80000011;
  return { skip, end: c.here };
}

test("a block follows a backward branch: same state, cycles and instruction count as the interpreter, with a fault in the followed part", () => {
  const runs = [true, false].map((compile) => {
    const tm = testMachine();
    tm.cpu.compileBlocks = compile;
    tm.cpu.hotThreshold = 2;
    const { skip, end } = followProgram(tm);
    runToExit(tm.pc);
    const followed = tm.cpu.dc.blocks.some((b) => b !== undefined && b.eip === skip && b.count > 3);
    return { state: snapshot(tm.cpu), now: tm.pc.clock.now, instructions: tm.cpu.instructions, faults: tm.pc.ram.read32(0x7000), end, followed };
  });
  const [compiled, interpreted] = runs;
  assert.equal(compiled!.followed, true, "the block at skip goes on into the loop head");
  assert.equal(compiled!.faults, 1);
  assert.deepEqual(compiled!.state.regs, withRegs(interpreted!.state.regs, {}));
  assert.equal(compiled!.state.regs[EAX], 0x1234);
  assert.equal(compiled!.state.regs[EBX], (60 * 61) / 2);
  assert.equal(compiled!.state.eip, compiled!.end);
  assert.deepEqual({ ...compiled!, followed: false }, { ...interpreted!, followed: false });
});

// ---- determinism -------------------------------------------------------------------------

/**
 * A program interrupted by the PIT: 8259 initialised (IRQ 0 -> vector 0x20),
 * PIT channel 0 mode 2 with divisor 1000 (about 2 M cycles per tick); the
 * handler records ESI at each tick in 0x7100.. and counts ticks at 0x7000;
 * the main loop (inc esi, five LEAs, cmp, jb) stops after 5 ticks.
 */
function timerProgram(tm: TestMachine): void {
  const outb = (port: number, v: number): number[] => [0xb0, v, 0xe6, port];
  const c = new Code(CODE)
    .emit(...outb(0x20, 0x11), ...outb(0x21, 0x20), ...outb(0x21, 0x04), ...outb(0x21, 0x01), ...outb(0x21, 0xfe))
    .emit(...outb(0x43, 0x34), ...outb(0x40, 1000 & 0xff), ...outb(0x40, 1000 >> 8))
    .emit(0xfb); // sti
  const loop = c.here;
  c.emit(0x46); // inc esi
  for (let i = 0; i < 5; i++) c.emit(0x8d, 0x3c, 0x7f); // lea edi, [edi+edi*2]
  c.emit(0x83, 0x3d, ...le32(0x7000), 5); // cmp dword [0x7000], 5
  c.rel8(0x72, loop); // jb loop
  c.emit(0xfa, ...EXIT); // cli; exit
  c.place(tm.pc);
  new Code(0x2000)
    .emit(0x50) // push eax
    .emit(0xa1, ...le32(0x7000)) // mov eax, [0x7000]
    .emit(0x89, 0x34, 0x85, ...le32(0x7100)) // mov [0x7100 + eax*4], esi
    .emit(0xff, 0x05, ...le32(0x7000)) // inc dword [0x7000]
    .emit(...outb(0x20, 0x20)) // EOI
    .emit(0x58, 0xcf) // pop eax; iret
    .place(tm.pc);
  flatGdt(tm);
  gate(tm, 0x20, SEL_CODE0, 0x2000);
  tm.cpu.regs[EDI] = 1;
}

function timerRun(compile: boolean) {
  const tm = testMachine();
  tm.cpu.compileBlocks = compile;
  timerProgram(tm);
  runToExit(tm.pc);
  const atTicks = Array.from({ length: 5 }, (_, i) => tm.pc.ram.read32(0x7100 + 4 * i));
  return { state: snapshot(tm.cpu), now: tm.pc.clock.now, instructions: tm.cpu.instructions, atTicks };
}

test("determinism: the same program with timer interrupts gives the same state, cycles and instruction count", () => {
  const a = timerRun(true);
  const b = timerRun(true);
  assert.equal(a.atTicks.length, 5);
  assert.ok(a.atTicks[0]! > 1000 && a.atTicks.every((v, i) => i === 0 || v > a.atTicks[i - 1]!), `ESI at ticks: ${a.atTicks}`);
  assert.deepEqual(b, a);
  const c = timerRun(false);
  const d = timerRun(false);
  assert.deepEqual(d, c);
});

// The block compiler's header promises "a compiled block does exactly what the
// interpreter would do, instruction by instruction"; ARCHITECTURE.md §2 makes
// interrupts arrive at simulated times. A block runs to its end before the loop
// looks at the clock again, so an interrupt due inside a block is taken late.
test("determinism: the block compiler takes interrupts at the same instruction as the interpreter", () => {
  const a = timerRun(true);
  const b = timerRun(false);
  assert.deepEqual(
    { finalEsi: a.state.regs[ESI], atTicks: a.atTicks, now: a.now, instructions: a.instructions },
    { finalEsi: b.state.regs[ESI], atTicks: b.atTicks, now: b.now, instructions: b.instructions },
  );
  assert.deepEqual(a.state, b.state);
});

// ---- the clock as an instruction at the end of a block sees it ---------------------------

test("RDTSC ending a compiled loop's block reads the same time as in the interpreter", () => {
  // 200 passes of a tight loop, then RDTSC in the same block as the loop's exit path
  const c = new Code(CODE);
  c.emit(0xb9, ...le32(200)); // mov ecx, 200
  const loop = c.here;
  c.emit(0x01, 0xc8); // add eax, ecx
  c.emit(0x49); // dec ecx
  c.rel8(0x75, loop); // jnz loop
  c.emit(0x0f, 0x31); // rdtsc  (the block after the loop: straight on from the jnz)
  c.emit(0x89, 0xc6); // mov esi, eax
  c.emit(0x89, 0xd7); // mov edi, edx
  c.emit(...EXIT);
  const run = (compile: boolean): { tsc: number[]; now: number } => {
    const r = runCode(c, { compile, setup: (tm) => { tm.cpu.hotThreshold = 1; } });
    return { tsc: [r.after.regs[ESI]!, r.after.regs[EDI]!], now: r.pc.clock.now };
  };
  const interp = run(false), jit = run(true);
  assert.deepEqual(jit, interp);
  assert.ok(interp.tsc[0]! > 200 * 3, "the TSC counted the loop");
});
