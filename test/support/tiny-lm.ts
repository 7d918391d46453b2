// The tiny language model the UI tests run (test/support/tiny-lm.py, trained with Debian's python3-torch in about a
// minute of CPU), written once into test-artifacts/tiny-lm/ and reused while the script is unchanged.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const SCRIPT = join(__dirname, 'tiny-lm.py');

/** The model's folder (model.onnx + tokenizer.json beside it). */
export function tinyLm(): string {
  const dir = join(root, 'test-artifacts/tiny-lm');
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
  const stamp = join(dir, 'script.sha256');
  if (!existsSync(join(dir, 'model.onnx')) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== hash) {
    // Debian's python3 has torch; the pyenv python3 first on PATH may not.
    execFileSync('/usr/bin/python3', [SCRIPT, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(stamp, hash);
  }
  return dir;
}
