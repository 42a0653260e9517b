#!/usr/bin/env node
// Runs every compiled test (build/**/*.test.js) with Node's test runner.
// Unit tests sit beside their code (src/**/x.test.ts); suites that drive
// whole kernels live in tests/. Extra arguments go to `node --test`.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const files = [...find("build/src", []), ...find("build/tests", [])].sort();
if (files.length === 0) {
  console.error("run-tests: no compiled tests under build/ (run `npm run build`)");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
