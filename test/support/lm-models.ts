// Builds the language-model test fixtures with the Python scripts in test/support/lm/ (Debian's python3-torch and
// python3-onnx) once, and caches them under test-artifacts/lm-models/<name>/<hash>/, where <hash> is taken from
// the script's text: a changed script rebuilds, an unchanged one is reused across test runs and processes.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SCRIPTS = join(__dirname, 'lm');
const CACHE = join(ROOT, 'test-artifacts', 'lm-models');

let python: string | null | undefined;
/** A python3 that imports torch and onnx (Debian's lives at /usr/bin/python3, which a pyenv shim may hide), or undefined. */
export function pythonWithTorch(): string | undefined {
  if (python === undefined) {
    python = ['/usr/bin/python3', 'python3'].find(
      (p) => spawnSync(p, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 60_000 }).status === 0) ?? null;
  }
  return python ?? undefined;
}

/** Why the models cannot be built here, for `test(..., { skip })`; undefined when they can. */
export function lmModelsUnavailable(): string | undefined {
  return pythonWithTorch() ? undefined : 'no python3 with torch and onnx';
}

const pending = new Map<string, Promise<string>>();

/** Runs `script OUT_DIR` unless a folder built by the same script text exists; resolves to that folder. */
function build(name: string, script: string, files: string[]): Promise<string> {
  const text = readFileSync(join(SCRIPTS, script));
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(CACHE, name, hash);
  const complete = () => files.every((f) => existsSync(join(dir, f)));
  let p = pending.get(dir);
  if (p) return p;
  p = new Promise<string>((done, fail) => {
    if (complete()) return done(dir);
    const py = pythonWithTorch();
    if (!py) return fail(new Error(`${script}: no python3 with torch and onnx to build the ${name} model`));
    // build beside the final folder, then rename: a parallel test process never sees half a model
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFile(py, [join(SCRIPTS, script), tmp], { cwd: SCRIPTS, maxBuffer: 16 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) {
        rmSync(tmp, { recursive: true, force: true });
        return fail(new Error(`${script}: build failed: ${err.message}\n${stdout}\n${stderr}`));
      }
      try {
        renameSync(tmp, dir);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another process got there first
      }
      if (!complete()) return fail(new Error(`${script}: build finished without ${files.filter((f) => !existsSync(join(dir, f))).join(', ')}`));
      // older builds of the same model are stale now
      for (const old of readdirSync(join(CACHE, name))) {
        if (old !== hash && !old.includes('.tmp-')) rmSync(join(CACHE, name, old), { recursive: true, force: true });
      }
      done(dir);
    });
  });
  pending.set(dir, p);
  return p;
}

/** One held-back key-value recall prompt: `ids[determiningPosition]` alone decides `answer`. */
export interface KvRecallPrompt {
  prompt: string;
  ids: number[];
  answer: string;
  answer_id: number;
  /** Index in `ids` of the `key=value` binding token of the queried key. */
  determining_position: number;
  determining_id: number;
  /** Index of the bare queried key (the last token): the only other token the answer needs. */
  query_position: number;
}

export interface KvRecallModel {
  dir: string;
  /** Trained: input_ids int64 [batch, seq] -> logits [batch, seq, vocab]. */
  model: string;
  /** Same architecture, re-initialised weights: answers at about chance. */
  random: string;
  tokenizer: string;
  tokenizerConfig: string;
  heldout: { accuracy: number; random_accuracy: number; random_accuracy_among_values: number; chance: number; steps: number; prompts: KvRecallPrompt[] };
}

/** The key-value recall LM (kv_recall.py): `k3=7 ; k1=2 ; k5=4 ; k1` -> `2`. */
export async function kvRecallModel(): Promise<KvRecallModel> {
  const files = ['model.onnx', 'random.onnx', 'tokenizer.json', 'tokenizer_config.json', 'heldout.json'];
  const dir = await build('kv-recall', 'kv_recall.py', files);
  return {
    dir,
    model: join(dir, 'model.onnx'),
    random: join(dir, 'random.onnx'),
    tokenizer: join(dir, 'tokenizer.json'),
    tokenizerConfig: join(dir, 'tokenizer_config.json'),
    heldout: JSON.parse(readFileSync(join(dir, 'heldout.json'), 'utf8')),
  };
}

export interface TinyLlamaModel {
  dir: string;
  /** input_ids int64 [batch, seq] -> logits [batch, seq, vocab]. */
  onnx: string;
  /** Optimum's shape: input_ids, attention_mask, position_ids, past_key_values.{i}.key/value -> logits, present.*. */
  optimum: string;
  /** The same weights as F32 GGUF (general.architecture = llama). */
  gguf: string;
  /** The same file with general.architecture = llama-unknown. */
  unknownArchGguf: string;
  tokenizer: string;
  tokenizerConfig: string;
  /** 20 prompts for cross-runtime comparisons. */
  prompts: string[];
}

/** The tiny random llama (llama_tiny.py), as ONNX, Optimum-shaped ONNX and GGUF with a byte-level BPE tokenizer. */
export async function tinyLlamaModel(): Promise<TinyLlamaModel> {
  const files = ['model.onnx', 'model-optimum.onnx', 'model.gguf', 'unknown-arch.gguf', 'tokenizer.json', 'tokenizer_config.json', 'prompts.json'];
  const dir = await build('tiny-llama', 'llama_tiny.py', files);
  return {
    dir,
    onnx: join(dir, 'model.onnx'),
    optimum: join(dir, 'model-optimum.onnx'),
    gguf: join(dir, 'model.gguf'),
    unknownArchGguf: join(dir, 'unknown-arch.gguf'),
    tokenizer: join(dir, 'tokenizer.json'),
    tokenizerConfig: join(dir, 'tokenizer_config.json'),
    prompts: JSON.parse(readFileSync(join(dir, 'prompts.json'), 'utf8')),
  };
}
