import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, removeBuild } from './build-engine';

/**
 * For a test file that drives the bundled CLI: builds it (and a scratch folder named `prefix…`) before the file's
 * tests, hands both to `use`, and removes both after them.
 */
export function useCliBundle(prefix: string, use: (b: { cli: string; tmp: string }) => void): void {
  let cli = '';
  let tmp = '';
  before(async () => {
    cli = await buildCli();
    tmp = mkdtempSync(join(tmpdir(), prefix));
    use({ cli, tmp });
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (cli) removeBuild(cli);
  });
}
