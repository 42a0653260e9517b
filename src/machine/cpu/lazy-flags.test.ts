/**
 * Lazy flags against a reference (SDM Vol. 1 §3.4.3.1 and Appendix A "EFLAGS
 * cross-reference"; Vol. 2 ADD ADC SUB SBB AND OR XOR INC DEC NEG): CF OF AF
 * ZF SF PF after every pairing of edge values at 8, 16 and 32 bits, through
 * `aluOp`/`inc`/`dec`/`neg` as the executor calls them. The reference works on
 * mathematical integers (exact in a double below 2^53): the carry is the
 * unsigned result leaving [0, 2^n), the overflow the signed result leaving
 * [-2^(n-1), 2^(n-1)), the adjust flag the carry/borrow out of bit 3.
 *
 * AF after AND/OR/XOR is "undefined" in the SDM; tsxen clears it, as QEMU
 * and Intel hardware do, and that is what is asserted.
 *
 * The other side is faked: aluOp touches only `cpu.lf`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { aluOp, dec, inc, neg } from "./alu.js";
import type { Cpu } from "./cpu.js";
import { LazyFlags } from "./lazy-flags.js";
import { AF, CF, OF, PF, SF, ZF } from "./registers.js";

const fakeCpu = (): Cpu => ({ lf: new LazyFlags() }) as unknown as Cpu;

const EDGES: Record<number, number[]> = {
  8: [0, 1, 2, 0x0f, 0x10, 0x7e, 0x7f, 0x80, 0x81, 0xf0, 0xfe, 0xff],
  16: [0, 1, 0x0f, 0x10, 0xff, 0x100, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfff0, 0xffff],
  32: [0, 1, 0x0f, 0x10, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffff0, 0xfffffffe, 0xffffffff],
};

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"] as const;

interface Flags { res: number; cf: number; pf: number; af: number; zf: number; sf: number; of: number }

function parityEven(v: number): number {
  let n = 0;
  for (let b = v & 0xff; b !== 0; b >>= 1) n += b & 1;
  return n % 2 === 0 ? 1 : 0;
}

/** Reference flags for ALU code `k` on unsigned operands `a`, `b` of `size` bits with carry-in `cin`. */
function reference(k: number, a: number, b: number, cin: number, size: number): Flags {
  const m = 2 ** size, half = m / 2;
  const signed = (v: number): number => (v >= half ? v - m : v);
  let full: number, sfull: number, af: number;
  switch (ALU[k]) {
    case "add": case "adc": {
      const c = ALU[k] === "adc" ? cin : 0;
      full = a + b + c; sfull = signed(a) + signed(b) + c; af = (a & 0xf) + (b & 0xf) + c > 0xf ? 1 : 0;
      break;
    }
    case "sub": case "sbb": case "cmp": {
      const c = ALU[k] === "sbb" ? cin : 0;
      full = a - b - c; sfull = signed(a) - signed(b) - c; af = (a & 0xf) - (b & 0xf) - c < 0 ? 1 : 0;
      break;
    }
    default: {
      // logic: bitwise on the unsigned values (split to stay exact at 32 bits)
      const op = ALU[k] === "and" ? (x: number, y: number) => x & y : ALU[k] === "or" ? (x: number, y: number) => x | y : (x: number, y: number) => x ^ y;
      const r = (op(Math.floor(a / 65536), Math.floor(b / 65536)) * 65536) + op(a % 65536, b % 65536);
      return { res: r, cf: 0, pf: parityEven(r), af: 0, zf: r === 0 ? 1 : 0, sf: r >= half ? 1 : 0, of: 0 };
    }
  }
  const res = ((full % m) + m) % m;
  return {
    res, cf: full < 0 || full >= m ? 1 : 0, pf: parityEven(res), af, zf: res === 0 ? 1 : 0, sf: res >= half ? 1 : 0,
    of: sfull < -half || sfull >= half ? 1 : 0,
  };
}

/** Flags as the CPU reports them: each getter, and the materialized word must agree. */
function observed(lf: LazyFlags, res: number, size: number): Flags {
  const f: Flags = {
    res: size === 32 ? res >>> 0 : res & (2 ** size - 1),
    cf: lf.cf() ? 1 : 0, pf: lf.pf() ? 1 : 0, af: lf.af() ? 1 : 0, zf: lf.zf() ? 1 : 0, sf: lf.sf() ? 1 : 0, of: lf.of() ? 1 : 0,
  };
  const word = lf.materialize();
  assert.equal(lf.lazy, 0, "materialize leaves nothing lazy");
  const fromWord = {
    cf: word & CF ? 1 : 0, pf: word & PF ? 1 : 0, af: word & AF ? 1 : 0, zf: word & ZF ? 1 : 0, sf: word & SF ? 1 : 0, of: word & OF ? 1 : 0,
  };
  assert.deepEqual(fromWord, { cf: f.cf, pf: f.pf, af: f.af, zf: f.zf, sf: f.sf, of: f.of }, "materialized word = getters");
  return f;
}

const hex = (v: number): string => "0x" + (v >>> 0).toString(16);
/** The operand as a caller may hold it: zero-extended, or sign-extended to 32 bits (imm8 of 83, read32). */
const signExtend = (v: number, size: number): number => (size === 32 ? v | 0 : (v << (32 - size)) >> (32 - size));

for (const size of [8, 16, 32]) {
  for (let k = 0; k < 8; k++) {
    test(`${ALU[k]} ${size}-bit: CF PF AF ZF SF OF and result over edge values`, () => {
      for (const a of EDGES[size]!) {
        for (const b of EDGES[size]!) {
          for (const cin of [0, 1]) { // a carry-in must not leak into ADD/SUB/logic
            for (const ext of [false, true]) {
              const cpu = fakeCpu();
              cpu.lf.flags = cin ? CF : 0; // CF as materialized state
              const aa = ext ? signExtend(a, size) : a, bb = ext ? signExtend(b, size) : b;
              const r = aluOp(cpu, k, aa, bb, size);
              const want = reference(k, a, b, cin, size);
              // CMP returns its first operand unchanged
              if (ALU[k] === "cmp") assert.equal(r, aa);
              const got = observed(cpu.lf, ALU[k] === "cmp" ? want.res : r, size);
              assert.deepEqual(got, want, `${ALU[k]}${size} ${hex(a)}, ${hex(b)} cin=${cin}${ext ? " (sign-extended operands)" : ""}`);
            }
          }
        }
      }
    });
  }
}

test("ADC/SBB read a lazily pending CF from the previous instruction", () => {
  const cpu = fakeCpu();
  aluOp(cpu, 0, 0xff, 0x01, 8); // add: CF=1, still lazy
  assert.notEqual(cpu.lf.lazy & CF, 0);
  const r = aluOp(cpu, 2, 0x10, 0x20, 8); // adc: 0x10 + 0x20 + 1
  assert.equal(r & 0xff, 0x31);
  assert.deepEqual(observed(cpu.lf, r, 8), reference(2, 0x10, 0x20, 1, 8));
  aluOp(cpu, 5, 0, 1, 32); // sub: borrow, CF=1
  const s = aluOp(cpu, 3, 5, 2, 32); // sbb: 5 - 2 - 1
  assert.equal(s, 2);
  assert.deepEqual(observed(cpu.lf, s, 32), reference(3, 5, 2, 1, 32));
});

for (const size of [8, 16, 32]) {
  test(`INC/DEC ${size}-bit: flags of +1/-1 with CF kept (lazy or materialized)`, () => {
    for (const a of EDGES[size]!) {
      for (const cin of [0, 1]) {
        for (const lazyCarry of [false, true]) {
          for (const which of ["inc", "dec"] as const) {
            const cpu = fakeCpu();
            if (lazyCarry) aluOp(cpu, 0, cin ? -1 : 0, cin ? 1 : 0, 32); // add leaving CF=cin pending
            else cpu.lf.flags = cin ? CF : 0;
            const r = which === "inc" ? inc(cpu, a, size) : dec(cpu, a, size);
            const want = { ...reference(which === "inc" ? 0 : 5, a, 1, 0, size), cf: cin };
            assert.deepEqual(observed(cpu.lf, r, size), want, `${which}${size} ${hex(a)} CF=${cin} ${lazyCarry ? "lazy" : "materialized"}`);
          }
        }
      }
    }
  });
}

for (const size of [8, 16, 32]) {
  test(`NEG ${size}-bit: flags of 0 - x; CF = (x != 0)`, () => {
    for (const a of EDGES[size]!) {
      const cpu = fakeCpu();
      const r = neg(cpu, a, size);
      const want = reference(5, 0, a, 0, size);
      assert.equal(want.cf, a !== 0 ? 1 : 0);
      assert.deepEqual(observed(cpu.lf, r, size), want, `neg${size} ${hex(a)}`);
    }
  });
}

test("setKeepCarry followed by another INC keeps the original CF", () => {
  const cpu = fakeCpu();
  aluOp(cpu, 0, -1, 1, 32); // CF=1 lazy
  inc(cpu, 5, 32);
  dec(cpu, 0, 8);
  inc(cpu, 0x7f, 8); // OF=1
  assert.equal(cpu.lf.cf(), 1);
  assert.equal(cpu.lf.of(), OF);
  assert.equal(cpu.lf.materialize() & (CF | OF | SF | AF | ZF | PF), CF | OF | SF | AF);
});
