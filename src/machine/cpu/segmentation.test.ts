/**
 * Segmentation (SDM Vol. 3 §3.4.5 descriptors, §5.3 limit checking, §5.6
 * data-access privilege checks; Vol. 2 "MOV—Move" segment-register
 * pseudocode): descriptor base/limit/granularity decoding, the checks of a
 * data- and stack-segment load and their error codes, null selectors, and
 * limit checks (expand-up and expand-down) as seen through cpu.read32/write32,
 * including which loads may use the unchecked fast path (segRd/segWr).
 *
 * Every failing load is checked to leave the segment register and the
 * descriptor's accessed bit as they were.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ATTR_UNUSABLE, type Cpu } from "./cpu.js";
import { FAULT } from "./fault.js";
import { CS, DS, ES, FS, GS, SS } from "./registers.js";
import {
  ATTR_DATA32, descAttr, descBase, descLimit, loadDataSegment, loadStackSegment, setSegment,
} from "./segmentation.js";
import { GDT, descriptor, testMachine, type TestMachine } from "./test-machine.js";

function expectFault(fn: () => unknown, vector: number, errorCode: number, what: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal(e, FAULT, `${what}: expected an architectural fault, got ${String(e)}`);
    assert.deepEqual({ vector: FAULT.vector, errorCode: FAULT.errorCode }, { vector, errorCode }, what);
    return true;
  });
}

function segState(cpu: Cpu, seg: number): object {
  return {
    sel: cpu.segSel[seg], base: cpu.segBase[seg]! >>> 0, limit: cpu.segLimit[seg], attr: cpu.segAttr[seg],
    rd: cpu.segRd[seg], wr: cpu.segWr[seg],
  };
}

/** GDT slot numbers used below (selector = index << 3 | RPL). */
const DATA0 = 2, DATA3 = 3, DATA2 = 4, CODE_RX3 = 5, CODE_X0 = 6, CONF_RX0 = 7, CODE_RX0 = 8, TSS_SLOT = 9, NOTPRESENT0 = 10;
const RODATA0 = 11, NOTPRESENT3 = 12, DATA1 = 13, BIG = 14, LAST = 15;

function machine(cpl = 0): TestMachine {
  const tm = testMachine();
  const { pc, cpu } = tm;
  descriptor(pc, DATA0, 0, 0xfffff, 0x92, 0xc);
  descriptor(pc, DATA3, 0x00100000, 0x0ffff, 0xf2, 0x4);
  descriptor(pc, DATA2, 0, 0xfffff, 0xd2, 0xc);
  descriptor(pc, CODE_RX3, 0, 0xfffff, 0xfa, 0xc);
  descriptor(pc, CODE_X0, 0, 0xfffff, 0x98, 0xc);
  descriptor(pc, CONF_RX0, 0, 0xfffff, 0x9e, 0xc);
  descriptor(pc, CODE_RX0, 0, 0xfffff, 0x9a, 0xc);
  descriptor(pc, TSS_SLOT, 0x3000, 0x67, 0x89, 0);
  descriptor(pc, NOTPRESENT0, 0, 0xfffff, 0x12, 0xc);
  descriptor(pc, RODATA0, 0, 0xfffff, 0x90, 0xc);
  descriptor(pc, NOTPRESENT3, 0, 0xfffff, 0x72, 0xc);
  descriptor(pc, DATA1, 0, 0xfffff, 0xb2, 0xc);
  descriptor(pc, BIG, 0x12345678, 0xabcde, 0x92, 0xc);
  descriptor(pc, LAST, 0, 0xfffff, 0x92, 0xc);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = (LAST + 1) * 8 - 1;
  cpu.cpl = cpl;
  return tm;
}

const accessedBit = (tm: TestMachine, index: number): number => (tm.pc.ram.read32(GDT + index * 8 + 4) >>> 8) & 1;

/** A load that must fault and change nothing. */
function refusedLoad(tm: TestMachine, seg: number, sel: number, vector: number, errorCode: number, what: string): void {
  const before = segState(tm.cpu, seg);
  const acc = accessedBit(tm, sel >> 3);
  const load = seg === SS ? () => loadStackSegment(tm.cpu, sel) : () => loadDataSegment(tm.cpu, seg, sel);
  expectFault(load, vector, errorCode, what);
  assert.deepEqual(segState(tm.cpu, seg), before, `${what}: segment register unchanged`);
  assert.equal(accessedBit(tm, sel >> 3), acc, `${what}: accessed bit unchanged`);
}

test("descriptor fields: base split three ways, limit scaled by G, attributes", () => {
  // base 0x12345678, limit 0xabcde, access 0x92, flags G|DB
  const lo = (0x5678 << 16) | 0xbcde;
  const hi = (0x12 << 24) | (0xc << 20) | (0xa << 16) | (0x92 << 8) | 0x34;
  assert.equal(descBase(lo, hi) >>> 0, 0x12345678);
  assert.equal(descLimit(lo, hi), 0xabcdefff);
  assert.equal(descAttr(hi), 0xc092);
  // byte granularity: the raw 20-bit limit
  const hiByte = hi & ~(1 << 23);
  assert.equal(descLimit(lo, hiByte), 0xabcde);
  assert.equal(descAttr(hiByte), 0x4092);
  // G=1 with limit 0 covers one page; 0xfffff covers 4 GiB
  assert.equal(descLimit(0, 1 << 23), 0xfff);
  assert.equal(descLimit(0xffff, (1 << 23) | 0xf0000), 0xffffffff);
  assert.equal(descBase(0xffff0000, 0xff0000ff) >>> 0, 0xffffffff);
});

test("a data segment load fills the descriptor cache and sets the accessed bit in the GDT", () => {
  const tm = machine(0);
  const { cpu } = tm;
  assert.equal(accessedBit(tm, BIG), 0);
  loadDataSegment(cpu, FS, (BIG << 3));
  assert.deepEqual(segState(cpu, FS), { sel: BIG << 3, base: 0x12345678, limit: 0xabcdefff, attr: 0xc093, rd: 1, wr: 1 });
  assert.equal(accessedBit(tm, BIG), 1);
  loadDataSegment(cpu, GS, (DATA3 << 3) | 3); // DPL 3 data at CPL 0 with RPL 3
  assert.deepEqual(segState(cpu, GS), { sel: (DATA3 << 3) | 3, base: 0x100000, limit: 0xffff, attr: 0x40f3, rd: 1, wr: 1 });
  // other segment registers untouched
  for (const seg of [ES, CS, SS, DS]) assert.equal(cpu.segSel[seg], seg === CS ? 0x08 : 0x10);
});

test("data segment privilege: DPL >= max(CPL, RPL) unless conforming code, else #GP(selector)", () => {
  const ok = (cpl: number, sel: number, what: string): void => {
    const tm = machine(cpl);
    loadDataSegment(tm.cpu, DS, sel);
    assert.equal(tm.cpu.segSel[DS], sel, what);
  };
  ok(0, DATA0 << 3, "CPL0 RPL0 DPL0");
  ok(2, (DATA2 << 3) | 2, "CPL2 RPL2 DPL2");
  ok(1, (DATA2 << 3) | 1, "CPL1 RPL1 DPL2");
  ok(3, (DATA3 << 3) | 3, "CPL3 RPL3 DPL3");
  ok(3, (CONF_RX0 << 3) | 3, "conforming readable code DPL0 at CPL3");
  ok(0, CODE_RX0 << 3, "readable code at CPL0");
  refusedLoad(machine(0), DS, (DATA0 << 3) | 3, 13, DATA0 << 3, "RPL3 > DPL0");
  refusedLoad(machine(3), DS, (DATA0 << 3) | 0, 13, DATA0 << 3, "CPL3 > DPL0");
  refusedLoad(machine(1), DS, (DATA2 << 3) | 3, 13, DATA2 << 3, "RPL3 > DPL2 at CPL1");
  refusedLoad(machine(3), DS, (DATA2 << 3) | 3, 13, DATA2 << 3, "CPL3 > DPL2");
  refusedLoad(machine(2), ES, (DATA1 << 3) | 1, 13, DATA1 << 3, "CPL2 > DPL1");
  refusedLoad(machine(3), DS, (CODE_RX0 << 3) | 3, 13, CODE_RX0 << 3, "non-conforming code DPL0 at CPL3");
});

test("data segment type: execute-only code and system descriptors are #GP(selector)", () => {
  refusedLoad(machine(0), DS, CODE_X0 << 3, 13, CODE_X0 << 3, "execute-only code");
  refusedLoad(machine(0), DS, TSS_SLOT << 3, 13, TSS_SLOT << 3, "TSS descriptor");
  const tm = machine(0);
  tm.pc.ram.write32(GDT + LAST * 8, 0);
  tm.pc.ram.write32(GDT + LAST * 8 + 4, 0); // an all-zero (system type 0) descriptor
  refusedLoad(tm, DS, LAST << 3, 13, LAST << 3, "zero descriptor");
});

test("not present is #NP(selector), but privilege is checked first", () => {
  refusedLoad(machine(0), DS, NOTPRESENT0 << 3, 11, NOTPRESENT0 << 3, "not present DPL0");
  refusedLoad(machine(3), GS, (NOTPRESENT3 << 3) | 3, 11, NOTPRESENT3 << 3, "not present DPL3 at CPL3");
  refusedLoad(machine(3), DS, (NOTPRESENT0 << 3) | 3, 13, NOTPRESENT0 << 3, "not present and DPL0 at CPL3");
});

test("selectors outside the GDT, or into a missing LDT, are #GP(selector) with TI kept", () => {
  refusedLoad(machine(0), DS, (LAST + 1) << 3, 13, (LAST + 1) << 3, "one past the GDT limit");
  refusedLoad(machine(0), DS, 0xfff8 | 3, 13, 0xfff8, "far past the GDT limit, RPL dropped");
  refusedLoad(machine(0), DS, (1 << 3) | 4 | 3, 13, (1 << 3) | 4, "LDT selector with no LDT");
});

test("null selectors load as unusable; any later access is #GP(0); SS null is #GP(0)", () => {
  const tm = machine(3);
  const { cpu } = tm;
  for (const [seg, sel] of [[DS, 0], [ES, 1], [FS, 2], [GS, 3]] as const) {
    loadDataSegment(cpu, seg, sel);
    assert.deepEqual(segState(cpu, seg), { sel, base: 0, limit: 0, attr: ATTR_UNUSABLE, rd: 0, wr: 0 });
    expectFault(() => cpu.read32(seg, 0), 13, 0, "read through a null selector");
    expectFault(() => cpu.write8(seg, 0x100, 1), 13, 0, "write through a null selector");
    expectFault(() => cpu.read8(seg, 0), 13, 0, "byte read through a null selector");
  }
  refusedLoad(machine(0), SS, 0, 13, 0, "null SS");
  refusedLoad(machine(3), SS, 3, 13, 0, "null SS with RPL 3");
});

test("stack segment: RPL = CPL = DPL, writable data, else #GP(selector); not present #SS(selector)", () => {
  const tm = machine(3);
  loadStackSegment(tm.cpu, (DATA3 << 3) | 3);
  assert.deepEqual(segState(tm.cpu, SS), { sel: (DATA3 << 3) | 3, base: 0x100000, limit: 0xffff, attr: 0x40f3, rd: 1, wr: 1 });
  assert.equal(accessedBit(tm, DATA3), 1);
  refusedLoad(machine(0), SS, (DATA0 << 3) | 1, 13, DATA0 << 3, "RPL1 != CPL0");
  refusedLoad(machine(0), SS, (DATA3 << 3) | 0, 13, DATA3 << 3, "DPL3 != CPL0");
  refusedLoad(machine(3), SS, (DATA0 << 3) | 3, 13, DATA0 << 3, "DPL0 != CPL3");
  refusedLoad(machine(0), SS, RODATA0 << 3, 13, RODATA0 << 3, "read-only data");
  refusedLoad(machine(0), SS, CODE_RX0 << 3, 13, CODE_RX0 << 3, "code segment");
  refusedLoad(machine(0), SS, TSS_SLOT << 3, 13, TSS_SLOT << 3, "system descriptor");
  refusedLoad(machine(0), SS, NOTPRESENT0 << 3, 12, NOTPRESENT0 << 3, "not present");
  refusedLoad(machine(0), SS, (LAST + 1) << 3, 13, (LAST + 1) << 3, "outside the GDT");
});

test("expand-up limits: the last byte of the access must be within the limit (#GP(0), #SS(0) for SS)", () => {
  const tm = machine(0);
  const { cpu, pc } = tm;
  pc.ram.write32(0x2ffc, 0x11223344);
  setSegment(cpu, DS, 0x10, 0x2000, 0xfff, 0x4093);
  setSegment(cpu, SS, 0x10, 0x2000, 0xfff, 0x4093);
  assert.equal(cpu.read32(DS, 0xffc), 0x11223344);
  assert.equal(cpu.read8(DS, 0xfff), 0x11);
  expectFault(() => cpu.read32(DS, 0xffd), 13, 0, "dword straddling the limit");
  expectFault(() => cpu.read16(DS, 0xfff), 13, 0, "word straddling the limit");
  expectFault(() => cpu.read8(DS, 0x1000), 13, 0, "byte past the limit");
  expectFault(() => cpu.read32(DS, -1), 13, 0, "offset 0xffffffff");
  expectFault(() => cpu.write32(DS, 0xffd, 0), 13, 0, "write straddling the limit");
  expectFault(() => cpu.read32(SS, 0xffd), 12, 0, "SS: #SS(0)");
  expectFault(() => cpu.write16(SS, 0xfff, 0), 12, 0, "SS write: #SS(0)");
  assert.equal(pc.ram.read32(0x2ffc), 0x11223344, "failed writes wrote nothing");
});

test("expand-down limits: valid offsets are (limit, 0xFFFF] or (limit, 0xFFFFFFFF] by the B flag", () => {
  const tm = machine(0);
  const { cpu, pc } = tm;
  pc.ram.write32(0x3000, 0xcafef00d);
  pc.ram.write32(0x1ffc, 0x0badf00d);
  pc.ram.write32(0x11ffc, 0x5eed5eed);
  // 32-bit (B=1) expand-down, writable, limit 0xfff, base 0x2000
  setSegment(cpu, ES, 0x10, 0x2000, 0xfff, 0x4097);
  assert.deepEqual([cpu.segRd[ES], cpu.segWr[ES]], [0, 0], "expand-down always takes the checked path");
  assert.equal(cpu.read32(ES, 0x1000), 0xcafef00d | 0);
  assert.equal(cpu.read32(ES, -4), 0x0badf00d, "offset 0xfffffffc is valid and wraps to base - 4");
  expectFault(() => cpu.read32(ES, 0xffc), 13, 0, "at the limit");
  expectFault(() => cpu.read32(ES, 0xffe), 13, 0, "straddling the limit from below");
  expectFault(() => cpu.read8(ES, 0), 13, 0, "offset 0");
  expectFault(() => cpu.read32(ES, -2), 13, 0, "straddling 4 GiB");
  cpu.write32(ES, 0x1000, 0x77);
  assert.equal(pc.ram.read32(0x3000), 0x77);
  // 16-bit (B=0): the upper bound is 0xffff
  setSegment(cpu, FS, 0x10, 0x2000, 0xfff, 0x0097);
  assert.equal(cpu.read32(FS, 0xfffc), 0x5eed5eed);
  assert.equal(cpu.read16(FS, 0xfffe), 0x5eed);
  expectFault(() => cpu.read32(FS, 0xfffe), 13, 0, "past 0xffff");
  expectFault(() => cpu.read8(FS, 0x10000), 13, 0, "offset 0x10000");
  expectFault(() => cpu.read32(FS, 0xfff), 13, 0, "16-bit at the limit");
  // as a stack: #SS(0)
  setSegment(cpu, SS, 0x10, 0x2000, 0xfff, 0x4097);
  expectFault(() => cpu.write32(SS, 0x800, 0), 12, 0, "SS expand-down below the limit");
  cpu.write32(SS, 0x1000, 0x99);
  assert.equal(pc.ram.read32(0x3000), 0x99);
  // read-only expand-down: writes are #GP(0)
  setSegment(cpu, GS, 0x10, 0x2000, 0xfff, 0x4095);
  assert.equal(cpu.read32(GS, 0x1000), 0x99);
  expectFault(() => cpu.write32(GS, 0x1000, 0), 13, 0, "read-only expand-down");
});

test("fast-path flags and type checks: which caches may skip the segment check", () => {
  const tm = machine(0);
  const { cpu, pc } = tm;
  pc.ram.write32(0x100, 0xabcdef01);
  const cases: [string, number, number, number, boolean, boolean][] = [
    // name, attr, segRd, segWr, read ok, write ok
    ["RW data", 0x4093, 1, 1, true, true],
    ["RO data", 0x4091, 1, 0, true, false],
    ["RX code", 0x409b, 1, 0, true, false],
    ["X-only code", 0x4099, 0, 0, false, false],
    ["conforming RX code", 0x409f, 1, 0, true, false],
    ["unusable", ATTR_UNUSABLE, 0, 0, false, false],
  ];
  for (const [name, attr, rd, wr, readOk, writeOk] of cases) {
    setSegment(cpu, DS, 0x10, 0, 0xffffffff, attr);
    assert.deepEqual([cpu.segRd[DS], cpu.segWr[DS]], [rd, wr], name);
    if (readOk) assert.equal(cpu.read32(DS, 0x100), 0xabcdef01 | 0, name);
    else expectFault(() => cpu.read32(DS, 0x100), 13, 0, `${name}: read`);
    if (writeOk) cpu.write8(DS, 0x200, 1);
    else expectFault(() => cpu.write32(DS, 0x100, 0), 13, 0, `${name}: write`);
  }
  assert.equal(pc.ram.read32(0x100), 0xabcdef01 | 0, "no refused write landed");
  setSegment(cpu, DS, 0x10, 0, 0xffffffff, ATTR_DATA32);
});
