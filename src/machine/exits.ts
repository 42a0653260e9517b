/**
 * The ring-0 host interface (ARCHITECTURE.md §2).
 *
 * When the CPU has a host, a delivery through a gate whose target privilege
 * is 0 (exception, external interrupt, INT n) does not run ring-0 x86 code.
 * Every check up to that point stays in hardware: the IDT limit, the gate's
 * type, its DPL against CPL for INT n (so INT 0x82 from ring 3 is #GP), its
 * presence, and the target code segment. Then, instead of switching stacks
 * and pushing a frame, the CPU fills a TrapFrame with what ring-0 code would
 * have seen and calls `host.trap(frame)`. The host works on the machine
 * through `Cpu` (registers, segments, memory, TLB) and the CPU resumes from
 * whatever state it leaves. Work the host does is charged through the cost
 * table: `hostTransition` per exit here, plus what its memory operations cost.
 */
export interface TrapFrame {
  vector: number;
  /** Error code, or -1 for vectors that push none. */
  errorCode: number;
  /** CR2 at delivery (meaningful for #PF, vector 14). */
  cr2: number;
  /** True for INT n, INT3 and INTO (software interrupts). */
  software: boolean;
  /** True for an external interrupt from the PIC. */
  external: boolean;
  /** The interrupted state: where ring-0 code would IRET to. */
  eip: number;
  cs: number;
  eflags: number;
  esp: number;
  ss: number;
}

export interface Ring0Host {
  trap(frame: TrapFrame): void;
}

export function newTrapFrame(): TrapFrame {
  return { vector: 0, errorCode: -1, cr2: 0, software: false, external: false, eip: 0, cs: 0, eflags: 0, esp: 0, ss: 0 };
}

/** Pseudo-vector of a SYSENTER that reaches a ring-0 host (SYSENTER always targets ring 0). */
export const TRAP_SYSENTER = 0x100;
