/**
 * The CPU side of the x87 (SDM Vol. 1 ch. 8, Vol. 3 §2.5 CR0.EM/TS/MP/NE):
 * ESC opcodes D8–DF and WAIT/FWAIT. CR0.EM=1 or CR0.TS=1 makes an ESC
 * instruction raise #NM (device not available); WAIT raises #NM only when
 * TS=1 and MP=1. A pending unmasked x87 exception raises #MF on the next
 * waiting instruction. The arithmetic itself is in fpu.ts.
 */
import type { Cpu } from "./cpu.js";
import { F_MEM, F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { FPU_NO_EFLAGS } from "./fpu-memory.js";
import type { FpuMemory } from "./fpu-memory.js";
import { FPU_INVALID_OPCODE, isNonWaiting } from "./fpu.js";
import { AF, CF, CR0_EM, CR0_MP, CR0_TS, MF, NM, OF, PF, SF, UD, ZF } from "./registers.js";
import { ea } from "./operands.js";

/** FpuMemory bound to one segment of the current instruction (no allocation per use). */
class SegmentMemory implements FpuMemory {
  seg = 3;
  constructor(private readonly cpu: Cpu) {}
  read8(off: number): number { return this.cpu.read8(this.seg, off); }
  read16(off: number): number { return this.cpu.read16(this.seg, off); }
  read32(off: number): number { return this.cpu.read32(this.seg, off); }
  write8(off: number, v: number): void { this.cpu.write8(this.seg, off, v); }
  write16(off: number, v: number): void { this.cpu.write16(this.seg, off, v); }
  write32(off: number, v: number): void { this.cpu.write32(this.seg, off, v); }
}

const memories = new WeakMap<Cpu, SegmentMemory>();

function esc(cpu: Cpu, s: number, escape: number): void {
  if ((cpu.cr0 & (CR0_EM | CR0_TS)) !== 0) raise(NM);
  const dc = cpu.dc;
  const mem = (dc.flags[s]! & F_MEM) !== 0;
  const modrm = (mem ? 0 : 0xc0) | (dc.reg[s]! << 3) | dc.rm[s]!;
  const fpu = cpu.fpu;
  if (!isNonWaiting(escape, modrm) && fpu.isWaitingException()) raise(MF);
  // FNSTSW AX (DF E0)
  if (escape === 7 && modrm === 0xe0) { cpu.regs16[0] = fpu.statusWord(); cpu.clock.now += cpu.costs.fpu; return; }
  let memory = memories.get(cpu);
  if (memory === undefined) { memory = new SegmentMemory(cpu); memories.set(cpu, memory); }
  memory.seg = dc.seg[s]!;
  const off = mem ? ea(cpu, s) : 0;
  if (!isNonWaiting(escape, modrm)) {
    fpu.noteInstruction(cpu.segSel[1]!, cpu.startEip, ((escape << 8) | modrm) & 0x7ff, cpu.segSel[dc.seg[s]!]!, off);
  }
  const result = fpu.execute(escape, modrm, off, memory, cpu.eflags, (dc.flags[s]! & F_O32) !== 0);
  cpu.clock.now += cpu.costs.fpu;
  if (result === FPU_INVALID_OPCODE) raise(UD);
  if (result !== FPU_NO_EFLAGS) {
    // FCOMI family: ZF PF CF from the comparison, OF SF AF cleared
    const lf = cpu.lf;
    lf.materialize();
    lf.flags = (lf.flags & ~(ZF | PF | CF | OF | SF | AF)) | (result & (ZF | PF | CF));
  }
}

export function registerFpu(h: Handler[]): void {
  for (let e = 0; e < 8; e++) h[0xd8 + e] = (cpu, s) => esc(cpu, s, e);
  h[0x9b] = (cpu) => {
    if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) raise(NM);
    if (cpu.fpu.isWaitingException()) raise(MF);
  };
}
