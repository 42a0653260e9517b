/**
 * The virtual IDT and the way back from it (docs/xen-pv32-abi.md §4.1,
 * §4.20, §5.11, §6.3, §6.4, §6.7) on a fake guest: set_trap_table and its
 * continuation, exception bounces from ring 1 and ring 3 (the frame Xen
 * writes on the guest kernel stack, the handler's entry state, CR2 in
 * vcpu_info), the iret hypercall, refused `INT n`, and the fast int 0x80
 * gate in the CPU's IDT. Events reach the hypervisor as the CPU hands them
 * over (hv.trap with a TrapFrame), or by running guest code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { HYPERCALL } from "../../abi/hypercalls.js";
import { FLAT } from "../../abi/segments.js";
import { CF, CS, EAX, EBX, ESP, IF, NT, RF, SS, TF, ZF } from "../../machine/cpu/registers.js";
import { HV_VA } from "./hypervisor-area.js";
import {
  KERNEL, SCRATCH, fakeGuest, hypercall, mfnAt, onCpu, peek32, peekWords, poke32, pokeBytes, trapFrame, type CodeSnippets, type FakeGuest,
} from "../../../tests/support/pv-fake-guest.js";

const TABLE = SCRATCH + 0x10000;
/** Guest kernel stack used by the tests (SCRATCH is mapped RW). */
const KSTACK = SCRATCH + 0x30000, USTACK = SCRATCH + 0x50000;
const H = { PF: KERNEL + 0x400, GP: KERNEL + 0x410, SOFT: KERNEL + 0x420, SYSCALL: KERNEL + 0x430, NOHANDLER: KERNEL + 0x440 };
const MASK = 4;
const KCS = FLAT.RING1_CS, KSS = FLAT.RING1_SS, UCS = FLAT.RING3_CS, USS = FLAT.RING3_SS;
const JMP_SELF = [0xeb, 0xfe];

/** trap_info entries: [vector, flags, cs, address]; an address-0 entry ends the list. */
function writeTable(g: FakeGuest, at: number, entries: Array<[number, number, number, number]>): void {
  poke32(g, g.d, at, ...entries.flatMap(([vec, flags, cs, addr]) => [(vec | (flags << 8) | (cs << 16)) >>> 0, addr]));
}

/** A guest with a trap table: #PF (no mask), #GP (masking), 0x40 DPL 1, 0x41 DPL 0, 0x43 DPL 3, 0x80 DPL 3. */
function guest(code: CodeSnippets = []): FakeGuest {
  const g = fakeGuest({ code: [[0, JMP_SELF], ...Object.values(H).map((a) => [a - KERNEL, JMP_SELF] as const), ...code] });
  writeTable(g, TABLE, [[14, 0, KCS, H.PF], [13, MASK, KCS, H.GP], [0x40, 1, KCS, H.SOFT], [0x41, 0, KCS, H.SOFT], [0x43, 3, KCS, H.SOFT], [0x80, 3, KCS, H.SYSCALL], [0, 0, 0, 0]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  assert.equal(hypercall(g, HYPERCALL.stack_switch, KSS, KSTACK), 0);
  g.hv.cpu.regs[ESP] = KSTACK - 0x100;
  return g;
}

const upcallMask = (g: FakeGuest): number => g.hv.mem.read8(g.v.vcpuInfo + 1);
const setUpcallMask = (g: FakeGuest, m: number): void => g.hv.mem.write8(g.v.vcpuInfo + 1, m);
const cpuState = (g: FakeGuest) => {
  const c = g.hv.cpu;
  return { eip: c.eip >>> 0, cs: c.segSel[CS]!, esp: c.regs[ESP]! >>> 0, ss: c.segSel[SS]!, cpl: c.cpl };
};

// ── set_trap_table (§4.1) ───────────────────────────────────────────────

test("set_trap_table installs entries up to an address-0 entry, raising CS RPL 0 to 1", () => {
  const g = fakeGuest();
  writeTable(g, TABLE, [[14, 0, 0xe018, 0x101000], [0x80, 3, KCS, 0x101100], [13, MASK | 1, 0xe01b, 0x101200], [6, 0, KCS, 0], [7, 0, KCS, 0x101300]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  assert.deepEqual(g.v.traps.entry(14), { flags: 0, cs: 0xe019, address: 0x101000 });
  assert.deepEqual(g.v.traps.entry(0x80), { flags: 3, cs: KCS, address: 0x101100 });
  assert.deepEqual(g.v.traps.entry(13), { flags: MASK | 1, cs: 0xe01b, address: 0x101200 });
  assert.equal(g.v.traps.entry(6), undefined, "the terminating entry is not installed");
  assert.equal(g.v.traps.entry(7), undefined, "nothing after it is read");
  // a NULL table clears all 256 vectors
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, 0), 0);
  for (const v of [13, 14, 0x80]) assert.equal(g.v.traps.entry(v), undefined);
});

test("set_trap_table: an unreadable entry is −EFAULT; the entries before it stay installed", () => {
  const g = fakeGuest();
  const end = g.d.built.mappedEndVa;
  writeTable(g, end - 16, [[1, 0, KCS, 0x101000], [2, 0, KCS, 0x101100]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, end - 16), -ERRNO.EFAULT);
  assert.deepEqual(g.v.traps.entry(1), { flags: 0, cs: KCS, address: 0x101000 });
  assert.deepEqual(g.v.traps.entry(2), { flags: 0, cs: KCS, address: 0x101100 });
});

test("set_trap_table with more than 256 entries continues itself: EIP back on the INT, EBX on the next entry", () => {
  const g = fakeGuest();
  const entries: Array<[number, number, number, number]> = Array.from({ length: 256 }, (_, i) => [i, 0, KCS, 0x1000 + i]);
  writeTable(g, TABLE, [...entries, [0x80, 3, KCS, 0x9999], [0, 0, 0, 0]]);
  const INT = KERNEL + 0x800;
  g.hv.cpu.eip = INT + 2; // just after the `int $0x82` at INT
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  assert.equal(g.hv.cpu.eip, INT, "the guest re-executes the hypercall");
  assert.equal(g.hv.cpu.regs[EBX]! >>> 0, TABLE + 256 * 8);
  assert.deepEqual(g.v.traps.entry(0x80), { flags: 0, cs: KCS, address: 0x1080 });
  assert.deepEqual(g.v.traps.entry(255), { flags: 0, cs: KCS, address: 0x10ff });
  // the re-executed INT (EAX is the hypercall number again: the "result" 0 = set_trap_table)
  g.hv.cpu.eip = INT + 2;
  assert.equal(hypercall(g, g.hv.cpu.regs[EAX]!, g.hv.cpu.regs[EBX]!), 0);
  assert.equal(g.hv.cpu.eip, INT + 2, "done: execution goes on after the INT");
  assert.deepEqual(g.v.traps.entry(0x80), { flags: 3, cs: KCS, address: 0x9999 });
});

// ── exception bounces (§6.4, §5.11) ─────────────────────────────────────

test("#PF from ring 1: Xen's frame on the current stack, the handler entered, CR2 in vcpu_info", () => {
  const g = guest();
  setUpcallMask(g, 0);
  const sp = KSTACK - 0x100;
  const eflags = IF | TF | RF | NT | CF | ZF | 2;
  g.hv.trap(trapFrame(g, { vector: 14, errorCode: 0x0002, cr2: 0x00500123, eip: 0x00100abc, cs: KCS, eflags, esp: sp, ss: KSS }));
  assert.equal(g.d.end, undefined, g.log.join("\n"));
  assert.deepEqual(peekWords(g, g.d, sp - 16, 4), [0x0002, 0x00100abc, KCS, eflags], "error code, EIP, CS | mask 0 << 16, EFLAGS with IF = !mask");
  assert.deepEqual(cpuState(g), { eip: H.PF, cs: KCS, esp: sp - 16, ss: KSS, cpl: 1 });
  assert.equal(g.hv.cpu.eflags & (TF | RF | NT), 0, "the handler runs with TF, NT, RF clear");
  assert.notEqual(g.hv.cpu.eflags & IF, 0, "real IF stays set");
  assert.equal(g.hv.mem.read32(g.v.vcpuInfo + 8) >>> 0, 0x00500123, "vcpu_info.arch.cr2");
  assert.equal(upcallMask(g), 0, "a non-masking entry leaves events enabled");
});

test("bounce frames carry the upcall mask: masked before → CS bits 16–23 = 1 and IF clear; a masking entry masks", () => {
  const g = guest();
  const sp = KSTACK - 0x100;
  setUpcallMask(g, 1);
  g.hv.trap(trapFrame(g, { vector: 14, errorCode: 0, cr2: 0x1000, eip: 0x00100100, cs: KCS, eflags: IF | 2, esp: sp, ss: KSS }));
  assert.deepEqual(peekWords(g, g.d, sp - 16, 4), [0, 0x00100100, KCS | (1 << 16), 2]);
  assert.equal(upcallMask(g), 1);
  setUpcallMask(g, 0);
  g.hv.trap(trapFrame(g, { vector: 13, errorCode: 0x18, eip: 0x00100200, cs: KCS, eflags: IF | CF | 2, esp: sp, ss: KSS }));
  assert.deepEqual(peekWords(g, g.d, sp - 16, 4), [0x18, 0x00100200, KCS, IF | CF | 2]);
  assert.equal(g.hv.cpu.eip, H.GP);
  assert.equal(upcallMask(g), 1, "trap_info flags bit 2 masks events");
});

test("#PF from ring 3: the frame goes on kernel_ss:kernel_sp with the user ESP and SS above it", () => {
  const g = guest();
  setUpcallMask(g, 0);
  const eflags = IF | ZF | 2;
  g.hv.trap(trapFrame(g, { vector: 14, errorCode: 0x0006, cr2: 0x00600000, eip: 0x08048123, cs: UCS, eflags, esp: USTACK, ss: USS }));
  assert.equal(g.d.end, undefined, g.log.join("\n"));
  assert.deepEqual(peekWords(g, g.d, KSTACK - 24, 6), [0x0006, 0x08048123, UCS, eflags, USTACK, USS]);
  assert.deepEqual(cpuState(g), { eip: H.PF, cs: KCS, esp: KSTACK - 24, ss: KSS, cpl: 1 });
  assert.equal(g.hv.mem.read32(g.v.vcpuInfo + 8) >>> 0, 0x00600000);
});

test("#PF: the virtual CR2 (MOV from CR2, §5.11) is the faulting address too", () => {
  // KERNEL+0x500: mov eax, cr2 — privileged at ring 1, emulated (§6.8)
  const g = guest([[0x500, [0x0f, 0x20, 0xd0]]]);
  g.hv.trap(trapFrame(g, { vector: 14, errorCode: 0, cr2: 0x00700444, eip: 0x00100100, cs: KCS, eflags: IF | 2, esp: KSTACK - 0x100, ss: KSS }));
  g.hv.cpu.regs[EAX] = 0;
  g.hv.trap(trapFrame(g, { vector: 13, errorCode: 0, eip: KERNEL + 0x500 }));
  assert.equal(g.hv.cpu.eip, KERNEL + 0x503, "emulated, not bounced");
  assert.equal(g.hv.cpu.regs[EAX]! >>> 0, 0x00700444);
});

test("a vector with no handler, or a kernel stack that cannot take the frame, crashes the domain", () => {
  const g = guest();
  g.hv.trap(trapFrame(g, { vector: 6, eip: 0x00100100, cs: KCS, esp: KSTACK - 0x100, ss: KSS }));
  assert.equal(g.d.end?.kind, "crash");
  assert.equal(onCpu(g), undefined, "the CPU idles: nothing else to run");
  const h = guest();
  h.hv.trap(trapFrame(h, { vector: 14, errorCode: 0, cr2: 0, eip: 0x00100100, cs: KCS, esp: h.d.built.mappedEndVa + 0x10, ss: KSS }));
  assert.equal(h.d.end?.kind, "crash");
});

// ── iret (§4.20, §6.7) ──────────────────────────────────────────────────

test("iret to ring 1: EAX, EIP, CS, EFLAGS popped, ESP += 16, the upcall mask set from IF", () => {
  const g = guest();
  const sp = KSTACK - 0x200;
  g.hv.cpu.regs[ESP] = sp;
  setUpcallMask(g, 1);
  poke32(g, g.d, sp, 0x12345678, KERNEL + 0x600, KCS, IF | CF | 2);
  assert.equal(hypercall(g, HYPERCALL.iret), 0x12345678);
  assert.deepEqual(cpuState(g), { eip: KERNEL + 0x600, cs: KCS, esp: sp + 16, ss: KSS, cpl: 1 });
  assert.equal(g.hv.cpu.eflags & (IF | CF), IF | CF);
  assert.equal(upcallMask(g), 0, "IF set → events unmasked");
  // IF clear in the frame masks events (the real IF stays set)
  g.hv.cpu.regs[ESP] = sp;
  poke32(g, g.d, sp, 7, KERNEL + 0x610, KCS, 2);
  assert.equal(hypercall(g, HYPERCALL.iret), 7);
  assert.equal(upcallMask(g), 1);
  assert.notEqual(g.hv.cpu.eflags & IF, 0);
  assert.equal(g.hv.cpu.eip, KERNEL + 0x610);
});

test("iret to ring 3: ESP and SS come from the frame and the CPU is at CPL 3", () => {
  const g = guest();
  const sp = KSTACK - 0x200;
  g.hv.cpu.regs[ESP] = sp;
  poke32(g, g.d, sp, 0xabcdef01, 0x08048000, UCS, IF | 2, USTACK - 4, USS);
  assert.equal(hypercall(g, HYPERCALL.iret), 0xabcdef01 | 0);
  assert.deepEqual(cpuState(g), { eip: 0x08048000, cs: UCS, esp: USTACK - 4, ss: USS, cpl: 3 });
  assert.equal(upcallMask(g), 0);
});

test("iret to RPL 0, or from an unreadable frame, crashes the domain", () => {
  const g = guest();
  const sp = KSTACK - 0x200;
  g.hv.cpu.regs[ESP] = sp;
  poke32(g, g.d, sp, 0, KERNEL + 0x600, 0xe008, IF | 2);
  hypercall(g, HYPERCALL.iret);
  assert.equal(g.d.end?.kind, "crash");
  assert.match(g.log.join("\n"), /iret/);
  const h = guest();
  h.hv.cpu.regs[ESP] = h.d.built.mappedEndVa - 8;
  hypercall(h, HYPERCALL.iret);
  assert.equal(h.d.end?.kind, "crash");
});

// ── INT n (§6.3) ────────────────────────────────────────────────────────

test("INT n the hardware refuses: a software interrupt if trap_info's DPL allows the ring, else #GP((n << 3) | 2)", () => {
  const g = guest();
  const sp = KSTACK - 0x100;
  const at = (n: number, cs: number): Parameters<typeof trapFrame>[1] =>
    ({ vector: 13, errorCode: (n << 3) | 2, eip: KERNEL + 0x700, cs, eflags: IF | 2, esp: cs === KCS ? sp : USTACK, ss: cs === KCS ? KSS : USS });
  setUpcallMask(g, 0);
  // 0x40 has DPL 1: from ring 1 it is delivered, EIP after the 2-byte INT, no error code
  g.hv.trap(trapFrame(g, at(0x40, KCS)));
  assert.equal(g.hv.cpu.eip, H.SOFT);
  assert.deepEqual(peekWords(g, g.d, sp - 12, 3), [KERNEL + 0x702, KCS, IF | 2]);
  // 0x41 has DPL 0: #GP(0x20a) at the INT itself
  g.hv.trap(trapFrame(g, at(0x41, KCS)));
  assert.equal(g.hv.cpu.eip, H.GP);
  assert.deepEqual(peekWords(g, g.d, sp - 16, 2), [0x20a, KERNEL + 0x700]);
  setUpcallMask(g, 0);
  // 0x42 is not registered: #GP(0x212)
  g.hv.trap(trapFrame(g, at(0x42, KCS)));
  assert.deepEqual(peekWords(g, g.d, sp - 16, 2), [0x212, KERNEL + 0x700]);
  setUpcallMask(g, 0);
  // from ring 3: 0x40 (DPL 1) is #GP(0x202) on the kernel stack; 0x43 (DPL 3) is delivered
  g.hv.trap(trapFrame(g, at(0x40, UCS)));
  assert.equal(g.hv.cpu.eip, H.GP);
  assert.deepEqual(peekWords(g, g.d, KSTACK - 24, 6), [0x202, KERNEL + 0x700, UCS, IF | 2, USTACK, USS]);
  setUpcallMask(g, 0);
  g.hv.trap(trapFrame(g, at(0x43, UCS)));
  assert.equal(g.hv.cpu.eip, H.SOFT);
  assert.deepEqual(peekWords(g, g.d, KSTACK - 20, 5), [KERNEL + 0x702, UCS, IF | 2, USTACK, USS]);
  // `int $0x82` from ring 3 (#GP(0x412) by the DPL-1 gate, §3.1): bounced as #GP, no hypercall made
  setUpcallMask(g, 0);
  g.hv.cpu.regs[EAX] = HYPERCALL.sched_op;
  g.hv.trap(trapFrame(g, at(0x82, UCS)));
  assert.equal(g.hv.cpu.eip, H.GP);
  assert.equal(peek32(g, g.d, KSTACK - 24), 0x412);
  assert.equal(g.d.end, undefined);
});

test("INT n executed by the guest: the CPU's #GP reaches the hypervisor and becomes the software interrupt", () => {
  // KERNEL+0x700: int $0x40; jmp $
  const g = guest([[0x700, [0xcd, 0x40, ...JMP_SELF]]]);
  const sp = g.hv.cpu.regs[ESP]! >>> 0;
  setUpcallMask(g, 0);
  g.hv.cpu.eip = KERNEL + 0x700;
  g.pc.runFor(10_000);
  assert.equal(g.d.end, undefined, g.log.join("\n"));
  assert.equal(g.hv.cpu.eip, H.SOFT);
  assert.deepEqual(peekWords(g, g.d, sp - 12, 3).slice(0, 2), [KERNEL + 0x702, KCS]);
});

// ── the fast system-call gate (§6.3) ────────────────────────────────────

const idt80 = (g: FakeGuest): [number, number] => [g.hv.cpu.supRead32(HV_VA.IDT + 0x80 * 8) >>> 0, g.hv.cpu.supRead32(HV_VA.IDT + 0x80 * 8 + 4) >>> 0];

test("the int 0x80 gate is in the CPU's IDT only for a registered, non-masking entry with a non-null CS", () => {
  const g = fakeGuest();
  assert.deepEqual(idt80(g), [0, 0], "nothing registered");
  writeTable(g, TABLE, [[0x80, 3, KCS, 0x00123456], [0, 0, 0, 0]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  const [lo, hi] = idt80(g);
  assert.equal(lo, ((KCS << 16) | 0x3456) >>> 0, "selector and offset 15:0");
  assert.equal(hi & 0xffff0000, 0x00120000, "offset 31:16");
  assert.equal((hi >>> 8) & 0x9f, 0x8f, "present 32-bit trap gate (IF stays set)");
  assert.equal((hi >>> 13) & 3, 3, "DPL 3: reachable from user mode");
  // a masking entry cannot be a trap gate: removed
  writeTable(g, TABLE, [[0x80, 3 | MASK, KCS, 0x00123456], [0, 0, 0, 0]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  assert.deepEqual(idt80(g), [0, 0]);
  // a null CS: removed
  writeTable(g, TABLE, [[0x80, 3, 0, 0x00123456], [0, 0, 0, 0]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  assert.deepEqual(idt80(g), [0, 0]);
  // registered again, then the table cleared
  writeTable(g, TABLE, [[0x80, 3, KCS, 0x00123456], [0, 0, 0, 0]]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, TABLE), 0);
  assert.notDeepEqual(idt80(g), [0, 0]);
  assert.equal(hypercall(g, HYPERCALL.set_trap_table, 0), 0);
  assert.deepEqual(idt80(g), [0, 0]);
});

test("int $0x80 from ring 3 goes through the fast gate straight to the guest handler on the kernel stack", () => {
  const g = guest();
  // a user page (P | US | A, read-only) holding: int $0x80; jmp $
  const UCODE = SCRATCH + 0x60000;
  pokeBytes(g, g.d, UCODE, [0xcd, 0x80, ...JMP_SELF]);
  assert.equal(hypercall(g, HYPERCALL.update_va_mapping, UCODE, ((mfnAt(g.d, UCODE) << 12) | 0x25) >>> 0, 0, 2), 0);
  setUpcallMask(g, 0);
  const sp = KSTACK - 0x200;
  g.hv.cpu.regs[ESP] = sp;
  poke32(g, g.d, sp, 0, UCODE, UCS, IF | 2, USTACK, USS);
  hypercall(g, HYPERCALL.iret);
  assert.equal(g.hv.cpu.cpl, 3);
  let trapped = 0;
  const host = g.hv.cpu.host!;
  g.hv.cpu.host = { trap: (f) => { trapped++; host.trap(f); } };
  g.pc.runFor(10_000);
  assert.equal(trapped, 0, "no exit to the hypervisor");
  assert.equal(g.hv.cpu.eip, H.SYSCALL);
  assert.equal(g.hv.cpu.cpl, 1);
  assert.deepEqual(peekWords(g, g.d, KSTACK - 20, 5), [UCODE + 2, UCS, IF | 2, USTACK, USS]);
  assert.equal(upcallMask(g), 0, "the upcall mask is not touched");
});
