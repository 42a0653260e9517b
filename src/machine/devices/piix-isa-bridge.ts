/**
 * Function 0 of the Intel 82371SB PIIX3 ("82371FB (PIIX) and 82371SB
 * (PIIX3) PCI ISA IDE Xcelerator" datasheet, order 290550): the PCI-to-ISA
 * bridge at 00:01.0 as in QEMU's `pc` machine, vendor 0x8086, device 0x7000,
 * class 0x060100, header type 0x80 (multi-function, so that software
 * scanning slot 1 goes on to the IDE function 00:01.1).
 *
 * Modelled as storage only: PIRQ route control (0x60–0x63, reset 0x80 =
 * routing disabled) and the other chipset registers a BIOS writes (0x4C
 * ISA recovery timer, 0x4E X-bus chip select, 0x69–0x6A, 0x70, 0x76–0x77,
 * 0x80–0x82, 0xA0–0xAF, 0xB0–0xB3). The ISA devices behind it (PIC, PIT,
 * RTC) are placed by the board at their fixed ports. PCICMD resets to 0x0007
 * and PCISTS to 0x0280 as in the datasheet.
 */
import { PciFunction, QEMU_SUBSYSTEM, QEMU_SUBSYSTEM_VENDOR } from "./pci-function.js";

const STORAGE_REGISTERS: readonly (readonly [number, number])[] = [
  [0x4c, 0x4e],
  [0x60, 0x63],
  [0x69, 0x6a],
  [0x70, 0x70],
  [0x76, 0x77],
  [0x80, 0x82],
  [0xa0, 0xb3],
];

export class Piix3IsaBridge extends PciFunction {
  constructor() {
    super({
      vendor: 0x8086,
      device: 0x7000,
      classCode: 0x060100,
      headerType: 0x80,
      command: 0x0007,
      status: 0x0280,
      subsystemVendor: QEMU_SUBSYSTEM_VENDOR,
      subsystem: QEMU_SUBSYSTEM,
    });
    for (const [first, last] of STORAGE_REGISTERS) for (let r = first; r <= last; r++) this.writable[r] = 0xff;
    for (let r = 0x60; r <= 0x63; r++) this.config[r] = 0x80;
    this.config[0x4c] = 0x4d;
    this.config[0x4e] = 0x03;
    this.config[0x69] = 0x02;
    this.config[0x70] = 0x80;
    this.config[0x76] = 0x0c;
    this.config[0x77] = 0x0c;
    this.config[0xa8] = 0x0f;
    this.config[0xa0] = 0x08;
  }
}
