// Two clones on one machine: each gets its own extensions folder and its own free port for code-server, and the
// scripts and the e2e driver agree on both (test/e2e/scripts/env.sh, pick-port.mjs, start.sh's record in .e2e/port).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const scripts = resolve(__dirname, '../e2e/scripts');
const tmp = mkdtempSync(join(tmpdir(), 'mi-clones-'));
/** Extensions folders env.sh made outside tmp (it creates the folder it picks): removed afterwards. */
const made = new Set<string>();
after(() => {
  rmSync(tmp, { recursive: true, force: true });
  for (const d of made) if (!d.startsWith(tmp)) rmSync(d, { recursive: true, force: true });
});

/** What env.sh exports for a state folder (a clone's .e2e), with the environment given. */
function envOf(state: string, extra: Record<string, string> = {}): { exts: string; id: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, MI_E2E_DIR: state, ...extra };
  if (!extra.MI_E2E_EXTS) delete env.MI_E2E_EXTS;
  const r = spawnSync('bash', ['-c', 'source "$1" && printf "%s\\n%s" "$MI_E2E_EXTS" "$CLONE_ID"', 'env', join(scripts, 'env.sh')], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const [exts, id] = r.stdout.split('\n');
  made.add(exts);
  return { exts, id };
}

const pick = (id: string, port?: number) => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (port === undefined) delete env.MI_E2E_PORT;
  else env.MI_E2E_PORT = String(port);
  return spawnSync(process.execPath, [join(scripts, 'pick-port.mjs'), id], { encoding: 'utf8', env });
};

const hold = (port: number) => new Promise<net.Server>((ok, fail) => {
  const s = net.createServer().once('error', fail);
  s.listen(port, '127.0.0.1', () => ok(s));
});

test('two clones get different extensions folders; MI_E2E_EXTS still wins', () => {
  const a = envOf(join(tmp, 'clone-a/.e2e'));
  const b = envOf(join(tmp, 'clone-b/.e2e'));
  assert.notEqual(a.exts, b.exts);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(envOf(join(tmp, 'clone-a/.e2e')), a, 'the same clone keeps its folder');
  assert.equal(envOf(join(tmp, 'clone-a/.e2e'), { MI_E2E_EXTS: join(tmp, 'mine') }).exts, join(tmp, 'mine'));
});

test('pick-port: the clone\'s own port, the next free one when it is taken, MI_E2E_PORT as given or refused when taken', async () => {
  const { id } = envOf(join(tmp, 'clone-c/.e2e'));
  const first = pick(id);
  assert.equal(first.status, 0, first.stderr);
  const own = Number(first.stdout);
  assert.ok(own >= 20000 && own < 30100, String(own));
  assert.equal(Number(pick(id).stdout), own, 'stable from one start to the next');
  const busy = await hold(own);
  try {
    const next = pick(id);
    assert.equal(next.status, 0, next.stderr);
    assert.ok(Number(next.stdout) > own && Number(next.stdout) < own + 100, next.stdout);
    const refused = pick(id, own);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, new RegExp(`port ${own} \\(MI_E2E_PORT\\) is taken`));
  } finally {
    await new Promise((ok) => busy.close(ok));
  }
  assert.equal(Number(pick(id, own).stdout), own);
});

test('the e2e driver reads the port start.sh recorded and the extensions folder env.sh chose', () => {
  const state = join(tmp, 'clone-d/.e2e');
  // The driver in its own process, as the e2e test runs it (it reads MI_E2E_DIR when it loads).
  const driver = () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MI_E2E_DIR: state };
    delete env.MI_E2E_EXTS;
    const code = `const p = require(${JSON.stringify(resolve(__dirname, '../e2e/driver/paths.ts'))});
      let url; try { url = p.baseUrl(); } catch (e) { url = e.message; }
      console.log(JSON.stringify({ exts: p.paths.extensions, url }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { exts: string; url: string };
  };
  const before = driver();
  assert.equal(before.exts, envOf(state).exts);
  assert.match(before.url, /code-server is not running/);
  writeFileSync(join(state, 'port'), '23456\n');
  assert.equal(driver().url, 'http://127.0.0.1:23456');
});
