/**
 * Branded integers for addresses and frame numbers (STYLE §4).
 *
 * A brand is a compile-time tag only: at run time these are plain numbers, so
 * they cost nothing on hot paths. Functions at module boundaries take the
 * branded type so that a pseudo-physical frame can never be passed where a
 * machine frame is expected.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Linear (virtual) address, 32 bits unsigned. */
export type Vaddr = Brand<number, "Vaddr">;
/** Physical (machine) byte address. */
export type Paddr = Brand<number, "Paddr">;
/** Pseudo-physical frame number (a guest's view). */
export type Pfn = Brand<number, "Pfn">;
/** Machine frame number. */
export type Mfn = Brand<number, "Mfn">;
/** Domain identifier. */
export type DomId = Brand<number, "DomId">;
/** Event-channel port. */
export type Port = Brand<number, "Port">;

export const vaddr = (n: number): Vaddr => (n >>> 0) as Vaddr;
export const paddr = (n: number): Paddr => n as Paddr;
export const mfn = (n: number): Mfn => n as Mfn;
export const pfn = (n: number): Pfn => n as Pfn;
