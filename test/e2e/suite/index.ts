// Tests that run INSIDE the real extension host (code-server loads this bundle through extensionTestsPath and calls
// run()). A tiny runner instead of mocha: each test is a named async function; results are printed, written next to
// the bundle as results.json for the driver, and any failure rejects run() so the workbench exits with code 1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tests } from './tests';

export interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

const perTestTimeoutMs = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function run(): Promise<void> {
  const results: Result[] = [];
  for (const [name, fn] of Object.entries(tests)) {
    const t0 = Date.now();
    try {
      await withTimeout(fn(), perTestTimeoutMs, name);
      results.push({ name, ok: true, ms: Date.now() - t0 });
      console.log(`mi-e2e: ok - ${name}`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      results.push({ name, ok: false, ms: Date.now() - t0, error });
      console.log(`mi-e2e: not ok - ${name}: ${error}`);
    }
  }
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok).length;
  if (failed) throw new Error(`${failed} of ${results.length} extension-host tests failed`);
}
