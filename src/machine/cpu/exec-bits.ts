/**
 * Bit and atomic-exchange instructions (SDM Vol. 2 BT/BTS/BTR/BTC, BSF/BSR,
 * BSWAP, SETcc, CMOVcc, XADD, CMPXCHG, CMPXCHG8B). Undefined flags follow
 * QEMU: BT* change only CF; BSF/BSR set ZF from the source and clear CF/OF.
 */
import { aluOp } from "./alu.js";
import type { Cpu } from "./cpu.js";
import { F_MEM } from "./decoder.js";
import { cond } from "./exec-control.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { LAZY_LOGIC } from "./lazy-flags.js";
import { CF, EAX, EBX, ECX, EDX, UD, ZF } from "./registers.js";
import { ea, getReg, opSize, readMem, readRm, rmwRead, rmwWrite, setReg, writeMem, writeRm } from "./operands.js";

/** BT family: op 0 BT, 1 BTS, 2 BTR, 3 BTC. `bit` from a register is signed and may reach outside the operand. */
function bitTest(cpu: Cpu, s: number, op: number, bitIn: number, fromReg: boolean): void {
  const size = opSize(cpu, s);
  const dc = cpu.dc;
  let value: number, bit: number, seg = 0, off = 0;
  const mem = (dc.flags[s]! & F_MEM) !== 0;
  if (!mem) {
    bit = bitIn & (size - 1);
    value = getReg(cpu, dc.rm[s]!, size);
  } else {
    off = ea(cpu, s);
    seg = dc.seg[s]!;
    if (fromReg) {
      const signed = size === 32 ? bitIn | 0 : (bitIn << 16) >> 16;
      off = (off + (Math.floor(signed / size) * (size / 8))) | 0;
      bit = signed & (size - 1);
    } else {
      bit = bitIn & (size - 1);
    }
    value = readMem(cpu, seg, off, size);
  }
  const cf = (value >>> bit) & 1;
  let next = value;
  if (op === 1) next = value | (1 << bit);
  else if (op === 2) next = value & ~(1 << bit);
  else if (op === 3) next = value ^ (1 << bit);
  if (op !== 0) {
    if (mem) writeMem(cpu, seg, off, size, next);
    else setReg(cpu, dc.rm[s]!, size, next);
  }
  const lf = cpu.lf;
  lf.materialize();
  lf.flags = (lf.flags & ~CF) | cf;
}

function bitScan(cpu: Cpu, s: number, reverse: boolean): void {
  const size = opSize(cpu, s);
  const src = readRm(cpu, s, size) & (size === 32 ? -1 : 0xffff);
  cpu.lf.set(LAZY_LOGIC, src, 0, src, size);
  if (src === 0) return;
  const index = reverse ? 31 - Math.clz32(src) : 31 - Math.clz32(src & -src);
  setReg(cpu, cpu.dc.reg[s]!, size, index);
}

function cmpxchg(cpu: Cpu, s: number, size: number): void {
  const dest = rmwRead(cpu, s, size);
  const acc = getReg(cpu, EAX, size);
  aluOp(cpu, 7, acc, dest, size);
  const m = size === 32 ? -1 : (1 << size) - 1;
  if ((acc & m) === (dest & m)) {
    rmwWrite(cpu, s, size, getReg(cpu, cpu.dc.reg[s]!, size));
  } else {
    rmwWrite(cpu, s, size, dest);
    setReg(cpu, EAX, size, dest);
  }
}

function cmpxchg8b(cpu: Cpu, s: number): void {
  const dc = cpu.dc;
  if (dc.reg[s] !== 1 || (dc.flags[s]! & F_MEM) === 0) raise(UD);
  const seg = dc.seg[s]!, off = ea(cpu, s);
  const lo = cpu.read32(seg, off), hi = cpu.read32(seg, (off + 4) | 0);
  const lf = cpu.lf;
  if (lo === cpu.regs[EAX] && hi === cpu.regs[EDX]) {
    cpu.write32(seg, off, cpu.regs[EBX]!);
    cpu.write32(seg, (off + 4) | 0, cpu.regs[ECX]!);
    lf.materialize();
    lf.flags |= ZF;
  } else {
    cpu.write32(seg, off, lo);
    cpu.write32(seg, (off + 4) | 0, hi);
    cpu.regs[EAX] = lo; cpu.regs[EDX] = hi;
    lf.materialize();
    lf.flags &= ~ZF;
  }
}

export function registerBits(h: Handler[]): void {
  const btReg = (op: number): Handler => (cpu, s) => bitTest(cpu, s, op, getReg(cpu, cpu.dc.reg[s]!, opSize(cpu, s)), true);
  h[0x1a3] = btReg(0); h[0x1ab] = btReg(1); h[0x1b3] = btReg(2); h[0x1bb] = btReg(3);
  h[0x1ba] = (cpu, s) => {
    const k = cpu.dc.reg[s]!;
    if (k < 4) raise(UD);
    bitTest(cpu, s, k - 4, cpu.dc.imm[s]!, false);
  };
  h[0x1bc] = (cpu, s) => bitScan(cpu, s, false);
  h[0x1bd] = (cpu, s) => bitScan(cpu, s, true);
  for (let r = 0; r < 8; r++) {
    h[0x1c8 + r] = (cpu) => {
      const v = cpu.regs[r]!;
      cpu.regs[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    };
  }
  for (let c = 0; c < 16; c++) {
    h[0x190 + c] = (cpu, s) => writeRm(cpu, s, 8, cond(cpu, c) ? 1 : 0);
    h[0x140 + c] = (cpu, s) => {
      const size = opSize(cpu, s);
      const v = readRm(cpu, s, size);
      if (cond(cpu, c)) setReg(cpu, cpu.dc.reg[s]!, size, v);
    };
  }
  const xadd = (cpu: Cpu, s: number, size: number): void => {
    const r = cpu.dc.reg[s]!;
    const dest = rmwRead(cpu, s, size);
    const sum = aluOp(cpu, 0, dest, getReg(cpu, r, size), size);
    // SRC <- DEST, then DEST <- SUM (so `xadd r, r` leaves the sum); memory is written first so a fault changes nothing.
    if ((cpu.dc.flags[s]! & F_MEM) !== 0) { rmwWrite(cpu, s, size, sum); setReg(cpu, r, size, dest); }
    else { setReg(cpu, r, size, dest); rmwWrite(cpu, s, size, sum); }
  };
  h[0x1c0] = (cpu, s) => xadd(cpu, s, 8);
  h[0x1c1] = (cpu, s) => xadd(cpu, s, opSize(cpu, s));
  h[0x1b0] = (cpu, s) => cmpxchg(cpu, s, 8);
  h[0x1b1] = (cpu, s) => cmpxchg(cpu, s, opSize(cpu, s));
  h[0x1c7] = cmpxchg8b;
}
