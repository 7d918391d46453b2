// For scripts/run-unit-tests.mjs: bundles the CLI and the engine once for the whole run and prints their paths as
// JSON ({"cli", "engine"}); the runner hands them to the test files (MI_TEST_CLI_BUNDLE, MI_TEST_ENGINE_BUNDLE).
import { buildNodeEntry } from './build-engine';

void Promise.all([buildNodeEntry('src/cli.ts', 'shared-cli'), buildNodeEntry('src/engine/main.ts', 'shared-engine')]).then(
  ([cli, engine]) => process.stdout.write(JSON.stringify({ cli, engine })),
  (e: unknown) => {
    console.error(`could not bundle the CLI and engine for the tests: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
