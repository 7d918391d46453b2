// Hostile SafeTensors and GGUF files (test/fuzz/weights-files.ts) through open → summarize → stats in a watched process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../fuzz/prng';
import { FuzzRunner } from '../fuzz/runner';
import { weightsFileCases } from '../fuzz/weights-files';

for (const format of ['safetensors', 'gguf'] as const) {
  test(`300 mutated ${format} files: no crash, no hang, no absurd allocation, every error one line naming the file`, { timeout: 300_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), `mi-fuzz-${format}-`));
    const runner = new FuzzRunner({ hangMs: 5000, maxRssGrowthMB: 1024 });
    const counts: Record<string, number> = {};
    const failures: string[] = [];
    try {
      const cases = weightsFileCases(format, 300, new Prng(20261203), root);
      for (const [i, c] of cases.entries()) {
        const r = await runner.run(c, i);
        counts[r.kind] = (counts[r.kind] ?? 0) + 1;
        if (r.kind !== 'ok' && r.kind !== 'error') failures.push(`${c.what}: ${JSON.stringify(r)}`);
      }
    } finally {
      runner.dispose();
      rmSync(root, { recursive: true, force: true });
    }
    console.log(`${format} fuzz: ${JSON.stringify(counts)}`);
    assert.deepEqual(failures, []);
    // Both outcomes exercised, or the mutations are not reaching the reader.
    assert.ok((counts.error ?? 0) > 30 && (counts.ok ?? 0) > 30, JSON.stringify(counts));
  });
}
