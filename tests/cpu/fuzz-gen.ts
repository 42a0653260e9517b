/**
 * The randomized instruction tester's generator: case `index` of seed `seed`
 * is a pure function of the two (mulberry32 seeded from both), so any case
 * can be regenerated alone and a big run can be split into kernels freely.
 *
 * A case: random EAX..EDI (not ESP), random CF PF AF ZF SF OF DF, a seed
 * for the scratch/stack contents, and 1-8 "units". A unit is one form from
 * FORMS (fuzz-forms.ts) with random prefixes (seg, 66, 67, LOCK, REP),
 * operands and immediates, preceded by the setups it needs: MOV r32,imm32
 * for each register an address depends on (so every memory access lands in
 * the scratch buffer), MOV CL for shift counts (so the flag rules know the
 * count), PUSH imm before POPF, small EDX/AH before most DIV/IDIV.
 *
 * Flag discipline (fuzz-undefined.ts): the generator tracks the undefined
 * flags U and redraws any form that reads one. A Jcc skips 0..k following
 * units forward; U at its target is the union of both paths.
 */
import { OPCODES } from "../../src/machine/cpu/opcodes.js";
import { type FuzzCase, type Insn } from "./fuzz-case.js";
import { anyModrm, imm, mem16, mem32, memEsp, movCl, movImm, pushImm, Rng, type MemOperand } from "./fuzz-encode.js";
import { FORMS, type Form } from "./fuzz-forms.js";
import { DF, EAX, EBP, EBX, ECX, EDI, EDX, ESI, SCRATCH, SCRATCH_LEN, STACK_MID, STATUS, TF } from "./fuzz-layout.js";
import { CC_NAMES, destUndefined, flagEffect, type Sem } from "./fuzz-undefined.js";

const GPRS = [0, 1, 2, 3, 5, 6, 7];
const SEGS = [0x26, 0x36, 0x3e, 0x64, 0x65]; // ES SS DS FS GS (not CS: writes through CS #GP)
const MAX_UNITS = 8;
/** A quarter of the cases run this often: tsxen compiles a block after 16 runs (src/machine/cpu/execute.ts HOT). */
const HOT_REPS = 18;

/**
 * Forms are drawn by mnemonic, each mnemonic weighted by the square root of
 * its number of forms: the 16 Jcc rel8 + 16 rel32 + 16 SETcc + 16 CMOVcc
 * opcodes would otherwise crowd out everything else.
 */
const GROUPS: Form[][] = [...FORMS.reduce((m, f) => m.set(f.mnem, [...(m.get(f.mnem) ?? []), f]), new Map<string, Form[]>()).values()];
const WEIGHTS: number[] = GROUPS.map((g) => Math.sqrt(g.length));
const TOTAL_WEIGHT = WEIGHTS.reduce((a, b) => a + b, 0);

function pickForm(rng: Rng): Form {
  let x = (rng.next() / 0x100000000) * TOTAL_WEIGHT;
  for (let k = 0; k < GROUPS.length; k++) {
    x -= WEIGHTS[k]!;
    if (x < 0) return rng.pick(GROUPS[k]!);
  }
  return rng.pick(GROUPS[GROUPS.length - 1]!);
}

interface Unit {
  insns: Insn[];
  /** Jcc: prefixes and condition, to re-encode once the displacement is known. */
  jcc?: { prefixes: number[]; cc: number; long: boolean; skip: number };
  /** POPF loading TF = 1: the next instruction executes, then #DB (SDM Vol. 3B §17.3.1.4). */
  setsTf?: boolean;
}

const shiftCount = (rng: Rng): number => (rng.chance(0.75) ? rng.below(34) : rng.next() & 0xff);

/** Encode one form; null when it cannot go here (BSF/BSR not last). */
function encodeForm(f: Form, rng: Rng, last: boolean): Unit | null {
  if (f.kind === "bsf" && !last) return null;
  const o16 = f.force16 || (f.o16 && rng.chance(0.25));
  const size: 8 | 16 | 32 = f.byteOp ? 8 : o16 ? 16 : 32;
  const vBytes = o16 ? 2 : 4;
  const addressing = f.rm !== null || f.kind === "string" || f.kind === "xlat" || f.kind === "moffs";
  const a16 = f.kind !== "jcc" && rng.chance(addressing ? 0.12 : 0.02);
  const seg = f.kind === "jcc"
    ? (rng.chance(0.1) ? rng.pick([0x2e, 0x3e]) : null) // branch hints
    : rng.chance(0.1) ? rng.pick(SEGS) : null;
  const setups: Insn[] = [];
  const sem: Sem = { mnem: f.mnem, size, cc: f.cc };
  let notes = "";
  let lockOrRep: number | null = null;
  let modrm: number[] = [];
  let immBytes: number[] = [];
  let undefRegs = 0;
  let undefRegsIfZF = 0;
  let avoid = 0; // registers other setups pin: memory operands must not use them
  let tf = false;

  if (f.count === "1") sem.count = 1;
  else if (f.count) {
    sem.count = shiftCount(rng);
    if (f.kind === "shd" && size === 16 && (sem.count & 31) > 16 && !last) sem.count = rng.below(17);
    if (f.count === "cl") {
      setups.push(movCl(sem.count));
      avoid |= 1 << ECX;
    }
  }
  // QEMU 7.2 dies of SIGFPE on IDIV r/m16 of 0x8000:0000 and r/m32 of
  // 0x80000000:00000000 by -1 (SDM: #DE; docs/qemu-deviations.md,
  // idiv-overflow-sdm), so 16/32-bit IDIV always gets a small positive high half.
  if (f.kind === "div" && (rng.chance(0.7) || (f.mnem === "idiv" && size !== 8))) {
    // Keep the high half of the dividend small so the quotient usually fits (no #DE).
    if (size === 8) setups.push(movImm(EAX, ((rng.next() & 0xffff00ff) | (rng.below(4) << 8)) >>> 0));
    else setups.push(movImm(EDX, size === 16 ? ((rng.next() & 0xffff0000) | rng.below(8)) >>> 0 : rng.below(8)));
    avoid |= 1 << (size === 8 ? EAX : EDX);
  }

  if (f.rm !== null) {
    const reg = f.ext >= 0 ? f.ext : f.reg === "b" ? rng.below(8) : f.reg === "v" ? rng.pick(GPRS) : 0;
    let useMem = rng.chance(0.5);
    if (f.kind === "lea" || f.memOnly) useMem = !rng.chance(0.03); // LEA r,r, BOUND r,r ... are #UD
    if (destUndefined(sem)) useMem = false; // mask the destination register instead
    if (useMem && f.kind === "lea") {
      modrm = anyModrm(rng, a16);
      notes = "(any address)";
    } else if (useMem) {
      let target = SCRATCH + rng.below(SCRATCH_LEN - f.memBytes + 1);
      if (f.kind === "bitreg") {
        // The bit offset in reg reaches (offset >> 3) bytes away: keep it in the buffer.
        target = SCRATCH + 8 + rng.below(SCRATCH_LEN - 16);
        const lo = SCRATCH + 4 - target;
        const hi = SCRATCH + SCRATCH_LEN - 8 - target;
        const bits = (lo + rng.below(hi - lo + 1)) * 8 + rng.below(8);
        setups.push(movImm(reg, o16 ? ((rng.next() & 0xffff0000) | (bits & 0xffff)) >>> 0 : bits >>> 0));
        avoid |= 1 << reg;
      }
      // ESP as the base: pin it first. POP r/m computes an ESP-based address after
      // the increment (Vol. 2B, POP), so aim that much lower.
      const espBase = !a16 && rng.chance(0.08);
      const after = f.mnem === "pop" ? (o16 ? 2 : 4) : 0;
      const m: MemOperand = a16 ? mem16(rng, target, avoid)
        : espBase ? memEsp(rng, target - after, STACK_MID + rng.below(129) - 64, avoid)
        : mem32(rng, target, avoid);
      setups.push(...m.setups);
      modrm = m.modrm;
      notes = m.text;
    } else {
      const rm = f.rm === "b" ? rng.below(8) : rng.pick(GPRS);
      modrm = [0xc0 | rm];
      if (destUndefined(sem)) undefRegs = 1 << rm;
    }
    modrm[0] |= reg << 3;
    if (f.kind === "bsf") undefRegsIfZF = 1 << reg;
    if (useMem && f.lock && rng.chance(0.08)) lockOrRep = 0xf0;
    // LOCK with a register destination must raise #UD (SDM Vol. 2A, LOCK). Not
    // generated where QEMU 7.2 deviates: it executes LOCK MOV/TEST/BT/LEA/SAR/
    // XCHG r,r (docs/qemu-deviations.md, lock-ud-sdm), LOCK XADD r,r and LOCK
    // XOR r,r with rm = reg (TCG's register-clearing shortcut) without #UD, and
    // dies ("tcg fatal error") on LOCK BTS/BTR/BTC r,r.
    const xorSelf = f.mnem === "xor" && (modrm[0]! & 7) === ((modrm[0]! >> 3) & 7);
    if (!useMem && f.lock && !/^(xchg|xadd|bt.)$/.test(f.mnem) && !xorSelf && rng.chance(0.03)) lockOrRep = 0xf0;
  } else if (f.kind === "string") {
    const repeated = rng.chance(0.5);
    const n = repeated ? rng.below(9) : 1;
    sem.iterations = n;
    const compares = f.mnem === "cmps" || f.mnem === "scas";
    if (repeated) lockOrRep = compares ? rng.pick([0xf2, 0xf3]) : 0xf3;
    const hi = () => (a16 ? rng.next() & 0xffff0000 : 0);
    const place = () => SCRATCH + 36 + rng.below(SCRATCH_LEN - 76);
    if (f.mnem !== "stos" && f.mnem !== "scas") setups.push(movImm(ESI, (hi() | place()) >>> 0));
    if (f.mnem !== "lods") setups.push(movImm(EDI, (hi() | place()) >>> 0));
    if (repeated) setups.push(movImm(ECX, (hi() | n) >>> 0));
  } else if (f.kind === "xlat") {
    setups.push(movImm(EBX, ((a16 ? rng.next() & 0xffff0000 : 0) | (SCRATCH + rng.below(SCRATCH_LEN - 255))) >>> 0));
  } else if (f.kind === "moffs") {
    const t = SCRATCH + rng.below(SCRATCH_LEN - 3);
    immBytes = imm(t, a16 ? 2 : 4);
    notes = `[0x${t.toString(16)}]`;
  } else if (f.kind === "leave" || f.kind === "enter") {
    setups.push(movImm(EBP, STACK_MID + rng.below(257) - 128));
  } else if (f.kind === "popf") {
    const v = rng.chance(0.25) ? rng.next() | TF : rng.next() & ~TF; // TF: single-step #DB
    setups.push(pushImm(v, o16));
    tf = (v & TF) !== 0;
  }

  const opBytes = f.op >= 0x100 ? [0x0f, f.op & 0xff] : [f.op];
  const kind = OPCODES[f.op]!.imm;
  if (f.kind === "enter") immBytes = [...imm(rng.below(65), 2), rng.chance(0.8) ? rng.below(4) : rng.next() & 0xff];
  else if (f.op === 0xd4 || f.op === 0xd5) immBytes = [rng.chance(0.5) ? 10 : f.op === 0xd4 && rng.chance(0.06) ? 0 : rng.next() & 0xff];
  else if (f.count === "ib") immBytes = [sem.count!];
  else if (kind === "ib" && f.kind !== "jcc") immBytes = [rng.value() & 0xff];
  else if (kind === "iv" && f.kind !== "jcc") immBytes = imm(rng.value(), vBytes);
  else if (kind === "g3" && f.ext === 0) immBytes = imm(rng.value(), f.byteOp ? 1 : vBytes);

  const prefixes = [seg, o16 ? 0x66 : null, a16 ? 0x67 : null, lockOrRep].filter((p): p is number => p !== null);
  if (rng.chance(0.03)) {
    // Redundant segment prefixes (the last one wins; all segments are flat), sometimes
    // past the 15-byte limit: #GP(0) (SDM Vol. 2A §2.3.11).
    const bare = opBytes.length + modrm.length + immBytes.length + (f.kind === "jcc" ? 1 : 0);
    const extra = rng.chance(0.3) ? Math.max(0, 14 + rng.below(4) - bare - prefixes.length) : 1 + rng.below(3);
    for (let k = 0; k < extra; k++) prefixes.push(f.kind === "jcc" ? rng.pick([0x2e, 0x3e]) : rng.pick(SEGS));
  }
  for (let i = prefixes.length - 1; i > 0; i--) {
    const k = rng.below(i + 1);
    [prefixes[i], prefixes[k]] = [prefixes[k]!, prefixes[i]!];
  }
  const name = OPCODES[f.op]!.name + (f.ext >= 0 ? ` /${f.ext}` : "");
  const pfx = prefixes.map((p) => p.toString(16)).join(" ");
  const sized = f.rm !== null || f.kind === "string" || f.kind === "moffs" || OPCODES[f.op]!.imm !== "-";
  const text = `${pfx ? pfx + " | " : ""}${f.mnem}${f.cc !== undefined ? CC_NAMES[f.cc] : ""}${sized && f.kind !== "jcc" ? "." + size : ""} ` +
    `(${name})${sem.count !== undefined ? ` count=${sem.count}` : ""}${sem.iterations !== undefined ? ` n=${sem.iterations}` : ""} ${notes}`.trimEnd();
  const main: Insn = { bytes: [...prefixes, ...opBytes, ...modrm, ...immBytes], text, sem, setup: false };
  if (undefRegs) main.undefRegs = undefRegs;
  if (undefRegsIfZF) main.undefRegsIfZF = undefRegsIfZF;
  const unit: Unit = { insns: [...setups, main] };
  if (tf) unit.setsTf = true;
  if (f.kind === "jcc") unit.jcc = { prefixes, cc: f.cc!, long: f.op >= 0x100, skip: 0 };
  return unit;
}

/** Re-encode a Jcc with its displacement; rel8 becomes rel32 (0F 8x) when the skip is too far. */
function placeJcc(unit: Unit, disp: number): void {
  const j = unit.jcc!;
  const main = unit.insns[unit.insns.length - 1]!;
  if (!j.long && disp > 127) {
    j.long = true;
    main.text += " (rel8 too short: rel32)";
  }
  main.bytes = j.long ? [...j.prefixes, 0x0f, 0x80 | j.cc, ...imm(disp, 4)] : [...j.prefixes, 0x70 | j.cc, disp];
}

export function caseSeed(seed: number, index: number): number {
  return new Rng((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0).next();
}

export function generateCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const regs = Array.from({ length: 8 }, (_, r) => (r === 4 ? 0 : rng.value()));
  const eflags = 2 | (rng.next() & (STATUS | DF));
  const fillSeed = (rng.next() | 1) >>> 0;
  const reps = rng.chance(0.25) ? HOT_REPS : 1;
  const n = 1 + rng.below(MAX_UNITS);
  const units: Unit[] = [];
  const join = new Map<number, number>();
  let u = 0;
  for (let j = 0; j < n; j++) {
    u |= join.get(j) ?? 0;
    let unit: Unit | null = null;
    for (let tries = 0; unit === null; tries++) {
      if (tries > 1000) throw new Error(`fuzz-gen: no form fits case ${index} unit ${j}`);
      const cand = encodeForm(pickForm(rng), rng, j === n - 1);
      if (cand && !(flagEffect(cand.insns[cand.insns.length - 1]!.sem).reads & u)) unit = cand;
    }
    const prev = units[j - 1];
    if (prev?.setsTf && !join.has(j)) {
      // Single-step the main instruction, not its first setup: run the setups
      // before the PUSH/POPF pair (they touch no flag; no Jcc lands between).
      const setups = unit.insns.splice(0, unit.insns.length - 1);
      prev.insns.unshift(...setups);
    }
    const e = flagEffect(unit.insns[unit.insns.length - 1]!.sem);
    if (unit.jcc) {
      unit.jcc.skip = rng.below(n - j);
      const t = j + 1 + unit.jcc.skip;
      join.set(t, (join.get(t) ?? 0) | u);
    }
    u = (u & ~e.defines) | e.undef;
    units.push(unit);
  }
  // Displacements depend only on later units: resolve back to front.
  const length = (un: Unit) => un.insns.reduce((s, i) => s + i.bytes.length, 0);
  for (let j = n - 1; j >= 0; j--) {
    const un = units[j]!;
    if (un.jcc) placeJcc(un, units.slice(j + 1, j + 1 + un.jcc.skip).reduce((s, x) => s + length(x), 0));
  }
  const first: number[] = [];
  const insns: Insn[] = [];
  for (const un of units) {
    first.push(insns.length);
    insns.push(...un.insns);
  }
  first.push(insns.length);
  units.forEach((un, j) => {
    if (un.jcc) un.insns[un.insns.length - 1]!.jccTarget = first[j + 1 + un.jcc.skip]!;
  });
  const size = insns.reduce((a, i) => a + i.bytes.length, 0);
  const pageSplit = size > 1 && rng.chance(1 / 32) ? 1 + rng.below(size - 1) : null;
  return { index, regs, eflags, seed: fillSeed, reps, pageSplit, insns };
}

export function generateCases(seed: number, count: number, start = 0): FuzzCase[] {
  return Array.from({ length: count }, (_, k) => generateCase(seed, start + k));
}
