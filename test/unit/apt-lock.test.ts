// scripts/apt-lock.sh (used by ensure-deps.sh, so by `npm run demo` and `npm test`): while another package manager
// holds the dpkg/apt locks it waits and says who holds them, goes on once they are free, and explains what to do when
// they stay held. The locks here are scratch files (MI_APT_LOCKS), held the way apt (POSIX lock) and flock(1) hold them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(__dirname, '../../scripts/apt-lock.sh');
const hasPython = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0;

/** Runs wait_for_apt_locks with `limit` seconds over the given lock files. */
function waiter(locks: string[], limit: number): ChildProcess & { out: () => string; err: () => string } {
  const child = spawn('bash', ['-c', `source '${script}'; wait_for_apt_locks ${limit}`], {
    env: { ...process.env, MI_APT_LOCKS: locks.join(' ') },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  return Object.assign(child, { out: () => out, err: () => err });
}

/** Resolves when `child` has printed `text` on stdout. */
function printed(child: ChildProcess, text: string): Promise<void> {
  return new Promise((res, rej) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d;
      if (seen.includes(text)) {
        child.stdout!.off('data', onData);
        res();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`exited (${code}) before printing "${text}": ${seen}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((res) => (child.exitCode !== null ? res(child.exitCode) : child.once('exit', (c) => res(c))));

/** Holds a lock on `file` until its stdin closes: flock(1)'s BSD lock, or with python a POSIX lock as apt takes it. */
async function holdLock(file: string, kind: 'flock' | 'posix'): Promise<ChildProcess> {
  const holder = kind === 'flock'
    ? spawn('flock', [file, '-c', 'echo locked; read -r _'])
    : spawn('python3', ['-c', `import fcntl, sys\nf = open(${JSON.stringify(file)}, 'w')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\nsys.stdin.read()`]);
  await printed(holder, 'locked');
  return holder;
}

function scratch(): { dir: string; lock: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mi-apt-lock-'));
  const lock = join(dir, 'lock-frontend');
  writeFileSync(lock, '');
  return { dir, lock };
}

test('free locks (or missing lock files): goes on at once, silently', async () => {
  const { dir, lock } = scratch();
  try {
    const w = waiter([join(dir, 'absent'), lock], 0);
    assert.equal(await exited(w), 0);
    assert.equal(w.out(), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a held lock: says who holds it, waits, and goes on once it is released', async () => {
  const { dir, lock } = scratch();
  const holder = await holdLock(lock, 'flock');
  try {
    const w = waiter([join(dir, 'absent'), lock], 600);
    await printed(w, 'waiting for another package manager');
    assert.match(w.out(), new RegExp(`${lock} is held by pid ${holder.pid} \\(flock `));
    assert.equal(w.exitCode, null, 'it must still be waiting while the lock is held');
    holder.stdin!.end();
    await exited(holder);
    assert.equal(await exited(w), 0, w.err());
    assert.match(w.out(), /the package manager lock is free after \d+s/);
  } finally {
    holder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock held as apt holds it (POSIX) past the limit: gives up and says what to do', { skip: !hasPython && 'needs python3 to take a POSIX lock' }, async () => {
  const { dir, lock } = scratch();
  const holder = await holdLock(lock, 'posix');
  try {
    const w = waiter([lock], 0);
    assert.equal(await exited(w), 1);
    assert.match(w.err(), new RegExp(`${lock} is still held by pid ${holder.pid} \\(.*python3`));
    assert.match(w.err(), /let it finish, then run this again/);
    assert.match(w.err(), /MI_APT_LOCK_WAIT=/);
  } finally {
    holder.stdin!.end();
    holder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
