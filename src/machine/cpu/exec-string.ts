/**
 * String instructions with REP/REPE/REPNE (SDM Vol. 2 MOVS, CMPS, SCAS,
 * LODS, STOS, INS, OUTS; REP prefix). The count and index registers follow
 * the address size (CX/SI/DI or ECX/ESI/EDI). A repeated instruction runs at
 * most REP_CHUNK iterations per step and then restarts itself (EIP stays on
 * it), so interrupts and device events are taken between iterations as on
 * hardware; its architectural state is exact after every iteration.
 */
import { aluOp } from "./alu.js";
import type { Cpu } from "./cpu.js";
import { F_A32, F_REP, F_REPNE } from "./decoder.js";
import type { Handler } from "./handlers.js";
import { checkIoPermission } from "./io-permission.js";
import { DF, ECX, EDI, EDX, ES, ESI, RF, TF } from "./registers.js";
import { getReg, readMem, setReg, writeMem } from "./operands.js";
import { bulkRep } from "./string-fast.js";

const REP_CHUNK = 4096;
const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;

function stringOp(cpu: Cpu, s: number, kind: number, size: number): void {
  const dc = cpu.dc;
  const flags = dc.flags[s]!;
  const a32 = (flags & F_A32) !== 0;
  const amask = a32 ? -1 : 0xffff;
  const step = ((cpu.eflagsRest & DF) !== 0 ? -size : size) / 8;
  const seg = dc.seg[s]!;
  const rep = flags & (F_REP | F_REPNE);
  const bytes = size / 8;
  if (kind === INS || kind === OUTS) checkIoPermission(cpu, cpu.regs16[EDX << 1]!, bytes);
  let count = rep !== 0 ? (a32 ? cpu.regs[ECX]! >>> 0 : cpu.regs16[ECX << 1]!) : 1;
  if (count === 0) return;
  let n = 0;
  // single-stepping a REP instruction traps after every iteration (SDM Vol. 3 §17.3.1.4)
  const chunk = (cpu.eflagsRest & TF) !== 0 ? 1 : REP_CHUNK;
  if (rep !== 0 && a32 && step > 0 && (kind === MOVS || kind === STOS)) {
    n = bulkRep(cpu, kind === MOVS, bytes, seg, chunk);
    count = cpu.regs[ECX]! >>> 0;
    if (count === 0 || n >= chunk) {
      if (count !== 0) restartRep(cpu);
      cpu.clock.now += n * cpu.costs.stringElement;
      return;
    }
  }
  for (;;) {
    const si = cpu.regs[ESI]! & amask, di = cpu.regs[EDI]! & amask;
    switch (kind) {
      case MOVS: writeMem(cpu, ES, di, size, readMem(cpu, seg, si, size)); break;
      case CMPS: { const a = readMem(cpu, seg, si, size); aluOp(cpu, 7, a, readMem(cpu, ES, di, size), size); break; }
      case STOS: writeMem(cpu, ES, di, size, getReg(cpu, 0, size)); break;
      case LODS: setReg(cpu, 0, size, readMem(cpu, seg, si, size)); break;
      case SCAS: aluOp(cpu, 7, getReg(cpu, 0, size), readMem(cpu, ES, di, size), size); break;
      case INS: {
        cpu.probeWrite(ES, di, bytes);
        writeMem(cpu, ES, di, size, cpu.ports.read(cpu.regs16[EDX << 1]!, bytes as 1 | 2 | 4));
        break;
      }
      default: cpu.ports.write(cpu.regs16[EDX << 1]!, bytes as 1 | 2 | 4, readMem(cpu, seg, si, size)); break;
    }
    if (kind === MOVS || kind === CMPS || kind === LODS || kind === OUTS) {
      if (a32) cpu.regs[ESI] = cpu.regs[ESI]! + step; else cpu.regs16[ESI << 1] = si + step;
    }
    if (kind !== LODS && kind !== OUTS) {
      if (a32) cpu.regs[EDI] = cpu.regs[EDI]! + step; else cpu.regs16[EDI << 1] = di + step;
    }
    if (rep === 0) return;
    count--;
    if (a32) cpu.regs[ECX] = count; else cpu.regs16[ECX << 1] = count;
    n++;
    if (count === 0) break;
    if (kind === CMPS || kind === SCAS) {
      const zf = cpu.lf.zf() !== 0;
      if (rep === F_REP ? !zf : zf) break;
    }
    if (n >= chunk) {
      restartRep(cpu);
      break;
    }
  }
  cpu.clock.now += n * cpu.costs.stringElement;
  if (kind === INS || kind === OUTS) cpu.clock.now += n * cpu.costs.io;
}

/**
 * Resume this REP instruction after pending events; an event taken before it
 * completes pushes RF = 1 (SDM Vol. 3 §17.3.1.1), and RF keeps an
 * instruction breakpoint on it from firing again.
 */
function restartRep(cpu: Cpu): void {
  cpu.eip = cpu.startEip;
  cpu.eflagsRest |= RF;
  cpu.rfLoaded = true;
  cpu.attention = 1;
}

export function registerString(h: Handler[]): void {
  const pair = (op: number, kind: number): void => {
    h[op] = (cpu, s) => stringOp(cpu, s, kind, 8);
    h[op + 1] = (cpu, s) => stringOp(cpu, s, kind, (cpu.dc.flags[s]! & 1) !== 0 ? 32 : 16);
  };
  pair(0xa4, MOVS); pair(0xa6, CMPS); pair(0xaa, STOS); pair(0xac, LODS); pair(0xae, SCAS);
  pair(0x6c, INS); pair(0x6e, OUTS);
}
