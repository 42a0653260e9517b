/**
 * The Intel 82441FX PCI and Memory Controller (PMC), host bridge of the
 * 440FX PCIset ("82440FX PCISET" datasheet, Intel order 290549), at PCI
 * 00:00.0 as in QEMU's `pc` machine: vendor 0x8086, device 0x1237,
 * revision 0x02, class 0x060000 (host bridge).
 *
 * Only the configuration registers a PC BIOS or OS touches are modelled,
 * as plain storage: PAM0–PAM6 (0x59–0x5F, shadow RAM attributes) and SMRAM
 * (0x72). tsxen maps no BIOS ROM below 1 MiB, so PAM settings change nothing.
 * PCICMD resets to 0x0006 (memory and bus master, hardwired in the 82441FX),
 * PCISTS to 0x0280 (fast back-to-back, medium DEVSEL).
 */
import { PciFunction, QEMU_SUBSYSTEM, QEMU_SUBSYSTEM_VENDOR } from "./pci-function.js";

export class I440fxHostBridge extends PciFunction {
  constructor() {
    super({
      vendor: 0x8086,
      device: 0x1237,
      revision: 0x02,
      classCode: 0x060000,
      command: 0x0006,
      status: 0x0280,
      subsystemVendor: QEMU_SUBSYSTEM_VENDOR,
      subsystem: QEMU_SUBSYSTEM,
    });
    this.writable[0x04] = 0x00; // PCICMD bits are hardwired on the 82441FX
    this.writable[0x05] = 0x00;
    for (let r = 0x59; r <= 0x5f; r++) this.writable[r] = 0xff;
    this.config[0x72] = 0x02; // SMRAM: C_BASE_SEG = 010 (A0000h)
    this.writable[0x72] = 0x78;
  }
}
