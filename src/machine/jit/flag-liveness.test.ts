/**
 * The block compiler drops lazy-flag records that nobody can observe
 * (emitters.ts flagsEffect). An instruction that may fault makes the flags
 * observable (the exception handler sees EFLAGS), so a page fault right after
 * an ADD whose flags a later CMP would overwrite must still show the ADD's
 * flags in the frame. Checked against the interpreter in a loop hot enough to
 * be compiled, with the fault on its last pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CODE, Code, EXIT, PAGE_DIR, SEL_CODE0, flatGdt, gate, identityPaging, le32, runCode,
} from "../cpu/test-machine.js";

function program(): Code {
  const c = new Code(CODE);
  c.emit(0xb9, ...le32(40)); // mov ecx, 40
  c.emit(0xbe, ...le32(0x100000)); // mov esi, 0x100000 (mapped)
  c.emit(0xb8, ...le32(0x7ffffff0)); // mov eax, 0x7ffffff0
  const loop = c.here;
  c.emit(0x83, 0xc0, 0x01); // add eax, 1         (flags dead unless something can see them)
  c.emit(0x89, 0x06); // mov [esi], eax       (faults on the last pass: esi moved to an unmapped page)
  c.emit(0x83, 0xf9, 0x00); // cmp ecx, 0     (overwrites all flags)
  c.emit(0x49); // dec ecx
  c.emit(0x83, 0xf9, 0x01); // cmp ecx, 1
  c.rel8(0x75, loop + 0); // jne loop
  c.emit(0xbe, ...le32(0x300000)); // mov esi, 0x300000 (not present)
  c.emit(0xb8, ...le32(0x7fffffff)); // mov eax, 0x7fffffff: the next ADD overflows
  c.rel8(0xeb, loop); // jmp loop
  return c;
}

function run(compile: boolean): { eflags: number; eip: number; cr2: number } {
  const handler = new Code(0x2000).emit(0x58).emit(...EXIT); // pop eax (error code), exit
  const r = runCode(program(), {
    compile,
    setup: (tm) => {
      flatGdt(tm);
      handler.place(tm.pc);
      gate(tm, 14, SEL_CODE0, 0x2000);
      const pte = identityPaging(tm.pc, 4);
      tm.pc.ram.write32(pte(0x300), 0); // 0x300000 not present
      tm.cpu.cr3 = PAGE_DIR;
      tm.cpu.cr0 = 0x80000011;
    },
  });
  const m = r.pc.ram;
  const esp = r.after.regs[4]!;
  return { eip: m.read32(esp), eflags: m.read32(esp + 8), cr2: r.after.cr2 };
}

test("a fault after an ADD shows the ADD's flags in the frame, compiled or not", () => {
  const interpreted = run(false), compiled = run(true);
  assert.equal(interpreted.cr2, 0x300000);
  // 0x7fffffff + 1: OF SF AF set, ZF CF clear (PF of 0x00: set)
  assert.equal(interpreted.eflags & 0x8d5, 0x0800 | 0x80 | 0x10 | 0x04);
  assert.deepEqual(compiled, interpreted);
});
