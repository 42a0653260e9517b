/**
 * First light of the hypervisor (issue 3): `tsxen run pv-hello.elf` boots the
 * PV kernel as a domain, its console ring (stdout) equals expected.txt, its
 * console_io writes reach stderr as "(d1) " lines, and SCHEDOP_shutdown
 * (poweroff) ends the run with status 0. Needs `make -C guests`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const elf = join(root, 'guests', 'build', 'tests', 'pv-hello.elf');

test('tsxen run pv-hello.elf: console ring on stdout equals expected.txt, status 0', { skip: !existsSync(elf) && 'guests not built' }, () => {
  const r = spawnSync(join(root, 'bin', 'tsxen'), ['run', elf, '--timeout', '60'], { encoding: 'utf8', timeout: 120_000 });
  const expected = readFileSync(join(root, 'guests', 'tests', 'pv-hello', 'expected.txt'), 'utf8');
  assert.equal(r.stdout, expected, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  const logLines = r.stderr.split('\n').filter((l) => l.startsWith('(d1) '));
  assert.deepEqual(logLines.map((l) => l.slice(5)), expected.trimEnd().split('\n'));
});
