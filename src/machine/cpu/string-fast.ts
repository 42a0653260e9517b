/**
 * The bulk path of REP MOVS and REP STOS (forward, 32-bit addressing):
 * whole runs of elements that stay inside one page of source and one page
 * of destination are moved with typed-array copies instead of one element at
 * a time. Architecturally it is the same as the element loop: segment limits
 * and page rights are checked for each run before it moves, registers are
 * updated after each run (so a fault leaves them at the completed elements),
 * writes to pages holding decoded code invalidate it, and an overlapping
 * forward copy (which x86 defines element by element) is left to the element
 * loop. Returns the number of elements done; 0 means "use the element loop".
 */
import type { Cpu } from "./cpu.js";
import { ACCESS_READ, ACCESS_WRITE } from "../mmu/page-walk.js";
import { EAX, ECX, EDI, ES, ESI } from "./registers.js";

export function bulkRep(cpu: Cpu, movs: boolean, bytes: number, seg: number, budget: number): number {
  if (cpu.debug.dataBreakpoints || cpu.segWr[ES] === 0 || (movs && cpu.segRd[seg] === 0)) return 0;
  const regs = cpu.regs, ram = cpu.ram, user = cpu.cpl === 3;
  let done = 0;
  while (done < budget) {
    const count = regs[ECX]! >>> 0;
    if (count === 0) break;
    const di = regs[EDI]! >>> 0, si = regs[ESI]! >>> 0;
    const dLin = (cpu.segBase[ES]! + di) | 0;
    let run = Math.min(count, budget - done, ((0x1000 - (dLin & 0xfff)) / bytes) | 0);
    let sLin = 0;
    if (movs) {
      sLin = (cpu.segBase[seg]! + si) | 0;
      run = Math.min(run, ((0x1000 - (sLin & 0xfff)) / bytes) | 0);
    }
    if (run <= 0) break; // an element straddles a page: the element loop does it
    const len = run * bytes;
    if (di + len - 1 > cpu.segLimit[ES]! || (movs && si + len - 1 > cpu.segLimit[seg]!)) break;
    const sPhys = movs ? cpu.translate(sLin, ACCESS_READ, user) : 0;
    const dPhys = cpu.translate(dLin, ACCESS_WRITE, user);
    if (dPhys + len > ram.size || (movs && sPhys + len > ram.size)) break;
    if (movs && sPhys < dPhys && dPhys < sPhys + len) break; // forward overlap: element semantics
    if (ram.codePages[dPhys >>> 12] !== 0) ram.onCodeWrite(dPhys >>> 12);
    if (movs) {
      ram.u8.copyWithin(dPhys, sPhys, sPhys + len);
      regs[ESI] = si + len;
    } else if (bytes === 1) {
      ram.u8.fill(regs[EAX]! & 0xff, dPhys, dPhys + len);
    } else if (bytes === 4 && (dPhys & 3) === 0) {
      ram.i32.fill(regs[EAX]!, dPhys >>> 2, (dPhys + len) >>> 2);
    } else {
      const v = regs[EAX]!;
      for (let i = 0; i < len; i++) ram.u8[dPhys + i] = (v >>> ((i % bytes) * 8)) & 0xff;
    }
    regs[EDI] = di + len;
    regs[ECX] = count - run;
    done += run;
  }
  return done;
}
