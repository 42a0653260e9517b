/**
 * Port I/O, interrupt-flag control, HLT, software interrupts, IRET and the
 * direct far transfers (SDM Vol. 2 IN/OUT, CLI/STI, HLT, INT n, IRET, CALL/
 * JMP ptr16:32, RET far). CLI/STI need CPL <= IOPL (#GP(0) otherwise, no
 * PVI); STI delays interrupts by one instruction.
 */
import type { Cpu } from "./cpu.js";
import { F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import { farTransfer, retFar } from "./far-transfer.js";
import type { Handler } from "./handlers.js";
import { KIND_INT1, KIND_SOFTWARE, iret, raiseEvent, softwareInterrupt } from "./interrupts.js";
import { checkIoPermission } from "./io-permission.js";
import { EAX, EDX, GP, IF, IOPL } from "./registers.js";
import { getReg, setReg } from "./operands.js";
import { requireCpl0 } from "./exec-system.js";
import type { IoWidth } from "../devices/device.js";

function portIn(cpu: Cpu, port: number, size: number): void {
  const bytes = (size / 8) as IoWidth;
  checkIoPermission(cpu, port, bytes);
  cpu.debug.checkIo(port, bytes);
  cpu.clock.now += cpu.costs.io;
  setReg(cpu, EAX, size, cpu.ports.read(port, bytes));
  cpu.attention = 1;
}

function portOut(cpu: Cpu, port: number, size: number): void {
  const bytes = (size / 8) as IoWidth;
  checkIoPermission(cpu, port, bytes);
  cpu.debug.checkIo(port, bytes);
  cpu.clock.now += cpu.costs.io;
  cpu.ports.write(port, bytes, getReg(cpu, EAX, size));
  cpu.attention = 1;
}

const fullSize = (cpu: Cpu, s: number): number => ((cpu.dc.flags[s]! & F_O32) !== 0 ? 32 : 16);

export function registerIo(h: Handler[]): void {
  h[0xe4] = (cpu, s) => portIn(cpu, cpu.dc.imm[s]!, 8);
  h[0xe5] = (cpu, s) => portIn(cpu, cpu.dc.imm[s]!, fullSize(cpu, s));
  h[0xe6] = (cpu, s) => portOut(cpu, cpu.dc.imm[s]!, 8);
  h[0xe7] = (cpu, s) => portOut(cpu, cpu.dc.imm[s]!, fullSize(cpu, s));
  h[0xec] = (cpu) => portIn(cpu, cpu.regs16[EDX << 1]!, 8);
  h[0xed] = (cpu, s) => portIn(cpu, cpu.regs16[EDX << 1]!, fullSize(cpu, s));
  h[0xee] = (cpu) => portOut(cpu, cpu.regs16[EDX << 1]!, 8);
  h[0xef] = (cpu, s) => portOut(cpu, cpu.regs16[EDX << 1]!, fullSize(cpu, s));
  h[0xfa] = (cpu) => {
    if (cpu.cpl > (cpu.eflagsRest & IOPL) >>> 12) raise(GP, 0);
    cpu.eflagsRest &= ~IF;
  };
  h[0xfb] = (cpu) => {
    if (cpu.cpl > (cpu.eflagsRest & IOPL) >>> 12) raise(GP, 0);
    if ((cpu.eflagsRest & IF) === 0) { cpu.inhibit = 2; }
    cpu.eflagsRest |= IF;
    cpu.attention = 1;
  };
  h[0xf4] = (cpu) => {
    requireCpl0(cpu);
    cpu.halted = true;
    cpu.attention = 1;
  };
  h[0xcd] = (cpu, s) => softwareInterrupt(cpu, cpu.dc.imm[s]!);
  h[0xcc] = (cpu) => raiseEvent(cpu, 3, -1, KIND_SOFTWARE);
  h[0xce] = (cpu) => { if (cpu.lf.of() !== 0) raiseEvent(cpu, 4, -1, KIND_SOFTWARE); };
  h[0xf1] = (cpu) => raiseEvent(cpu, 1, -1, KIND_INT1);
  h[0xcf] = (cpu, s) => iret(cpu, (cpu.dc.flags[s]! & F_O32) !== 0);
  h[0xcb] = (cpu, s) => retFar(cpu, (cpu.dc.flags[s]! & F_O32) !== 0, 0);
  h[0xca] = (cpu, s) => retFar(cpu, (cpu.dc.flags[s]! & F_O32) !== 0, cpu.dc.imm[s]! & 0xffff);
  h[0x9a] = (cpu, s) => farTransfer(cpu, cpu.dc.imm2[s]!, cpu.dc.imm[s]!, (cpu.dc.flags[s]! & F_O32) !== 0, true);
  h[0xea] = (cpu, s) => farTransfer(cpu, cpu.dc.imm2[s]!, cpu.dc.imm[s]!, (cpu.dc.flags[s]! & F_O32) !== 0, false);
}
