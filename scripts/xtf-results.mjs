#!/usr/bin/env node
// Run every built XTF pv32pae test under tsxen and print a markdown table
// (docs/xtf.md). XTF itself is fetched and built outside this repository;
// this script only runs what is already built:
//   node scripts/xtf-results.mjs /path/to/xtf [--timeout S] [name ...]
import { spawnSync } from "node:child_process";
import { readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tsxen = join(here, "..", "bin", "tsxen");
const args = process.argv.slice(2);
const xtf = args.shift();
if (xtf === undefined || !existsSync(join(xtf, "tests"))) {
  console.error("usage: node scripts/xtf-results.mjs XTF_DIR [--timeout S] [test ...]");
  process.exit(64);
}
let timeout = 120;
const only = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--timeout") timeout = Number(args[++i]);
  else only.push(args[i]);
}
const rows = [];
for (const name of readdirSync(join(xtf, "tests")).sort()) {
  if (only.length > 0 && !only.includes(name)) continue;
  const image = join(xtf, "tests", name, `test-pv32pae-${name}`);
  if (!existsSync(image)) continue;
  const t0 = Date.now();
  const r = spawnSync(tsxen, ["run", image, "--timeout", String(timeout)], { encoding: "latin1", maxBuffer: 1 << 26 });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const out = r.stdout ?? "";
  const m = /Test result: (\w+)/.exec(out);
  const result = m ? m[1] : `no result (exit ${r.status})`;
  const lines = out.split("\n").filter((l) => l.length > 0);
  const why = result === "SUCCESS" ? "" : (lines.filter((l) => !/^(---|Environment|Test result)/.test(l)).slice(-2).join(" / ")
    || (r.stderr ?? "").split("\n").filter((l) => l.length > 0).slice(-1)[0] || "");
  rows.push(`| ${name} | ${result} | ${r.status} | ${secs} | ${why.replace(/\|/g, "\\|").slice(0, 160)} |`);
  process.stderr.write(`${name}: ${result}\n`);
}
console.log("| test | result | exit | host s | last lines (when not SUCCESS) |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(r);
