/**
 * Test support (never imported by production code): fake PV guests for the
 * hypervisor's unit tests (STYLE §9 "fake the other side").
 *
 * A fake guest is the real thing minus the kernel: a Pc, the real
 * Hypervisor on its CPU, and a domain built by the real domain builder from
 * a synthetic pv32pae ELF (no compiler needed). Tests put the CPU in the
 * domain's context (hv.start()), write argument structures straight into
 * the domain's frames, and make hypercalls the way the CPU does: a
 * TrapFrame for `int $0x82` from ring 1 handed to hv.trap(), with the
 * arguments in EBX…EDI and the result read back from EAX.
 *
 * Guest virtual layout of every domain built here (virt_base 0, the
 * builder's §1.5 layout; 4 MiB of RAM unless asked otherwise):
 *
 *   0x00000000 … 0x000fffff  padding (mapped RW)
 *   0x00100000               KERNEL: entry; `code` snippets are placed here
 *   0x00102000               hypercall page (HYPERCALL_PAGE note)
 *   0x00103000 …             P2M, start_info, store, console, page tables,
 *                            boot stack (BuiltDomain says where)
 *   0x00200000 … 0x003fffff  SCRATCH: free pages, mapped RW, nothing uses them
 *   0x00400000 …             UNMAPPED (beyond the bootstrap mapping)
 *
 * PFN = VA >> 12 (virt_base 0), so a VA's machine frame is built.p2m[VA >> 12].
 */
import { XEN_ELFNOTE } from "../../src/abi/elfnotes.js";
import { HYPERCALL, UVMF } from "../../src/abi/hypercalls.js";
import { PAGE, PTE } from "../../src/abi/memory-layout.js";
import type { Mfn } from "../../src/lib/brand.js";
import { LoaderError } from "../../src/machine/boot/elf32.js";
import { buildTestElf, concatBytes, elfNote } from "../../src/machine/boot/test-elf.js";
import { CS, EAX, EBX, ECX, EDI, EDX, ESI, ESP, SS } from "../../src/machine/cpu/registers.js";
import type { TrapFrame } from "../../src/machine/exits.js";
import { Pc } from "../../src/machine/pc.js";
import type { PvDomain } from "../../src/hv/pv/domain.js";
import { Hypervisor } from "../../src/hv/pv/hypervisor.js";
import { checkInvariants } from "../../src/hv/pv/invariants.js";
import { FRAME_FLAG } from "../../src/hv/core/frame-table.js";
import type { PvVcpu } from "../../src/hv/pv/vcpu.js";

export const KERNEL = 0x00100000;
export const HYPERCALL_PAGE = 0x00102000;
export const SCRATCH = 0x00200000;
export const UNMAPPED = 0x00500000;
/** Size of the kernel segment (the hypercall page lies inside it). */
const KERNEL_BYTES = 0x3000;

const str = (s: string): Uint8Array => Uint8Array.from([...s, "\0"], (c) => c.charCodeAt(0));
const num = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);

/** Code bytes placed at KERNEL + offset. */
export type CodeSnippets = ReadonlyArray<readonly [offset: number, bytes: readonly number[]]>;

/** A pv32pae kernel image: one PT_LOAD segment at 0x100000 holding `code`, and the Xen notes. */
export function pvImage(code: CodeSnippets = [[0, [0xeb, 0xfe]]]): Uint8Array {
  const kernel = new Uint8Array(KERNEL_BYTES);
  for (const [off, bytes] of code) kernel.set(bytes, off);
  const notes = concatBytes(
    elfNote("Xen", XEN_ELFNOTE.GUEST_OS, str("fake")),
    elfNote("Xen", XEN_ELFNOTE.LOADER, str("generic")),
    elfNote("Xen", XEN_ELFNOTE.XEN_VERSION, str("xen-3.0")),
    elfNote("Xen", XEN_ELFNOTE.PAE_MODE, str("yes")),
    elfNote("Xen", XEN_ELFNOTE.FEATURES, str("!writable_page_tables|pae_pgdir_above_4gb")),
    elfNote("Xen", XEN_ELFNOTE.HYPERCALL_PAGE, num(HYPERCALL_PAGE)),
  );
  return buildTestElf({
    segments: [{ paddr: KERNEL, data: kernel, memsz: KERNEL_BYTES }, { type: 4, paddr: 0, data: notes, flags: 4 }],
    multiboot: null,
  });
}

export interface FakeMachine {
  pc: Pc;
  hv: Hypervisor;
  /** Every line the hypervisor logged. */
  log: string[];
}

export function fakeMachine(o: { memoryMiB?: number; checkInvariants?: boolean } = {}): FakeMachine {
  const pc = new Pc({ memoryMiB: o.memoryMiB ?? 16, serial: () => {} });
  const log: string[] = [];
  const hv = new Hypervisor({ cpu: pc.cpu, ram: pc.ram, sinks: { log: (l) => log.push(l) }, checkInvariants: o.checkInvariants ?? false });
  return { pc, hv, log };
}

export interface DomainOptions {
  code?: CodeSnippets;
  memoryMiB?: number;
  vcpus?: number;
  name?: string;
}

export function addDomain(m: FakeMachine, o: DomainOptions = {}): PvDomain {
  const d = m.hv.createDomain({
    image: pvImage(o.code), memoryBytes: (o.memoryMiB ?? 4) << 20, cmdline: "", name: o.name, vcpus: o.vcpus,
  });
  if (d instanceof LoaderError) throw new Error(`fake guest refused: ${d.message}`);
  return d;
}

export interface FakeGuest extends FakeMachine {
  d: PvDomain;
  /** vCPU 0, on the CPU. */
  v: PvVcpu;
}

/** One domain, started: its vCPU 0 is on the CPU at ring 1. */
export function fakeGuest(o: DomainOptions & { memoryMachineMiB?: number; checkInvariants?: boolean } = {}): FakeGuest {
  const m = fakeMachine({ memoryMiB: o.memoryMachineMiB, checkInvariants: o.checkInvariants });
  const d = addDomain(m, o);
  m.hv.start();
  return { ...m, d, v: d.vcpus[0]! };
}

// ── the domain's memory, by guest virtual address ─────────────────────────

/** The machine frame behind `va` (builder's mapping: PFN = VA >> 12). */
export function mfnAt(d: PvDomain, va: number): Mfn {
  const m = d.built.p2m[va >>> PAGE.SHIFT];
  if (m === undefined) throw new RangeError(`VA ${va.toString(16)} is beyond the domain's RAM`);
  return m as Mfn;
}

/** The machine address behind `va`. */
export const maddr = (d: PvDomain, va: number): number => mfnAt(d, va) * PAGE.SIZE + (va & (PAGE.SIZE - 1));

export function poke32(m: FakeMachine, d: PvDomain, va: number, ...words: number[]): void {
  words.forEach((w, i) => m.hv.mem.write32(maddr(d, va + 4 * i), w >>> 0));
}

export function peek32(m: FakeMachine, d: PvDomain, va: number): number {
  return m.hv.mem.read32(maddr(d, va)) >>> 0;
}

export function peekWords(m: FakeMachine, d: PvDomain, va: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => peek32(m, d, va + 4 * i));
}

export function pokeBytes(m: FakeMachine, d: PvDomain, va: number, bytes: ArrayLike<number>): void {
  for (let i = 0; i < bytes.length; i++) m.hv.mem.write8(maddr(d, va + i), bytes[i]!);
}

export function peekBytes(m: FakeMachine, d: PvDomain, va: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => m.hv.mem.read8(maddr(d, va + i)));
}

// ── the CPU's view ───────────────────────────────────────────────────────

/** What ring-0 code would see for an event at the CPU's current state; `over` replaces fields. */
export function trapFrame(m: FakeMachine, over: Partial<TrapFrame> = {}): TrapFrame {
  const cpu = m.hv.cpu;
  return {
    vector: 0, errorCode: -1, cr2: 0, software: false, external: false,
    eip: cpu.eip >>> 0, cs: cpu.segSel[CS]!, eflags: cpu.eflags >>> 0, esp: cpu.regs[ESP]! >>> 0, ss: cpu.segSel[SS]!,
    ...over,
  };
}

/**
 * `int $0x82` at the CPU's current state (ring 1): EAX = nr, EBX… = args,
 * the CPU's own TrapFrame handed to hv.trap(); returns EAX afterwards.
 */
export function hypercall(m: FakeMachine, nr: number, ...args: number[]): number {
  const r = m.hv.cpu.regs;
  r[EAX] = nr;
  [EBX, ECX, EDX, ESI, EDI].forEach((reg, i) => { r[reg] = args[i] ?? 0; });
  m.hv.trap(trapFrame(m, { vector: 0x82, software: true }));
  return r[EAX]! | 0;
}

/** update_va_mapping(va → its own frame, present + accessed, read-only); must succeed. */
export function mapReadOnly(m: FakeMachine, d: PvDomain, va: number): void {
  const rc = hypercall(m, HYPERCALL.update_va_mapping, va, ((mfnAt(d, va) << PAGE.SHIFT) | PTE.PRESENT | PTE.ACCESSED) >>> 0, 0, UVMF.INVLPG);
  if (rc !== 0) throw new Error(`update_va_mapping(${va.toString(16)}, read-only) = ${rc}`);
}

/** The vCPU on the CPU, or undefined when the CPU idles. */
export function onCpu(m: FakeMachine): PvVcpu | undefined {
  try {
    return m.hv.current();
  } catch {
    return undefined;
  }
}

/** Let simulated time pass to `cycle` (without executing guest code), running every event due. */
export function advanceTo(m: FakeMachine, cycle: number): void {
  const clock = m.hv.cpu.clock;
  clock.now = Math.max(clock.now, cycle);
  clock.runDue();
}

/** Run clock events, one due time after another, until `done()` or `limit` cycles passed. */
export function advanceUntil(m: FakeMachine, done: () => boolean, limit = m.hv.cpu.clock.hz): void {
  const clock = m.hv.cpu.clock, end = clock.now + limit;
  while (!done()) {
    if (clock.nextEventAt > end) throw new Error("advanceUntil: nothing left to happen");
    advanceTo(m, clock.nextEventAt);
  }
}

/** The frame table's memory-safety invariants with every domain's external references. */
export function invariantViolations(m: FakeMachine): string[] {
  return checkInvariants(m.hv.mem, m.hv.frames, { external: m.hv.externalRefs() });
}

/** Frame-table record of one frame, for whole-state comparisons. */
export function frameState(m: FakeMachine, mfn: number): { owner: number; count: number; type: number; typeCount: number; flags: number } {
  const f = m.hv.frames;
  return { owner: f.owner[mfn]!, count: f.count[mfn]!, type: f.typeInfo[mfn]!, typeCount: f.typeCount[mfn]!, flags: f.flags[mfn]! };
}

/**
 * Every frame's references (owner, general and type counts, pin, linear
 * count; the type itself only while referenced: a type at count 0 is
 * inert, Xen leaves it behind too). `changedFrames` lists the differences.
 */
export type FrameRefs = string[];

export function frameRefs(m: FakeMachine): FrameRefs {
  const f = m.hv.frames, out: string[] = [];
  for (let i = 0; i < f.total; i++) {
    const type = f.typeCount[i]! > 0 ? f.typeInfo[i]! : "-";
    out.push(`owner ${f.owner[i]} count ${f.count[i]} type ${type}×${f.typeCount[i]} pinned ${(f.flags[i]! & FRAME_FLAG.PINNED) !== 0} linear ${f.linear[i]}`);
  }
  return out;
}

export function changedFrames(m: FakeMachine, before: FrameRefs): string[] {
  const now = frameRefs(m);
  return now.flatMap((s, i) => (s === before[i] ? [] : [`frame ${i}: ${before[i]} → ${s}`]));
}
