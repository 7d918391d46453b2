// Where the e2e harness keeps things. Everything it writes goes under .e2e/ (git-ignored), except the screenshots,
// which go to test-artifacts/e2e/ for CI to keep.
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';

const root = resolve(__dirname, '../../..');
const state = process.env.MI_E2E_DIR ?? join(root, '.e2e');

export const paths = {
  root,
  state,
  scripts: join(root, 'test/e2e/scripts'),
  workspaces: join(state, 'ws'),
  // Outside the repository, as in scripts/env.sh: see there why.
  extensions: process.env.MI_E2E_EXTS ?? `/tmp/model-inspector-e2e-exts-${userInfo().uid}`,
  userSettings: join(state, 'ud/User/settings.json'),
  suiteBundle: join(state, 'suite/index.js'),
  suiteResults: join(state, 'suite/results.json'),
  artifacts: join(root, 'test-artifacts/e2e'),
  examples: join(root, 'examples'),
  conformance: '/usr/share/libonnx-testdata/data',
};

export const port = Number(process.env.MI_E2E_PORT ?? 8080);
export const baseUrl = `http://127.0.0.1:${port}`;
