import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCase, seedModels } from './cases';
import { Prng } from './prng';
import { FuzzRunner, type CaseResult } from './runner';

export interface FuzzReport {
  cases: number;
  seed: number;
  counts: Record<CaseResult['kind'], number>;
  /** Cases that had to be refused (weight paths leaving the model's folder); each failed otherwise. */
  mustRefuse: number;
  failures: { file: string; what: string; result: CaseResult }[];
  peakRssMB: number;
  ms: number;
}

/** Generates `cases` hostile inputs from `seed` and runs each through the user path in a watched process. */
export async function fuzz(cases: number, seed: number, log: (s: string) => void = () => undefined): Promise<FuzzReport> {
  const t0 = Date.now();
  const rng = new Prng(seed);
  const seeds = seedModels(rng, 40);
  const root = mkdtempSync(join(tmpdir(), 'mi-fuzz-'));
  const runner = new FuzzRunner({ hangMs: 2000, maxRssGrowthMB: 1024 });
  const counts: FuzzReport['counts'] = { ok: 0, error: 0, 'bad-error': 0, hang: 0, crash: 0, memory: 0 };
  const failures: FuzzReport['failures'] = [];
  let mustRefuse = 0;
  try {
    for (let i = 0; i < cases; i++) {
      const c = makeCase(i, rng, seeds, root);
      if (c.expect) mustRefuse++;
      const result = await runner.run(c, i);
      counts[result.kind]++;
      if (result.kind !== 'ok' && result.kind !== 'error') {
        failures.push({ file: c.file, what: c.what, result });
        log(`FAIL ${c.what}: ${JSON.stringify(result)}`);
      }
      if ((i + 1) % 500 === 0) log(`${i + 1}/${cases} cases: ${JSON.stringify(counts)}`);
      if (result.kind === 'ok' || result.kind === 'error') rmSync(join(c.file, '..'), { recursive: true, force: true });
    }
  } finally {
    runner.dispose();
  }
  return { cases, seed, counts, mustRefuse, failures, peakRssMB: Math.round(runner.peakRssMB), ms: Date.now() - t0 };
}

if (require.main === module) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  fuzz(arg('cases', 2000), arg('seed', 1), (s) => console.error(s)).then((r) => {
    console.log(JSON.stringify({ cases: r.cases, seed: r.seed, counts: r.counts, mustRefuse: r.mustRefuse, peakRssMB: r.peakRssMB, ms: r.ms }));
    process.exit(r.failures.length ? 1 : 0);
  });
}
