// Runs every test/unit/**/*.test.ts with Node's own runner (through tsx, no compile step).
// Extra arguments filter by substring of the file path: `npm run test:unit -- onnx`.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.ts') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})('test/unit');
files.sort();

// Test files that drive the bundled CLI or engine would each bundle them (seconds apiece on a loaded machine): when
// several do, bundle once here and hand the paths over (test/support/build-engine.ts picks them up).
const env = { ...process.env };
const bundled = [];
if (files.filter((f) => /support\/(build-engine|cli-bundle)'/.test(readFileSync(f, 'utf8'))).length > 1) {
  const t0 = Date.now();
  const b = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/prebuild-bundles.ts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (b.status !== 0) process.exit(b.status ?? 1);
  const { cli, engine } = JSON.parse(b.stdout);
  env.MI_TEST_CLI_BUNDLE = cli;
  env.MI_TEST_ENGINE_BUNDLE = engine;
  bundled.push(cli, engine);
  console.log(`bundled the CLI and the engine once for the test files in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// The spec reporter for the results, and a timing summary (slowest files) at the end.
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/unit-timing-reporter.mjs', '--test-reporter-destination=stdout'];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files], { stdio: 'inherit', env });
for (const b of bundled) rmSync(dirname(b), { recursive: true, force: true });
process.exit(r.status ?? 1);
