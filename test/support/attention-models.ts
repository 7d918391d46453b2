// Builds the attention / logit-lens test transformers with test/support/attention/transformers.py (Debian's
// python3-torch and python3-onnx) once, cached under test-artifacts/attention-models/<hash>/ where <hash> is taken
// from the script's text: a changed script rebuilds, an unchanged one is reused across runs and processes.
import { execFileSync } from 'node:child_process';
import { pythonWithTorch } from './lm-models';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(__dirname, 'attention', 'transformers.py');
const CACHE = join(ROOT, 'test-artifacts', 'attention-models');

export { pythonWithTorch };

/** Why the models cannot be built here, for `test(..., { skip })`. */
export function torchUnavailable(): string | undefined {
  return pythonWithTorch() ? undefined : 'no python3 with torch and onnx';
}

/** Runs the script (with `extra` arguments) into a cached folder named by the script's hash; returns the folder. */
function built(kind: string, extra: string[], check: string): string {
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 16);
  const dir = join(CACHE, `${kind}-${hash}`);
  if (existsSync(join(dir, check))) return dir;
  const py = pythonWithTorch();
  if (!py) throw new Error('no python3 with torch and onnx to build the attention test models');
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync(py, [SCRIPT, tmp, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process got there first
  }
  return dir;
}

export const CONFIGS = ['l1-causal', 'l2-bidir', 'l6-causal'] as const;

/** Folder holding <config>/model.onnx, ids.json, attn_<l>.npy, lens.npy and fused/model.onnx. */
export function attentionModels(): string {
  return built('models', [], 'fused/model.onnx');
}

/** bench/model.onnx: 12 layers, 12 heads, d=48, 1,024 positions, random weights. */
export function benchModel(): string {
  return join(built('bench', ['bench'], 'bench/model.onnx'), 'bench', 'model.onnx');
}
