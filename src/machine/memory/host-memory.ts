/**
 * Machine memory as a ring-0 host reaches it (ARCHITECTURE.md §2: "work the
 * host does through the machine is charged cycles"): the board's RAM by
 * physical address, every access costing `hostBytePer4` cycles of simulated
 * time (src/machine/costs.ts: a 4-byte-per-cycle memcpy; a byte or word
 * access costs the same as a dword). Writes go through Ram, so decoded code
 * stays coherent.
 */
import type { SimClock } from "../clock.js";
import type { CostTable } from "../costs.js";
import type { Ram } from "./ram.js";

export class HostMemory {
  readonly size: number;
  /** Accesses made (for statistics). */
  accesses = 0;
  private readonly cost: number;

  constructor(private readonly ram: Ram, private readonly clock: SimClock, costs: CostTable) {
    this.size = ram.size;
    this.cost = costs.hostBytePer4;
  }

  read8(paddr: number): number { this.charge(); return this.ram.read8(paddr); }
  read16(paddr: number): number { this.charge(); return this.ram.read16(paddr); }
  read32(paddr: number): number { this.charge(); return this.ram.read32(paddr); }
  write8(paddr: number, value: number): void { this.charge(); this.ram.write8(paddr, value); }
  write16(paddr: number, value: number): void { this.charge(); this.ram.write16(paddr, value); }
  write32(paddr: number, value: number): void { this.charge(); this.ram.write32(paddr, value); }

  /** A run of bytes, charged as a 4-bytes-per-access copy. */
  writePhys(paddr: number, src: Uint8Array): void {
    const n = Math.ceil(src.length / 4);
    this.accesses += n;
    this.clock.now += n * this.cost;
    this.ram.writePhys(paddr, src);
  }

  private charge(): void {
    this.accesses++;
    this.clock.now += this.cost;
  }
}
