/**
 * The board: the one file that wires CPU, memory and devices (STYLE §5).
 *
 *   ports 0x20-0x21, 0xA0-0xA1  8259 PIC pair (IRQ 0-15 -> vectors by ICW2)
 *         0x40-0x43, 0x61       8254 PIT (IRQ 0), system control port B
 *         0x70-0x71             CMOS RTC (IRQ 8)
 *         0x3F8-0x3FF           16550 UART COM1 (IRQ 4)
 *         0xCF8-0xCFF           PCI configuration mechanism #1
 *             00:00.0 i440FX host bridge, 00:01.0 PIIX3 ISA bridge,
 *             00:01.1 PIIX3 IDE: 0x1F0-0x1F7, 0x3F6 (IRQ 14), BAR4 bus master
 *         0xF4                  isa-debug-exit (QEMU's), when enabled
 * Memory: RAM from 0; no BIOS, no VGA: kernels are loaded by Multiboot.
 */
import { SimClock } from "./clock.js";
import { XEON_2400, type CostTable } from "./costs.js";
import { Cpu } from "./cpu/cpu.js";
import { run } from "./cpu/execute.js";
import { Fpu } from "./cpu/fpu.js";
import { CS, DS, EAX, EBX, ES, FS, GS, SS } from "./cpu/registers.js";
import { ATTR_CODE32, ATTR_DATA32, setSegment } from "./cpu/segmentation.js";
import type { BlockDevice } from "./devices/block-device.js";
import { DebugExit } from "./devices/debug-exit.js";
import { CmosRtc } from "./devices/rtc-cmos.js";
import { PciBus } from "./devices/pci.js";
import { I440fxHostBridge } from "./devices/pci-host-bridge.js";
import { PciIoSpace } from "./devices/pci-io-space.js";
import { PicPair } from "./devices/pic8259.js";
import { PiixIde, PRIMARY_COMMAND_BASE, PRIMARY_CONTROL_PORT, PRIMARY_IRQ } from "./devices/piix-ide.js";
import { Piix3IsaBridge } from "./devices/piix-isa-bridge.js";
import { Pit8254 } from "./devices/pit8254.js";
import { SystemControlPortB } from "./devices/port61.js";
import { Uart16550 } from "./devices/uart16550.js";
import { loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC } from "./boot/multiboot.js";
import { PortBus } from "./memory/port-bus.js";
import { Ram } from "./memory/ram.js";
import type { TlbGeometry } from "./mmu/tlb.js";

export interface PcOptions {
  memoryMiB: number;
  /** Receives each byte the guest sends on COM1. */
  serial: (byte: number) => void;
  disk?: BlockDevice;
  costs?: CostTable;
  tlb?: TlbGeometry;
  /** Enable QEMU's isa-debug-exit device at 0xF4 (on by default). */
  debugExit?: boolean;
}

/**
 * The most RAM the board takes: physical addresses stay below 2 GiB, so that
 * the CPU's TLB entries and physical addresses fit int32 (docs/machine.md).
 */
export const MAX_MEMORY_MIB = 2047;

/** Why `runFor` returned. */
export type StopReason = "running" | "exit" | "idle" | "stopped";

export class Pc {
  readonly clock: SimClock;
  readonly ram: Ram;
  readonly ports = new PortBus();
  readonly cpu: Cpu;
  readonly pic = new PicPair();
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly uart: Uart16550;
  readonly pci: PciBus;
  readonly ide: PiixIde;
  /** Set when the guest writes the debug-exit port: the value written. */
  exitCode: number | null = null;

  constructor(opts: PcOptions) {
    const costs = opts.costs ?? XEON_2400;
    this.clock = new SimClock(costs.hz);
    if (!Number.isInteger(opts.memoryMiB) || opts.memoryMiB < 1 || opts.memoryMiB > MAX_MEMORY_MIB) {
      throw new RangeError(`board memory ${opts.memoryMiB} MiB: 1 to ${MAX_MEMORY_MIB}`);
    }
    this.ram = new Ram(opts.memoryMiB * 1024 * 1024);
    this.cpu = new Cpu(this.ram, this.ports, this.clock, costs, opts.tlb);
    this.cpu.fpu = new Fpu();
    this.cpu.intc = this.pic;
    this.pic.onChange = () => { this.cpu.attention = 1; };
    this.ports.register(0x20, 2, this.pic.master);
    this.ports.register(0xa0, 2, this.pic.slave);
    this.pit = new Pit8254(this.clock, this.pic.irqLine(0));
    this.ports.register(0x40, 4, this.pit);
    this.ports.register(0x61, 1, new SystemControlPortB(this.pit));
    this.rtc = new CmosRtc(this.clock, this.pic.irqLine(8), this.ram.size);
    this.ports.register(0x70, 2, this.rtc);
    this.uart = new Uart16550(this.pic.irqLine(4), opts.serial);
    this.ports.register(0x3f8, 8, this.uart);
    this.pci = new PciBus(new PciIoSpace((b, n, d) => this.ports.register(b, n, d)));
    this.ports.register(0xcf8, 8, this.pci);
    this.pci.addDevice(0, 0, new I440fxHostBridge());
    this.pci.addDevice(1, 0, new Piix3IsaBridge());
    this.ide = new PiixIde(this.clock, this.ram, this.pic.irqLine(PRIMARY_IRQ), opts.disk);
    this.pci.addDevice(1, 1, this.ide);
    this.ports.register(PRIMARY_COMMAND_BASE, 8, this.ide.primary.commandBlock);
    this.ports.register(PRIMARY_CONTROL_PORT, 1, this.ide.primary.controlBlock);
    if (opts.debugExit !== false) {
      this.ports.register(0xf4, 4, new DebugExit((v) => {
        if (this.exitCode === null) this.exitCode = v;
        this.cpu.stopRequested = true; // stop the CPU loop at the next boundary
        this.cpu.attention = 1;
      }));
    }
  }

  /**
   * Load a Multiboot kernel and set the CPU to the state Multiboot v1 §3.2
   * requires: protected mode, paging off, flat 4 GiB segments, IF=0,
   * EAX = 0x2BADB002, EBX = the information structure.
   */
  bootMultiboot(image: Uint8Array, cmdline = "", modules: { bytes: Uint8Array; cmdline: string }[] = []): void {
    const { entry, infoAddr } = loadMultiboot(this.ram, image, { cmdline, modules });
    const cpu = this.cpu;
    cpu.cr0 = 0x60000011 & ~0x60000000; // PE | ET, caches on
    setSegment(cpu, CS, 0x08, 0, 0xffffffff, ATTR_CODE32);
    for (const seg of [DS, ES, FS, GS, SS]) setSegment(cpu, seg, 0x10, 0, 0xffffffff, ATTR_DATA32);
    cpu.cpl = 0;
    cpu.updateAccessMasks();
    cpu.codeMode = 1;
    cpu.eflags = 2;
    cpu.regs[EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu.regs[EBX] = infoAddr;
    cpu.eip = entry;
    cpu.fpu.reset();
  }

  /**
   * Run for at most `cycles` simulated cycles. Returns "exit" once the guest
   * wrote the debug-exit port, "idle" when the CPU is halted with nothing
   * that could wake it, "stopped" when something (a ring-0 host) set
   * cpu.stopRequested, "running" otherwise.
   */
  runFor(cycles: number): StopReason {
    const until = this.clock.now + cycles;
    while (this.clock.now < until) {
      if (this.exitCode !== null) return "exit";
      const before = this.clock.now;
      run(this.cpu, until);
      if (this.exitCode !== null) return "exit";
      if (this.cpu.stopRequested) {
        this.cpu.stopRequested = false;
        return "stopped";
      }
      if (this.cpu.halted && (this.clock.now === before || (this.cpu.eflags & 0x200) === 0)) return "idle";
    }
    return this.exitCode !== null ? "exit" : "running";
  }
}
