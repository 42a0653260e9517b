#!/usr/bin/env node
// Run every built XTF pv32pae test under tsxen and print a markdown table
// (docs/xtf.md). XTF itself is fetched and built outside this repository;
// this script only runs what is already built. Each test-pv32pae-*.cfg (the
// xl config XTF writes) gives the kernel, memory, vcpus and cmdline:
//   node scripts/xtf-results.mjs /path/to/xtf [--timeout S] [name ...]
import { spawnSync } from "node:child_process";
import { readdirSync, existsSync, readFileSync } from "node:fs";
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
const cfgValue = (cfg, key) => {
  const m = new RegExp(`^${key}\\s*=\\s*"?([^"\\n#]*)"?`, "m").exec(cfg);
  return m ? m[1].trim() : undefined;
};
for (const dir of readdirSync(join(xtf, "tests")).sort()) {
  const cfgs = readdirSync(join(xtf, "tests", dir)).filter((f) => f.startsWith("test-pv32pae-") && f.endsWith(".cfg")).sort();
  for (const cfgName of cfgs) {
    const name = cfgName.slice("test-pv32pae-".length, -".cfg".length);
    if (only.length > 0 && !only.includes(name) && !only.includes(dir)) continue;
    const cfg = readFileSync(join(xtf, "tests", dir, cfgName), "utf8");
    const image = join(xtf, "tests", dir, `test-pv32pae-${dir}`);
    if (!existsSync(image)) continue;
    const argv = ["run", image, "--timeout", String(timeout)];
    for (const [key, opt] of [["vcpus", "--vcpus"], ["memory", "--memory"], ["cmdline", "--cmdline"]]) {
      const v = cfgValue(cfg, key);
      if (v !== undefined) argv.push(opt, v);
    }
    const t0 = Date.now();
    const r = spawnSync(tsxen, argv, { encoding: "latin1", maxBuffer: 1 << 26 });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const out = r.stdout ?? "";
    const lines = out.split("\n").filter((l) => l.length > 0);
    // xtf-runner: the last console line must carry the result, else CRASH
    const last = lines[lines.length - 1] ?? "";
    const m = /Test result: (SUCCESS|SKIP|ERROR|FAILURE)/.exec(last);
    const result = m ? m[1] : "CRASH";
    const why = result === "SUCCESS" ? "" : (lines.filter((l) => !/^(---|Environment|Test result)/.test(l)).slice(-2).join(" / ")
      || (r.stderr ?? "").split("\n").filter((l) => l.length > 0).slice(-1)[0] || "");
    rows.push(`| ${name} | ${result} | ${r.status} | ${secs} | ${why.replace(/\|/g, "\\|").slice(0, 160)} |`);
    process.stderr.write(`${name}: ${result}\n`);
  }
}
console.log("| test | result | exit | host s | last lines (when not SUCCESS) |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(r);
