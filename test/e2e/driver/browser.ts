// Launches Debian's Chromium through playwright-core (no browser download), with its profile and HOME under .e2e/
// so nothing lands in the real home directory.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { paths } from './paths';

export const chromiumPath = process.env.MI_CHROMIUM ?? '/usr/bin/chromium';

export interface Browser {
  readonly ctx: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const home = join(paths.state, 'home');
  mkdirSync(home, { recursive: true });
  const profile = mkdtempSync(join(paths.state, 'chrome-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') },
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    ctx,
    async newPage() {
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.log(`  [page error] ${e.message.split('\n')[0]}`));
      return page;
    },
    async close() {
      await ctx.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
