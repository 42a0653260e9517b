/**
 * The instruction forms the randomized tester generates, derived from the
 * opcode table (src/machine/cpu/opcodes.ts): every opcode marked `fuzz`,
 * group opcodes expanded into their valid /reg forms, with what the table
 * does not say - operand sizes, mnemonic, special setup needs - added here.
 *
 * A form's ModRM operands:
 *   rm   size of the r/m operand ("b" 8-bit, "v" 16/32, "w" 16), or null
 *   reg  size of the register named by ModRM.reg, or null when reg is an
 *        opcode extension (ext >= 0) or unused
 * No 16/32-bit register operand is ever ESP (index 4): writing it would
 * leave the case's stack. Opcodes left out on purpose are in EXCLUDED.
 *
 * `kind` selects the generator's special handling (fuzz-gen.ts):
 *   plain   random operands          lea     ModRM without memory access
 *   bitreg  BT* Ev,Gv (bit offset)   string  MOVS..SCAS with ESI/EDI/ECX set
 *   xlat    EBX set                  moffs   A0..A3 absolute offset
 *   jcc     forward skip             leave   EBP set to the case stack
 *   popf    preceded by PUSH imm     shiftcl CL set by MOV CL,imm8
 *   div     EDX/AH set small         aam     imm8 mostly non-zero
 *   bsf     last in the case         shd     SHLD/SHRD (count rules)
 */
import { OPCODES, type OpcodeInfo } from "../../src/machine/cpu/opcodes.js";

export type Kind =
  | "plain" | "lea" | "bitreg" | "string" | "xlat" | "moffs" | "jcc" | "leave"
  | "popf" | "shiftcl" | "div" | "aam" | "bsf" | "shd" | "enter";

export interface Form {
  /** OPCODES index: byte, or 0x100 | byte for 0F xx. */
  op: number;
  /** ModRM.reg opcode extension, or -1. */
  ext: number;
  mnem: string;
  rm: "b" | "v" | "w" | null;
  reg: "b" | "v" | null;
  /** 8-bit operation (operand-size prefix has no effect). */
  byteOp: boolean;
  kind: Kind;
  /** LOCK is legal with a memory destination (SDM Vol. 2A, LOCK). */
  lock: boolean;
  /** May take a 0x66 prefix (not Jcc: EIP would be truncated; not BSWAP: undefined). */
  o16: boolean;
  /** Shift count source: "1", "ib" or "cl". */
  count?: "1" | "ib" | "cl";
  cc?: number;
  /** Bytes the memory operand spans (default 4). */
  memBytes: number;
  /** r/m must be memory: the register form is #UD, generated rarely. */
  memOnly: boolean;
  /** Always with 0x66 (the 32-bit form leaves bits undefined). */
  force16: boolean;
}

/** Fuzz-marked opcodes not generated, and why. */
export const EXCLUDED: ReadonlyMap<number, string> = new Map([
  [0x94, "xchg eax,esp would move ESP off the case stack"],
  [0xbc, "mov esp,imm32 would move ESP off the case stack"],
  [0x1cc, "bswap esp would move ESP off the case stack"],
]);

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
const SHIFT = ["rol", "ror", "rcl", "rcr", "shl", "shr", "", "sar"]; // /6 is blank in SDM Table A-6
const GRP3 = ["test", "", "not", "neg", "mul", "imul", "div", "idiv"]; // /1 is blank in Table A-6
const BT = ["", "", "", "", "bt", "bts", "btr", "btc"];
const LOCKABLE = new Set(["add", "or", "adc", "sbb", "and", "sub", "xor", "not", "neg", "inc", "dec",
  "bts", "btr", "btc", "xchg", "xadd", "cmpxchg", "cmpxchg8b"]);

interface Partial {
  ext?: number;
  memBytes?: number;
  memOnly?: boolean;
  force16?: boolean;
  mnem: string;
  rm?: "b" | "v" | "w" | null;
  reg?: "b" | "v" | null;
  byteOp?: boolean;
  kind?: Kind;
  count?: "1" | "ib" | "cl";
  cc?: number;
}

function formsOf(o: OpcodeInfo): Partial[] {
  const b = o.opcode & 0xff;
  const two = o.opcode >= 0x100;
  const E = (mnem: string, rm: "b" | "v", reg: "b" | "v" | null, kind: Kind = "plain"): Partial =>
    ({ mnem, rm, reg, byteOp: rm === "b", kind });
  if (!two) {
    if (b < 0x40 && (b & 7) < 6) {
      const m = ALU[b >> 3]!;
      return [[E(m, "b", "b")], [E(m, "v", "v")], [E(m, "b", "b")], [E(m, "v", "v")],
        [{ mnem: m, byteOp: true }], [{ mnem: m }]][b & 7]!;
    }
    switch (b) {
      case 0x27: return [{ mnem: "daa" }];
      case 0x2f: return [{ mnem: "das" }];
      case 0x37: return [{ mnem: "aaa" }];
      case 0x3f: return [{ mnem: "aas" }];
      case 0x60: return [{ mnem: "pusha" }];
      case 0x61: return [{ mnem: "popa" }];
      case 0x68: case 0x6a: return [{ mnem: "push" }];
      case 0x69: case 0x6b: return [E("imul", "v", "v")];
      case 0x80: case 0x81: case 0x82: case 0x83:
        return ALU.map((m, ext) => ({ ...E(m, b === 0x81 || b === 0x83 ? "v" : "b", null), ext }));
      case 0x84: case 0x85: return [E("test", b & 1 ? "v" : "b", b & 1 ? "v" : "b")];
      case 0x86: case 0x87: return [E("xchg", b & 1 ? "v" : "b", b & 1 ? "v" : "b")];
      case 0x88: case 0x89: case 0x8a: case 0x8b: return [E("mov", b & 1 ? "v" : "b", b & 1 ? "v" : "b")];
      case 0x8d: return [{ mnem: "lea", rm: "v", reg: "v", kind: "lea" }];
      case 0x90: return [{ mnem: "nop" }];
      case 0x98: return [{ mnem: "cbw" }];
      case 0x99: return [{ mnem: "cwd" }];
      case 0x9c: return [{ mnem: "pushf" }];
      case 0x9d: return [{ mnem: "popf", kind: "popf" }];
      case 0x9e: return [{ mnem: "sahf" }];
      case 0x9f: return [{ mnem: "lahf" }];
      case 0xa0: case 0xa1: case 0xa2: case 0xa3: return [{ mnem: "mov", byteOp: !(b & 1), kind: "moffs" }];
      case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab:
      case 0xac: case 0xad: case 0xae: case 0xaf:
        return [{ mnem: ["movs", "cmps", "", "stos", "lods", "scas"][(b - 0xa4) >> 1]!, byteOp: !(b & 1), kind: "string" }];
      case 0xa8: case 0xa9: return [{ mnem: "test", byteOp: b === 0xa8 }];
      case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        const count = b < 0xd0 ? "ib" : b < 0xd2 ? "1" : "cl";
        return SHIFT.flatMap((m, ext) => (m ? [{ ...E(m, b & 1 ? "v" : "b", null, count === "cl" ? "shiftcl" : "plain"), ext, count }] : []));
      }
      case 0xc6: case 0xc7: return [{ ...E("mov", b & 1 ? "v" : "b", null), ext: 0 }];
      case 0xc9: return [{ mnem: "leave", kind: "leave" }];
      case 0xd4: return [{ mnem: "aam", kind: "aam" }];
      case 0xd5: return [{ mnem: "aad" }];
      case 0xd7: return [{ mnem: "xlat", kind: "xlat" }];
      case 0xf5: return [{ mnem: "cmc" }];
      case 0xf6: case 0xf7:
        return GRP3.flatMap((m, ext) => (m ? [{ ...E(m, b & 1 ? "v" : "b", null, ext >= 6 ? "div" : "plain"), ext }] : []));
      case 0xf8: return [{ mnem: "clc" }];
      case 0xf9: return [{ mnem: "stc" }];
      case 0xfc: return [{ mnem: "cld" }];
      case 0xfd: return [{ mnem: "std" }];
      case 0xfe: return [{ ...E("inc", "b", null), ext: 0 }, { ...E("dec", "b", null), ext: 1 }];
    }
    if (b >= 0x40 && b < 0x60) return [{ mnem: ["inc", "dec", "push", "pop"][(b - 0x40) >> 3]! }];
    if (b >= 0x70 && b < 0x80) return [{ mnem: "jcc", kind: "jcc", cc: b & 15 }];
    if (b >= 0x91 && b < 0x98) return [{ mnem: "xchg" }];
    if (b >= 0xb0 && b < 0xb8) return [{ mnem: "mov", byteOp: true }];
    if (b >= 0xb8 && b < 0xc0) return [{ mnem: "mov" }];
  } else {
    if (b >= 0x40 && b < 0x50) return [{ ...E("cmovcc", "v", "v"), cc: b & 15 }];
    if (b >= 0x80 && b < 0x90) return [{ mnem: "jcc", kind: "jcc", cc: b & 15 }];
    if (b >= 0x90 && b < 0xa0) return [{ ...E("setcc", "b", null), ext: 0, cc: b & 15 }];
    if (b >= 0xc8) return [{ mnem: "bswap" }];
    switch (b) {
      case 0xa3: case 0xab: case 0xb3: case 0xbb:
        return [E(BT[4 + ((b >> 3) & 3)]!, "v", "v", "bitreg")];
      case 0xa4: case 0xa5: case 0xac: case 0xad:
        return [{ ...E(b < 0xa8 ? "shld" : "shrd", "v", "v", "shd"), count: b & 1 ? "cl" : "ib" }];
      case 0xaf: return [E("imul", "v", "v")];
      case 0xb0: case 0xb1: return [E("cmpxchg", b & 1 ? "v" : "b", b & 1 ? "v" : "b")];
      case 0xb6: case 0xbe: return [{ mnem: b === 0xb6 ? "movzx" : "movsx", rm: "b", reg: "v" }];
      case 0xb7: case 0xbf: return [{ mnem: b === 0xb7 ? "movzx" : "movsx", rm: "w", reg: "v" }];
      case 0xba: return BT.flatMap((m, ext) => (m ? [{ ...E(m, "v", null), ext }] : []));
      case 0xbc: case 0xbd: return [E(b === 0xbc ? "bsf" : "bsr", "v", "v", "bsf")];
      case 0xc0: case 0xc1: return [E("xadd", b & 1 ? "v" : "b", b & 1 ? "v" : "b")];
    }
  }
  throw new Error(`fuzz-forms: no operand form for fuzz opcode ${o.opcode.toString(16)} (${o.name})`);
}

function buildForms(): Form[] {
  const forms: Form[] = [];
  for (const o of OPCODES) {
    if (!o.fuzz || EXCLUDED.has(o.opcode)) continue;
    for (const p of formsOf(o)) {
      forms.push(complete(o, p));
    }
  }
  for (const [op, ps] of EXTRA) for (const p of ps) forms.push(complete(OPCODES[op]!, p));
  return forms;
}

function complete(o: OpcodeInfo, p: Partial): Form {
  const modrm = p.rm !== undefined && p.rm !== null;
  if (modrm !== o.modrm) throw new Error(`fuzz-forms: ModRM disagrees with the opcode table for ${o.opcode.toString(16)}`);
  return {
    op: o.opcode, ext: p.ext ?? -1, mnem: p.mnem, rm: p.rm ?? null, reg: p.reg ?? null,
    byteOp: p.byteOp ?? false, kind: p.kind ?? "plain",
    lock: modrm && LOCKABLE.has(p.mnem) && (o.opcode < 0x40 ? (o.opcode & 6) === 0 : true),
    o16: p.mnem !== "bswap" && p.mnem !== "jcc", count: p.count, cc: p.cc,
    memBytes: p.memBytes ?? 4, memOnly: p.memOnly ?? false, force16: p.force16 ?? false,
  };
}

/**
 * Forms of opcodes the table does not mark `fuzz` that are still safe here:
 * the valid /reg forms of groups 5, 1A, 6, 7 and 9 that neither transfer
 * control nor need CPL 0, and a few unprivileged opcodes. Left out: FF /2-/5
 * (CALL/JMP), 0F 00 /2 /3 and 0F 01 /2 /3 /6 /7 (privileged), LAR (bits
 * 19:16 of the result are undefined), POP sreg / MOV sreg,ew (would reload
 * the kernel's segments), CPUID and RDTSC (differ by design), and CMPXCHG8B
 * (0F C7 /1): QEMU 7.2 corrupts the flags it must leave alone (SDM Vol. 2A
 * CMPXCHG8B: "CF, PF, AF, SF, OF unaffected"), e.g. DEC EBP (4 -> 3, PF=1)
 * then a failing CMPXCHG8B leaves PF=0 on QEMU, PF=1 on tsxen.
 */
const EXTRA: [number, Partial[]][] = [
  [0xff, [{ mnem: "inc", rm: "v", ext: 0 }, { mnem: "dec", rm: "v", ext: 1 }, { mnem: "push", rm: "v", ext: 6 }]],
  [0x8f, [{ mnem: "pop", rm: "v", ext: 0 }]],
  [0x62, [{ mnem: "bound", rm: "v", reg: "v", memBytes: 8, memOnly: true }]],
  [0x63, [{ mnem: "arpl", rm: "w", reg: "v" }]],
  [0xc8, [{ mnem: "enter", kind: "enter" }]],
  // MOV Ew,Sreg: "for the P6 family the two high-order bytes are filled with zeros" (Vol. 2B, MOV).
  [0x8c, [0, 1, 2, 3, 4, 5].map((ext) => ({ mnem: "mov", rm: "w" as const, ext, memBytes: 2 }))],
  // PUSH Sreg with a 32-bit operand may write only 2 bytes (Vol. 2B, PUSH): 16-bit only.
  ...[0x06, 0x0e, 0x16, 0x1e, 0x1a0, 0x1a8].map((op): [number, Partial[]] => [op, [{ mnem: "push", force16: true }]]),
  [0x100, [{ mnem: "sldt", rm: "w", ext: 0, memBytes: 2 }, { mnem: "str", rm: "w", ext: 1, memBytes: 2 },
    { mnem: "verr", rm: "w", ext: 4, memBytes: 2 }, { mnem: "verw", rm: "w", ext: 5, memBytes: 2 }]],
  // SMSW r32 leaves bits 31:16 undefined (Vol. 2B, SMSW): 16-bit only.
  [0x101, [{ mnem: "sgdt", rm: "v", ext: 0, memBytes: 6, memOnly: true }, { mnem: "sidt", rm: "v", ext: 1, memBytes: 6, memOnly: true },
    { mnem: "smsw", rm: "w", ext: 4, memBytes: 2, force16: true }]],
  [0x103, [{ mnem: "lsl", rm: "w", reg: "v", memBytes: 2 }]],
  [0x11f, [{ mnem: "nop", rm: "v", ext: 0, kind: "lea" }]],
  [0x10b, [{ mnem: "ud2" }]],
];

export const FORMS: readonly Form[] = buildForms();
for (const op of EXCLUDED.keys()) if (!OPCODES[op]!.fuzz) throw new Error(`fuzz-forms: excluded ${op.toString(16)} is not a fuzz opcode`);
