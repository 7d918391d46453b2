// A TF.js model whose weight shard is cut short or missing is refused by every CLI verb with the same one-line
// error naming the shard (exit 1), instead of `inspect`/`stats` exiting 0 with the weights listed as unreadable
// and `run` failing later inside TF.js with a vaguer message.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/shapes/tfjs');
const tmp = mkdtempSync(join(tmpdir(), 'mi-tfjs-shards-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function damaged(name: string, damage: (shard: string) => void): string {
  const dir = join(tmp, name);
  cpSync(EXAMPLE, dir, { recursive: true });
  damage(join(dir, 'group1-shard1of1.bin'));
  return join(dir, 'model.json');
}

const cases = [
  { label: 'a truncated shard', model: () => damaged('short', (s) => truncateSync(s, 100)), error: /^group1-shard1of1\.bin: is 100 bytes, but the weights model\.json lists for it need \d+ \(truncated\?\)$/ },
  { label: 'a missing shard', model: () => damaged('missing', (s) => rmSync(s)), error: /^group1-shard1of1\.bin: is missing \(ENOENT\), but model\.json lists it as a weight shard$/ },
];

for (const c of cases) {
  test(`${c.label}: inspect, stats, run, saliency and compare exit 1 with the same error naming the shard`, () => {
    const model = c.model();
    const verbs: string[][] = [['inspect', model], ['stats', model], ['run', model], ['saliency', model], ['compare', model, join(EXAMPLE, 'model.json')]];
    for (const args of verbs) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.signal, null, args[0]);
      assert.equal(r.status, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, c.error, args[0]);
    }
  });
}
