/**
 * emulatePrivOp against a fake vCPU (STYLE §9): a sparse guest memory with
 * unmapped and read-only pages, flat FLAT_RING1/RING3 segments, a fake MSR
 * and CPUID policy, and recorders for every side effect. Each test says
 * which registers may change and checks that nothing else did.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import type { Vaddr } from "../../lib/brand.js";
import { DF, EAX, EBX, ECX, EDI, EDX, ESI, ESP, RF, TF } from "../../machine/cpu/registers.js";
import type { CpuidLeaf } from "./pv-cpuid.js";
import { emulatePrivOp, guestIoRead, MAX_REPS, type PrivOpContext, type PrivOpResult, type SegmentView } from "./priv-op.js";

const PAGE = 4096;
const CODE = 0x00100000, DATA = 0x00200000;
/** Pages 0x00300000 (unmapped) and 0x00303000 (read-only, after a writable page). */
const UNMAPPED = 0x00300000, READONLY = 0x00303000;
const KERNEL_CS = 0xe019, USER_CS = 0xe02b;
const FLAT_CODE: SegmentView = { base: 0, limit: 0xffffffff, attr: 0x9b | 0xc000 };
const FLAT_DATA: SegmentView = { base: 0, limit: 0xffffffff, attr: 0x93 | 0xc000 };
const IF = 0x200;

interface Fake extends PrivOpContext {
  mem: Map<number, number>;
  segs: Array<SegmentView | undefined>;
  cs: number;
  iopl: number;
  architecturalIopl: boolean;
  ioBitmap: { va: number; nrPorts: number } | undefined;
  log: string[];
  msrs: Map<number, bigint>;
  bp: number;
  ts: boolean;
  cr2: number;
  cr4: number;
  baseptr: number;
  dr: number[];
  dr4Nodev: boolean;
  setDrRc: number;
  baseptrRc: number;
}

function fake(code: number[], opts: Partial<Pick<Fake, "cs" | "iopl" | "eflags">> = {}): Fake {
  const mem = new Map<number, number>();
  const readable = (a: number): boolean => (a & ~(PAGE - 1)) !== UNMAPPED && a < 0xf5800000;
  const writable = (a: number): boolean => readable(a) && (a & ~(PAGE - 1)) !== READONLY;
  code.forEach((b, k) => mem.set(CODE + k, b));
  const f: Fake = {
    mem, log: [], msrs: new Map([[0x10, 0x123456789abcdefn], [0x1b, 0xfee00900n]]),
    regs: Int32Array.of(0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666, 0x77777777, 0x88888888),
    eip: CODE, eflags: opts.eflags ?? (IF | 2), cs: opts.cs ?? KERNEL_CS,
    segs: [FLAT_DATA, FLAT_CODE, FLAT_DATA, FLAT_DATA, FLAT_DATA, FLAT_DATA],
    segment(seg: number) { return this.segs[seg]; },
    guest: {
      copyFromGuest(va: Vaddr, len: number) {
        const out = new Uint8Array(len);
        for (let k = 0; k < len; k++) {
          if (!readable((va + k) >>> 0)) return undefined;
          out[k] = mem.get((va + k) >>> 0) ?? 0;
        }
        return out;
      },
      copyToGuest(va: Vaddr, bytes: Uint8Array) {
        for (let k = 0; k < bytes.length; k++) if (!writable((va + k) >>> 0)) return false;
        bytes.forEach((b, k) => mem.set((va + k) >>> 0, b));
        return true;
      },
    },
    iopl: opts.iopl ?? 0, architecturalIopl: false, ioBitmap: undefined,
    ioState: { cmosIndex: 0, pciCf8: 0 },
    bp: 0,
    ioBreakpoints(port, len) { this.log.push(`bp ${port.toString(16)}/${len}`); return this.bp; },
    cpuid: (leaf, subleaf): CpuidLeaf => [leaf + 1, subleaf + 2, 0xc0ffee, 0xd00d],
    msr: {
      read: (m) => f.msrs.get(m),
      write: (m, v) => { if (m === 0x1d9) return false; f.msrs.set(m, v); return true; },
    },
    hostCr0: 0x80050033, hostCr4: 0x20 | 0x200,
    ts: false, fpuTaskswitch(set) { this.ts = set; this.log.push(`ts ${set}`); },
    cr2: 0xdeadbeef, setCr2(v) { this.cr2 = v; this.log.push(`cr2 ${v.toString(16)}`); },
    baseptr: 0x12345, baseptrRc: 0,
    newBaseptr(m) { this.log.push(`baseptr ${m.toString(16)}`); if (this.baseptrRc === 0) this.baseptr = m; return this.baseptrRc; },
    cr4: 0x20, setCr4(v) { this.cr4 = v; this.log.push(`cr4 ${v.toString(16)}`); },
    dr: [0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400], dr4Nodev: false, setDrRc: 0,
    getDebugreg(r) { return r === 4 && this.dr4Nodev ? undefined : this.dr[r]; },
    setDebugreg(r, v) { this.log.push(`dr${r} ${v.toString(16)}`); if (this.setDrRc === 0) this.dr[r] = v; return this.setDrRc; },
  };
  return f;
}

/** Run, then check that only `changed` registers moved. */
function run(f: Fake, kind: "gp" | "ud", changed: Record<number, number> = {}): PrivOpResult {
  const before = Int32Array.from(f.regs);
  const res = emulatePrivOp(f, kind);
  for (let r = 0; r < 8; r++) {
    assert.equal(f.regs[r]! >>> 0, (changed[r] ?? before[r]!) >>> 0, `register ${r}`);
  }
  return res;
}

const ok = (dr6 = 0): PrivOpResult => ({ handled: true, singleStep: (dr6 & 0x4000) !== 0, dr6 });
const gp0: PrivOpResult = { handled: true, fault: { vector: 13, errorCode: 0 } };
const ud: PrivOpResult = { handled: true, fault: { vector: 6 } };
const no: PrivOpResult = { handled: false };
const FEP = [0x0f, 0x0b, 0x78, 0x65, 0x6e];

// ── #UD: the forced-emulation prefix ─────────────────────────────────────

test("FEP CPUID: policy result in EAX–EDX, EIP += 7, RF cleared, nothing else", () => {
  const f = fake([...FEP, 0x0f, 0xa2], { eflags: IF | RF | 2 });
  f.regs[EAX] = 0x40000000; f.regs[ECX] = 3;
  assert.deepEqual(run(f, "ud", { [EAX]: 0x40000001, [EBX]: 5, [ECX]: 0xc0ffee, [EDX]: 0xd00d }), ok());
  assert.equal(f.eip, CODE + 7);
  assert.equal(f.eflags, IF | 2);
  assert.deepEqual(f.log, []);
});

test("FEP CPUID with TF reports a single-step #DB (DR6.BS)", () => {
  const f = fake([...FEP, 0x0f, 0xa2], { eflags: IF | TF | 2 });
  assert.deepEqual(emulatePrivOp(f, "ud"), ok(0x4000));
  assert.equal(f.eip, CODE + 7);
});

test("plain UD2, FEP + MOV, and a half prefix are not handled (the #UD is bounced)", () => {
  for (const code of [[0x0f, 0x0b, 0x90, 0x90, 0x90, 0x90, 0x90], [...FEP, 0xb0, 0x01], [0x0f, 0x0b, 0x78, 0x65, 0x00, 0x0f, 0xa2]]) {
    const f = fake(code);
    assert.deepEqual(run(f, "ud"), no);
    assert.equal(f.eip, CODE);
  }
});

test("FEP CPUID from user mode with guest CPUID faulting: #GP(0) at the CPUID (EIP + 5)", () => {
  const f = fake([...FEP, 0x0f, 0xa2], { cs: USER_CS });
  f.msrs.set(0x140, 1n);
  assert.deepEqual(run(f, "ud"), gp0);
  assert.equal(f.eip, CODE + 5);
  // the kernel is never faulted
  const k = fake([...FEP, 0x0f, 0xa2]);
  k.msrs.set(0x140, 1n);
  assert.equal(run(k, "ud", { [EAX]: 0x11111112, [EBX]: 0x22222224, [ECX]: 0xc0ffee, [EDX]: 0xd00d }).handled, true);
  assert.equal(k.eip, CODE + 7);
});

test("FEP bytes that cannot be read: #PF at the first unreadable byte, U/S per guest mode", () => {
  for (const [cs, ec] of [[KERNEL_CS, 0], [USER_CS, 4]] as const) {
    const f = fake([], { cs });
    const at = UNMAPPED - 3;
    [0x0f, 0x0b, 0x78].forEach((b, k) => f.mem.set(at + k, b));
    f.eip = at;
    assert.deepEqual(run(f, "ud"), { handled: true, fault: { vector: 14, errorCode: ec, cr2: UNMAPPED } });
    assert.equal(f.eip, at);
  }
  // the signature readable, the CPUID opcode not
  const g = fake([]);
  const at = UNMAPPED - 6;
  [...FEP, 0x0f].forEach((b, k) => g.mem.set(at + k, b));
  g.eip = at;
  assert.deepEqual(run(g, "ud"), { handled: true, fault: { vector: 14, errorCode: 0, cr2: UNMAPPED } });
});

// ── I/O permission: iopl_ok and the I/O bitmap ───────────────────────────

test("CLI and OUT 0x80 follow XTF pv-iopl: vIOPL vs CPL 1 (kernel) / 3 (user)", () => {
  for (const iopl of [0, 1, 2, 3]) {
    for (const [cs, cpl] of [[KERNEL_CS, 1], [USER_CS, 3]] as const) {
      const allowed = iopl >= cpl;
      const cli = fake([0xfa], { cs, iopl });
      assert.deepEqual(run(cli, "gp"), allowed ? ok() : no, `cli iopl ${iopl} cpl ${cpl}`);
      assert.equal(cli.eip, allowed ? CODE + 1 : CODE);
      const out = fake([0xe6, 0x80], { cs, iopl });
      assert.deepEqual(run(out, "gp"), allowed ? ok() : gp0, `out iopl ${iopl} cpl ${cpl}`);
      assert.equal(out.eip, allowed ? CODE + 2 : CODE);
    }
  }
});

test("architectural_iopl: the kernel counts as CPL 0, user stays CPL 3", () => {
  const k = fake([0xe6, 0x80], { iopl: 0 });
  k.architecturalIopl = true;
  assert.deepEqual(run(k, "gp"), ok());
  const u = fake([0xfa], { cs: USER_CS, iopl: 2 });
  u.architecturalIopl = true;
  assert.deepEqual(run(u, "gp"), no);
});

test("CLI/STI are no-ops: the emulator never touches the upcall mask or IF", () => {
  for (const op of [0xfa, 0xfb]) {
    const f = fake([op], { iopl: 1 });
    assert.deepEqual(run(f, "gp"), ok());
    assert.equal(f.eflags, IF | 2);
    assert.deepEqual(f.log, []);
  }
});

test("I/O bitmap: consulted when vIOPL is too low; clear bit allows, set bit or beyond nr_ports denies", () => {
  const mk = (port: number, bits: number, nrPorts = 0x400): Fake => {
    const f = fake([0xec], { cs: USER_CS });
    f.regs[EDX] = port;
    f.ioBitmap = { va: DATA, nrPorts };
    f.mem.set(DATA + (port >> 3), bits & 0xff);
    f.mem.set(DATA + (port >> 3) + 1, bits >> 8);
    return f;
  };
  assert.deepEqual(run(mk(0x80, 0xfe), "gp", { [EAX]: 0x111111ff }), ok(), "bit 0 of byte 0x10 clear");
  assert.deepEqual(run(mk(0x80, 0x01), "gp"), gp0);
  assert.deepEqual(run(mk(0x80, 0x00, 0x80), "gp"), gp0, "port + 1 > nr_ports");
  // a word access at port 7 needs bit 7 of one byte and bit 0 of the next (2 bytes are read)
  const w = mk(0x87, 0x0100);
  w.mem.set(CODE, 0x66); w.mem.set(CODE + 1, 0xed);
  assert.deepEqual(run(w, "gp"), gp0);
  const w2 = mk(0x87, 0xfe7f);
  w2.mem.set(CODE, 0x66); w2.mem.set(CODE + 1, 0xed);
  assert.deepEqual(run(w2, "gp", { [EAX]: 0x1111ffff }), ok());
  // an unreadable bitmap is a #PF (user mode → U set)
  const pf = fake([0xec], { cs: USER_CS });
  pf.regs[EDX] = 0x80;
  pf.ioBitmap = { va: UNMAPPED, nrPorts: 0x400 };
  assert.deepEqual(run(pf, "gp"), { handled: true, fault: { vector: 14, errorCode: 4, cr2: UNMAPPED + 0x10 } });
});

// ── IN / OUT data ────────────────────────────────────────────────────────

test("IN: all-ones of the access width, only AL/AX/EAX change; EIP past the immediate", () => {
  const b = fake([0xe4, 0x71], { iopl: 1 });
  assert.deepEqual(run(b, "gp", { [EAX]: 0x111111ff }), ok());
  assert.equal(b.eip, CODE + 2);
  const w = fake([0x66, 0xe5, 0x60], { iopl: 1 });
  assert.deepEqual(run(w, "gp", { [EAX]: 0x1111ffff }), ok());
  assert.equal(w.eip, CODE + 3);
  const d = fake([0xed], { iopl: 1 });
  d.regs[EDX] = 0x12340064; // only DX is the port
  assert.deepEqual(run(d, "gp", { [EAX]: -1 }), ok());
  assert.deepEqual(d.log, ["bp 64/4"]);
});

test("domU platform latches: CMOS index (7 bits) at 0x70, CONFIG_ADDRESS at 0xCF8 (dword only)", () => {
  const o = fake([0xe6, 0x70, 0xe4, 0x70], { iopl: 1 });
  o.regs[EAX] = 0x8f;
  assert.deepEqual(run(o, "gp"), ok());
  assert.equal(o.ioState.cmosIndex, 0x0f);
  assert.deepEqual(run(o, "gp", { [EAX]: 0x0f }), ok(), "IN AL, 0x70 returns the latched index");
  assert.equal(guestIoRead(o.ioState, 0x70, 2), 0xff0f, "0x71 reads all-ones");
  const c = fake([0xef, 0xed], { iopl: 3, cs: USER_CS });
  c.regs[EDX] = 0xcf8; c.regs[EAX] = 0x80001234 | 0;
  assert.deepEqual(run(c, "gp"), ok());
  assert.equal(c.ioState.pciCf8, 0x80001234);
  assert.deepEqual(run(c, "gp", { [EAX]: 0x80001234 | 0 }), ok());
  assert.equal(guestIoRead(c.ioState, 0xcf8, 2), 0xffff, "a word at 0xCF8 is not CONFIG_ADDRESS");
  assert.equal(guestIoRead(c.ioState, 0xcfc, 4), 0xffffffff);
});

test("an I/O breakpoint match is reported in DR6 with single-step", () => {
  const f = fake([0xe6, 0x80], { iopl: 1, eflags: IF | TF | 2 });
  f.bp = 0b0100;
  assert.deepEqual(run(f, "gp"), ok(0x4000 | 0b0100));
});

test("LOCK on IN is #UD; on CLI (decided before the LOCK check, as Xen's validate) a no-op", () => {
  assert.deepEqual(run(fake([0xf0, 0xe4, 0x80], { iopl: 3 }), "gp"), ud);
  assert.deepEqual(run(fake([0xf0, 0xfa], { iopl: 3 }), "gp"), ok());
});

// ── INS / OUTS ───────────────────────────────────────────────────────────

test("REP OUTSB: bytes from DS:ESI, ESI and ECX updated, EIP advanced", () => {
  const f = fake([0xf3, 0x6e], { iopl: 1 });
  [0x81, 0x82, 0x83].forEach((b, k) => f.mem.set(DATA + k, b));
  f.regs[ESI] = DATA; f.regs[ECX] = 3; f.regs[EDX] = 0x70;
  assert.deepEqual(run(f, "gp", { [ESI]: DATA + 3, [ECX]: 0 }), ok());
  assert.equal(f.ioState.cmosIndex, 0x03);
  assert.equal(f.eip, CODE + 2);
});

test("OUTS honours a segment override (ES: instead of DS:)", () => {
  const f = fake([0x26, 0x6e], { iopl: 1 });
  f.segs[3] = { base: 0x1000, limit: 0xfffff, attr: 0x93 | 0xc000 };
  f.mem.set(DATA, 0x05); f.mem.set(DATA + 0x1000, 0x06);
  f.regs[ESI] = DATA; f.regs[EDX] = 0x70;
  assert.deepEqual(run(f, "gp", { [ESI]: DATA + 1 }), ok());
  assert.equal(f.ioState.cmosIndex, 0x05);
});

test("REP INSD / INSB: all-ones stored at ES:EDI, forwards and with DF backwards", () => {
  const f = fake([0xf3, 0x6d], { iopl: 1 });
  f.regs[EDI] = DATA; f.regs[ECX] = 2; f.regs[EDX] = 0x80;
  assert.deepEqual(run(f, "gp", { [EDI]: DATA + 8, [ECX]: 0 }), ok());
  for (let k = 0; k < 8; k++) assert.equal(f.mem.get(DATA + k), 0xff);
  assert.equal(f.mem.get(DATA + 8), undefined);
  const b = fake([0xf3, 0x6c], { iopl: 1, eflags: IF | DF | 2 });
  b.regs[EDI] = DATA + 0x10; b.regs[ECX] = 3; b.regs[EDX] = 0x80;
  assert.deepEqual(run(b, "gp", { [EDI]: DATA + 0x0d, [ECX]: 0 }), ok());
  assert.deepEqual([0x0e, 0x0f, 0x10, 0x0d].map((o) => b.mem.get(DATA + o)), [0xff, 0xff, 0xff, undefined]);
});

test("REP with ECX = 0 skips the instruction before any permission check (Xen's order)", () => {
  const f = fake([0xf3, 0x6c], { cs: USER_CS, iopl: 0 });
  f.regs[ECX] = 0;
  assert.deepEqual(run(f, "gp"), ok());
  assert.equal(f.eip, CODE + 2);
  // without REP the same instruction is refused
  assert.deepEqual(run(fake([0x6c], { cs: USER_CS }), "gp"), gp0);
});

test("REP INSD faulting on its second element: progress committed, #PF(W) at the instruction", () => {
  const f = fake([0xf3, 0x6d], { iopl: 1 });
  f.regs[EDI] = READONLY - 4; f.regs[ECX] = 3; f.regs[EDX] = 0x80;
  assert.deepEqual(run(f, "gp", { [EDI]: READONLY, [ECX]: 2 }),
    { handled: true, fault: { vector: 14, errorCode: 2, cr2: READONLY } });
  assert.equal(f.eip, CODE);
  // a dword straddling into the read-only page writes its first bytes, faults on the next
  const g = fake([0x6d], { iopl: 1, cs: USER_CS });
  g.iopl = 3;
  g.regs[EDI] = READONLY - 2; g.regs[EDX] = 0x80;
  assert.deepEqual(run(g, "gp"), { handled: true, fault: { vector: 14, errorCode: 2 | 4, cr2: READONLY } });
  assert.equal(g.mem.get(READONLY - 1), 0xff);
});

test("REP with TF: one iteration per emulation, EIP stays, single-step #DB", () => {
  const f = fake([0xf3, 0x6e], { iopl: 1, eflags: IF | TF | 2 });
  f.regs[ESI] = DATA; f.regs[ECX] = 3; f.regs[EDX] = 0x70;
  assert.deepEqual(run(f, "gp", { [ESI]: DATA + 1, [ECX]: 2 }), ok(0x4000));
  assert.equal(f.eip, CODE);
});

test("a long REP restarts after MAX_REPS iterations (preemption)", () => {
  const f = fake([0xf3, 0x6e], { iopl: 1 });
  f.regs[ESI] = DATA; f.regs[ECX] = MAX_REPS + 5; f.regs[EDX] = 0x80;
  assert.deepEqual(run(f, "gp", { [ESI]: DATA + MAX_REPS, [ECX]: 5 }), ok());
  assert.equal(f.eip, CODE);
});

test("address-size prefix: REP INSB uses CX and DI, the upper halves untouched", () => {
  const f = fake([0x67, 0xf3, 0x6c], { iopl: 1 });
  f.segs[0] = { base: DATA, limit: 0xffff, attr: 0x93 | 0x4000 };
  f.regs[EDI] = 0x5a5a0010; f.regs[ECX] = 0x77770002; f.regs[EDX] = 0x80;
  assert.deepEqual(run(f, "gp", { [EDI]: 0x5a5a0012, [ECX]: 0x77770000 }), ok());
  assert.equal(f.mem.get(DATA + 0x10), 0xff);
  assert.equal(f.mem.get(DATA + 0x11), 0xff);
  assert.equal(f.eip, CODE + 3);
});

test("INS segment checks: read-only ES is #GP(0), not-present ES not handled, limit is #GP(0)", () => {
  const ro = fake([0x6c], { iopl: 1 });
  ro.segs[0] = { base: 0, limit: 0xffffffff, attr: 0x91 | 0xc000 };
  ro.regs[EDI] = DATA;
  assert.deepEqual(run(ro, "gp"), gp0);
  const np = fake([0x6c], { iopl: 1 });
  np.segs[0] = { base: 0, limit: 0, attr: 0 };
  assert.deepEqual(run(np, "gp"), no);
  const lim = fake([0x6d], { iopl: 1 });
  lim.segs[0] = { base: DATA, limit: 0xfff, attr: 0x93 };
  lim.regs[EDI] = 0xffe;
  assert.deepEqual(run(lim, "gp"), gp0);
  // OUTS through SS beyond its limit is #SS(0)
  const ss = fake([0x36, 0x6e], { iopl: 1 });
  ss.segs[2] = { base: DATA, limit: 0xf, attr: 0x93 };
  ss.regs[ESI] = 0x10;
  assert.deepEqual(run(ss, "gp"), { handled: true, fault: { vector: 12, errorCode: 0 } });
});

// ── control and debug registers ──────────────────────────────────────────

test("MOV from CR0/CR2/CR3/CR4 at ring 1: virtual values; CR3 folded (compat_pfn_to_cr3)", () => {
  const f = fake([0x0f, 0x20, 0xc0, 0x0f, 0x20, 0xd3, 0x0f, 0x20, 0xd9, 0x0f, 0x20, 0xe6]);
  f.ts = true;
  f.baseptr = 0x1234567;
  assert.deepEqual(run(f, "gp", { [EAX]: 0x8005003b | 0 }), ok());
  assert.deepEqual(run(f, "gp", { [EAX]: 0x8005003b | 0, [EBX]: 0xdeadbeef | 0 }), ok());
  assert.deepEqual(run(f, "gp", { [EAX]: 0x8005003b | 0, [EBX]: 0xdeadbeef | 0, [ECX]: 0x34567012 }), ok());
  assert.deepEqual(run(f, "gp", { [EAX]: 0x8005003b | 0, [EBX]: 0xdeadbeef | 0, [ECX]: 0x34567012, [ESI]: 0x20 }), ok());
  assert.equal(f.eip, CODE + 12);
  // Mod bits are ignored; CR8 and CR5 are not emulated
  assert.deepEqual(run(fake([0x0f, 0x20, 0x28]), "gp"), no);
});

test("CR/DR/MSR/CLTS/WBINVD from ring 3 are #GP(0)", () => {
  for (const code of [[0x0f, 0x20, 0xc0], [0x0f, 0x22, 0xc0], [0x0f, 0x21, 0xc0], [0x0f, 0x32], [0x0f, 0x30], [0x0f, 0x06], [0x0f, 0x09]]) {
    const f = fake(code, { cs: USER_CS, iopl: 3 });
    assert.deepEqual(run(f, "gp"), gp0, code.map((b) => b.toString(16)).join(" "));
    assert.equal(f.eip, CODE);
    assert.deepEqual(f.log, []);
  }
});

test("MOV to CR0: only TS may change (fpu_taskswitch); CLTS clears TS; WBINVD is a no-op", () => {
  const f = fake([0x0f, 0x22, 0xc0, 0x0f, 0x06, 0x0f, 0x09]);
  f.regs[EAX] = 0x8005003b | 0;
  assert.deepEqual(run(f, "gp"), ok());
  assert.equal(f.ts, true);
  assert.deepEqual(run(f, "gp"), ok());
  assert.equal(f.ts, false);
  assert.deepEqual(run(f, "gp"), ok());
  assert.deepEqual(f.log, ["ts true", "ts false"]);
  assert.equal(f.eip, CODE + 7);
  const bad = fake([0x0f, 0x22, 0xc0]);
  bad.regs[EAX] = 0x80010033 | 0; // AM cleared
  assert.deepEqual(run(bad, "gp"), no);
  assert.deepEqual(bad.log, []);
});

test("MOV to CR2, CR3 (compat_cr3_to_pfn → new baseptr; failure not handled), CR4 (fixed up)", () => {
  const f = fake([0x0f, 0x22, 0xd3, 0x0f, 0x22, 0xd9, 0x0f, 0x22, 0xe6]);
  f.regs[EBX] = 0x1234; f.regs[ECX] = 0x34567012; f.regs[ESI] = 0x80 | 0x8 | 0x4 | 0x10000;
  f.cpuid = (leaf) => (leaf === 1 ? [0, 0, 0, 1 << 2] : [0, 0, 0, 0]); // DE, no TSC/FSGSBASE
  assert.deepEqual(run(f, "gp"), ok());
  assert.deepEqual(run(f, "gp"), ok());
  assert.deepEqual(run(f, "gp"), ok());
  assert.deepEqual(f.log, ["cr2 1234", "baseptr 1234567", "cr4 228"]);
  const g = fake([0x0f, 0x22, 0xd8]);
  g.baseptrRc = -ERRNO.EINVAL;
  assert.deepEqual(run(g, "gp"), no);
  assert.equal(g.eip, CODE);
});

test("MOV DR: values through get/set_debugreg; −ENODEV is #UD, other errors #GP(0)", () => {
  const f = fake([0x0f, 0x21, 0xfa, 0x0f, 0x23, 0xc1]);
  f.regs[ECX] = 0x1000;
  assert.deepEqual(run(f, "gp", { [EDX]: 0x400 }), ok());
  assert.deepEqual(run(f, "gp", { [EDX]: 0x400 }), ok());
  assert.deepEqual(f.log, ["dr0 1000"]);
  const r4 = fake([0x0f, 0x21, 0xe0]);
  r4.dr4Nodev = true;
  assert.deepEqual(run(r4, "gp"), ud);
  for (const [rc, want] of [[-ERRNO.ENODEV, ud], [-ERRNO.EPERM, gp0]] as const) {
    const w = fake([0x0f, 0x23, 0xf8]);
    w.setDrRc = rc;
    assert.deepEqual(run(w, "gp"), want);
    assert.equal(w.eip, CODE);
  }
});

// ── MSRs, TSC, CPUID ─────────────────────────────────────────────────────

test("RDMSR/WRMSR at ring 1 through the policy; refused is #GP(0) with nothing changed", () => {
  const f = fake([0x0f, 0x32, 0x0f, 0x30]);
  f.regs[ECX] = 0x1b;
  assert.deepEqual(run(f, "gp", { [EAX]: 0xfee00900 | 0, [EDX]: 0 }), ok());
  f.regs[ECX] = 0x140; f.regs[EAX] = 1; f.regs[EDX] = 2;
  assert.deepEqual(run(f, "gp"), ok());
  assert.equal(f.msrs.get(0x140), 0x200000001n);
  const r = fake([0x0f, 0x32]);
  r.regs[ECX] = 0x1d9;
  assert.deepEqual(run(r, "gp"), gp0);
  const w = fake([0x0f, 0x30]);
  w.regs[ECX] = 0x1d9;
  assert.deepEqual(run(w, "gp"), gp0);
  assert.equal(w.eip, CODE);
});

test("RDTSC: the TSC MSR; user mode with virtual CR4.TSD is #GP(0); RDTSCP needs TSC_AUX", () => {
  const k = fake([0x0f, 0x31]);
  k.cr4 = 0x24;
  assert.deepEqual(run(k, "gp", { [EAX]: 0x89abcdef | 0, [EDX]: 0x01234567 }), ok());
  const u = fake([0x0f, 0x31], { cs: USER_CS });
  u.cr4 = 0x24;
  assert.deepEqual(run(u, "gp"), gp0);
  const p = fake([0x0f, 0x01, 0xf9], { cs: USER_CS });
  assert.deepEqual(run(p, "gp"), gp0, "no TSC_AUX in the policy");
  p.msrs.set(0xc0000103, 7n);
  assert.deepEqual(run(p, "gp", { [EAX]: 0x89abcdef | 0, [EDX]: 0x01234567, [ECX]: 7 }), ok());
  assert.equal(p.eip, CODE + 3);
});

test("CPUID (#GP from hardware faulting): policy at ring 1; ring 3 with guest faulting is #GP(0)", () => {
  const k = fake([0x0f, 0xa2]);
  k.msrs.set(0x140, 1n);
  k.regs[EAX] = 0; k.regs[ECX] = 0;
  assert.deepEqual(run(k, "gp", { [EAX]: 1, [EBX]: 2, [ECX]: 0xc0ffee, [EDX]: 0xd00d }), ok());
  const u = fake([0x0f, 0xa2], { cs: USER_CS });
  u.regs[EAX] = 0; u.regs[ECX] = 0;
  assert.deepEqual(run(u, "gp", { [EAX]: 1, [EBX]: 2, [ECX]: 0xc0ffee, [EDX]: 0xd00d }), ok());
  const uf = fake([0x0f, 0xa2], { cs: USER_CS });
  uf.msrs.set(0x140, 1n);
  assert.deepEqual(run(uf, "gp"), gp0);
});

test("XSETBV without CR4.OSXSAVE is #UD", () => {
  assert.deepEqual(run(fake([0x0f, 0x01, 0xd1]), "gp"), ud);
});

// ── what is not emulated, and decoding limits ───────────────────────────

test("HLT, LMSW, INVD, LGDT, INT3 and friends are not handled (the #GP(0) is bounced)", () => {
  for (const code of [[0xf4], [0x0f, 0x01, 0xf0], [0x0f, 0x08], [0x0f, 0x01, 0x15, 0, 0, 0, 0], [0xcc], [0x0f, 0x01, 0xc8]]) {
    const f = fake(code, { iopl: 3 });
    assert.deepEqual(run(f, "gp"), no);
    assert.equal(f.eip, CODE);
  }
});

test("instruction bytes that cannot be fetched: #PF at the missing byte (U/S per mode)", () => {
  const f = fake([], { cs: USER_CS, iopl: 3 });
  f.mem.set(UNMAPPED - 1, 0x66);
  f.eip = UNMAPPED - 1;
  assert.deepEqual(run(f, "gp"), { handled: true, fault: { vector: 14, errorCode: 4, cr2: UNMAPPED } });
  assert.equal(f.eip, UNMAPPED - 1);
});

test("a non-code CS or a 16-byte instruction is not handled; the CS limit is #GP(0)", () => {
  const d = fake([0xfa], { iopl: 3 });
  d.segs[1] = FLAT_DATA;
  assert.deepEqual(run(d, "gp"), no);
  const long = fake([...new Array(15).fill(0x66), 0xec], { iopl: 3 });
  assert.deepEqual(run(long, "gp"), no);
  const fifteen = fake([...new Array(14).fill(0x3e), 0xec], { iopl: 3 });
  assert.deepEqual(run(fifteen, "gp", { [EAX]: 0x111111ff }), ok());
  assert.equal(fifteen.eip, CODE + 15);
  const lim = fake([0x66, 0xec], { iopl: 3 });
  lim.segs[1] = { base: 0, limit: CODE, attr: 0x9b | 0xc000 };
  assert.deepEqual(run(lim, "gp"), gp0);
});

test("16-bit code segment: default operand size 2, 66 selects 4", () => {
  const f = fake([0xed, 0x66, 0xed], { iopl: 1 });
  f.segs[1] = { base: 0, limit: 0xffffffff, attr: 0x9b };
  f.regs[EDX] = 0x80;
  assert.deepEqual(run(f, "gp", { [EAX]: 0x1111ffff }), ok());
  assert.deepEqual(run(f, "gp", { [EAX]: -1 }), ok());
  assert.equal(f.eip, CODE + 3);
  assert.equal(f.regs[ESP], 0x55555555);
});
