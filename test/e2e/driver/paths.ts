// Where the e2e harness keeps things. Everything it writes goes under .e2e/ (git-ignored), except the screenshots,
// which go to test-artifacts/e2e/ for CI to keep.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const state = process.env.MI_E2E_DIR ?? join(root, '.e2e');

/** The extensions folder env.sh chose for this clone (asked from env.sh itself, so the two never disagree). */
function extensionsDir(): string {
  return execFileSync('bash', ['-c', 'source "$1" && printf %s "$MI_E2E_EXTS"', 'env', join(root, 'test/e2e/scripts/env.sh')], { encoding: 'utf8' });
}

export const paths = {
  root,
  state,
  scripts: join(root, 'test/e2e/scripts'),
  workspaces: join(state, 'ws'),
  // Outside the repository, as in scripts/env.sh: see there why.
  extensions: process.env.MI_E2E_EXTS ?? extensionsDir(),
  userSettings: join(state, 'ud/User/settings.json'),
  suiteBundle: join(state, 'suite/index.js'),
  suiteResults: join(state, 'suite/results.json'),
  artifacts: join(root, 'test-artifacts/e2e'),
  examples: join(root, 'examples'),
  conformance: '/usr/share/libonnx-testdata/data',
};

/**
 * The port start.sh chose for the running code-server (recorded in .e2e/port): read when needed, since the server
 * starts after this module loads.
 */
export function port(): number {
  try {
    return Number(readFileSync(join(state, 'port'), 'utf8').trim());
  } catch {
    throw new Error(`code-server is not running (no ${join(state, 'port')}): start it with test/e2e/scripts/start.sh`);
  }
}

export const baseUrl = (): string => `http://127.0.0.1:${port()}`;
