/**
 * How the hypervisor reaches machine memory: by machine (physical) address,
 * never through a guest's page tables. The board's `Ram` provides it; every
 * write passes Ram's watch on frames holding decoded code, so the CPU stays
 * coherent with what the hypervisor writes (ARCHITECTURE.md §2). Frame
 * numbers are machine frames (`Mfn`), byte addresses `Paddr`.
 */
export interface MachineMemory {
  /** Bytes of machine memory (a multiple of 4 KiB). */
  readonly size: number;
  read8(paddr: number): number;
  read16(paddr: number): number;
  read32(paddr: number): number;
  write8(paddr: number, value: number): void;
  write16(paddr: number, value: number): void;
  write32(paddr: number, value: number): void;
}

export const PAGE_SIZE = 4096;

/** Memory that can also write a run of bytes at once (Ram, HostMemory). */
export interface BulkMachineMemory extends MachineMemory {
  writePhys(paddr: number, src: Uint8Array): void;
}

const ZERO_PAGE = new Uint8Array(PAGE_SIZE);

/** Scrub machine frame `mfn` (a bulk write where the memory offers one). */
export function zeroFrame(mem: MachineMemory, mfn: number): void {
  const base = mfn * PAGE_SIZE;
  if ("writePhys" in mem) { (mem as BulkMachineMemory).writePhys(base, ZERO_PAGE); return; }
  for (let off = 0; off < PAGE_SIZE; off += 4) mem.write32(base + off, 0);
}
export const mfnToPaddr = (mfn: number): number => mfn * PAGE_SIZE;
