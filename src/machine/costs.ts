/**
 * The cost table: simulated cycles for every instruction class and hardware
 * event. One table, many readers: the CPU charges it per instruction, the
 * MMU per page walk, the ring-0 host per memory access and flush it does.
 *
 * Default profile: the paper's testbed, a 2.4 GHz Intel Xeon (Pentium 4
 * "Prestonia", NetBurst). Figures are cycles; sources:
 *  [IOM]  Intel Pentium 4 and Xeon Processor Optimization Reference Manual
 *         (order 248966), Appendix C latency tables.
 *  [AF]   Agner Fog, "Instruction tables" (2003-era Pentium 4 measurements).
 *  [XEN]  Barham et al., SOSP 2003, §4 (lmbench null call 0.46 µs on Xen).
 * A simple ALU instruction is charged 1 cycle (NetBurst's double-pumped ALU
 * retires ~1 simple op per cycle in integer code: [IOM] C-1, [AF]).
 */
export interface CostTable {
  readonly name: string;
  /** CPU clock in Hz. */
  readonly hz: number;
  /** Simple integer instruction (mov, add, jcc, push, ...). [IOM] C-1: 0.5–1. */
  readonly simple: number;
  /** Integer multiply: [IOM] C-1 imul r32 latency 14 (NetBurst). */
  readonly mul: number;
  /** Integer divide: [IOM] C-1 div r32 latency 56–70. */
  readonly div: number;
  /** x87 arithmetic: [IOM] fadd 5, fmul 7, fdiv 23–43 (charged as an average). */
  readonly fpu: number;
  /** Per element of a string instruction under REP: [AF] rep movsd ~1 cycle/dword after startup. */
  readonly stringElement: number;
  /** Port I/O instruction: [AF] in/out ~ several hundred cycles on P4 (bus cycle). */
  readonly io: number;
  /** INT n / exception delivery through a gate: [AF] int ~ 200+ cycles on P4 (pipeline flush). */
  readonly interrupt: number;
  /** IRET: [AF] iret ~ 100+ cycles. */
  readonly iret: number;
  /** Far call/jmp/ret, segment loads with descriptor checks: [AF] far call ~ 50–100. */
  readonly farTransfer: number;
  /** MOV to segment register (protected mode descriptor load): [AF] ~ 10–20. */
  readonly segmentLoad: number;
  /** MOV to CR0/CR3/CR4, LGDT, LIDT, WRMSR: [AF] mov cr3 ~ 100+ (pipeline serialize). */
  readonly serializing: number;
  /** CPUID: [AF] ~ 100–200 on P4. */
  readonly cpuid: number;
  /** SYSENTER or SYSEXIT: [AF] ~ 20–50 on P4 (much cheaper than INT). */
  readonly sysenter: number;
  /** One page walk on a TLB miss: two or three dependent loads, L2-hit latency ~ 20 each [IOM]. */
  readonly pageWalk: number;
  /** INVLPG: [AF]. */
  readonly invlpg: number;
  /** A byte moved by the ring-0 host on the machine's memory (memcpy-like; 4 bytes/cycle). */
  readonly hostBytePer4: number;
  /** A ring-0 host exit and resume (hypervisor entry/exit path; charged on top of `interrupt`). */
  readonly hostTransition: number;
}

export const XEON_2400: CostTable = {
  name: "xeon-2.4ghz",
  hz: 2_400_000_000,
  simple: 1,
  mul: 14,
  div: 60,
  fpu: 6,
  stringElement: 1,
  io: 300,
  interrupt: 200,
  iret: 100,
  farTransfer: 60,
  segmentLoad: 15,
  serializing: 100,
  cpuid: 150,
  sysenter: 40,
  pageWalk: 40,
  invlpg: 50,
  hostBytePer4: 1,
  hostTransition: 100,
};
