import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from '../fuzz/fuzz';

// CI's fixed-seed fuzz run: 2,000 hostile inputs through open → summarize → stats in a watched process.
// `npm run fuzz -- --cases N --seed S` runs more.
test('2,000 fuzz cases: no crash, no case over 2 s of CPU time, no absurd allocation, every error one line naming the file', { timeout: 600_000 }, async () => {
  const report = await fuzz(Number(process.env.MI_FUZZ_CASES ?? 2000), Number(process.env.MI_FUZZ_SEED ?? 20261127));
  console.log(`fuzz: ${JSON.stringify({ cases: report.cases, seed: report.seed, counts: report.counts, mustRefuse: report.mustRefuse, peakRssMB: report.peakRssMB, ms: report.ms })}`);
  for (const f of report.failures.slice(0, 20)) console.log(`fuzz failure: ${f.what}: ${JSON.stringify(f.result)}`);
  assert.equal(report.counts.ok + report.counts.error, report.cases, `${report.failures.length} cases failed`);
  // Both outcomes must be exercised, or the generator has gone blind.
  assert.ok(report.counts.error > report.cases / 10, 'too few cases were rejected: mutations are not reaching the readers');
  assert.ok(report.counts.ok > report.cases / 10, 'too few cases opened: structured cases are not reaching the later steps');
  assert.ok(report.mustRefuse > report.cases / 100, 'too few weight paths leaving the model folder were generated');
});
