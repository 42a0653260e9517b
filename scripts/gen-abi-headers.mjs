#!/usr/bin/env node
// Writes guests/include/xen/*.h from the ABI tables in src/abi (rendered by
// src/abi/c-headers.ts; run `npm run build` first). The headers are committed;
// tests/integration/abi-headers.test.ts fails when they are out of date.
//   node scripts/gen-abi-headers.mjs          write the headers
//   node scripts/gen-abi-headers.mjs --check  exit 1 if any differs
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { abiHeaders } = await import(join(root, "build/src/abi/c-headers.js"));
const dir = join(root, "guests/include/xen");
const check = process.argv.includes("--check");
let stale = 0;
mkdirSync(dir, { recursive: true });
for (const { name, text } of abiHeaders()) {
  const path = join(dir, name);
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === text) continue;
  stale++;
  if (check) console.error(`gen-abi-headers: ${path} is out of date`);
  else writeFileSync(path, text), console.log(`gen-abi-headers: wrote ${path}`);
}
if (check && stale > 0) process.exit(1);
