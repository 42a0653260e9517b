/**
 * The hypercall page (docs/xen-pv32-abi.md §3.2, §1.10, §6.7; Xen
 * xen/arch/x86/pv/hypercall.c, xen/include/public/arch-x86/xen-x86_32.h).
 *
 * One 4 KiB page of 128 stubs, 32 bytes each; stub n at `page + 32·n`. The
 * page is filled with INT3 (0xCC) first, then every stub is written:
 *
 *   n ≠ 23:  B8 nn nn nn nn   mov  $n, %eax
 *            CD 82            int  $0x82
 *            C3               ret
 *            CC × 24
 *
 *   n = 23:  50               push %eax          (iret: guests JMP here with
 *            B8 17 00 00 00   mov  $23, %eax      an iret frame on the stack;
 *            CD 82            int  $0x82          there is no ret)
 *            CC × 24
 *
 * Guests CALL `hypercall_page + 32·n`. The builder writes the page into the
 * frame named by the HYPERCALL_PAGE ELF note before the guest starts; XTF
 * checks that byte 0 is no longer its 0xC3 poison.
 */
import { group, type ConstGroup } from "./constants.js";
import { HYPERCALL } from "./hypercalls.js";

export const HYPERCALL_PAGE = {
  SIZE: 4096,
  STUB_SIZE: 32,
  STUBS: 128,
  /** Filler byte: INT3. */
  FILL: 0xcc,
  /** The software-interrupt vector of a hypercall (gate DPL 1, §3.1). */
  VECTOR: 0x82,
  /** Error code of the #GP an `INT 0x82` from ring 3 raises: (0x82 << 3) | 2. */
  RING3_GP_ERROR_CODE: (0x82 << 3) | 2,
} as const;

/** The stub for hypercall `n` (32 bytes). */
export function hypercallStub(n: number): Uint8Array {
  const stub = new Uint8Array(HYPERCALL_PAGE.STUB_SIZE).fill(HYPERCALL_PAGE.FILL);
  const mov = [0xb8, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const int82 = [0xcd, HYPERCALL_PAGE.VECTOR];
  const code = n === HYPERCALL.iret ? [0x50, ...mov, ...int82] : [...mov, ...int82, 0xc3];
  stub.set(code);
  return stub;
}

/** Fills `page` (at least 4096 bytes) with the whole hypercall page. */
export function writeHypercallPage(page: Uint8Array): void {
  page.fill(HYPERCALL_PAGE.FILL, 0, HYPERCALL_PAGE.SIZE);
  for (let n = 0; n < HYPERCALL_PAGE.STUBS; n++) page.set(hypercallStub(n), n * HYPERCALL_PAGE.STUB_SIZE);
}

/** A fresh hypercall page. */
export function hypercallPage(): Uint8Array {
  const page = new Uint8Array(HYPERCALL_PAGE.SIZE);
  writeHypercallPage(page);
  return page;
}

export const hypercallPageConstants: readonly ConstGroup[] = [
  group("HYPERCALL_PAGE_", HYPERCALL_PAGE, "hypercall page layout (tsxen names)", "§3.2", "xen-x86_32.h", { hex: true }),
];
