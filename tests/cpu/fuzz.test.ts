/**
 * Randomized instruction test, fixed seed: cases 0..1999 of seed 1 must
 * give the same registers, flags (SDM-undefined ones masked), scratch
 * memory and exceptions on tsxen as on QEMU (tests/cpu/fuzz.ts), and RF in
 * exception frames must follow the SDM. Bigger runs: `npm run test:fuzz`.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { formatMismatch, runBatch } from "./fuzz.js";

const SEED = 1;
const COUNT = 2000;

it(`fuzz: seed ${SEED}, ${COUNT} random instruction sequences match QEMU`, { timeout: 120_000 }, async () => {
  const r = await runBatch(SEED, 0, COUNT, 90_000);
  assert.deepEqual(r.errors, [], r.errors.join("\n"));
  const shown = r.mismatches.slice(0, 5).map(formatMismatch).join("\n\n");
  assert.equal(r.mismatches.length, 0, `${r.mismatches.length} of ${COUNT} cases differ; the first:\n${shown}`);
});
