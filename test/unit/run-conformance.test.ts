// Runs every ONNX backend-test model Debian ships (libonnx-testdata) through our runtime layer (runModel: input files
// read by our TensorProto reader, sessions from our provider selection) and compares with the expected outputs at the
// ONNX backend-test tolerance. MI_CONFORMANCE_EP picks the provider (default cpu; e.g. webgpu on a GPU machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runModel } from '../../src/runtime/run-model';
import { parseTensorPb } from '../../src/formats/arrays/tensor-pb';
import type { NdArray } from '../../src/formats/arrays/ndarray';
import { numberAt } from '../../src/formats/arrays/ndarray';

const ROOT = '/usr/share/libonnx-testdata/data';
const RTOL = 1e-3;
const ATOL = 1e-7;
const KNOWN_ORT_DIFFERENCES = /(bernoulli|training_dropout|_to_STRING|test_dft|test_stft|align_corners|maxunpool_export_with_output_shape)/;
const EP = process.env.MI_CONFORMANCE_EP ?? 'cpu';

function modelDirs(): string[] {
  const out: string[] = [];
  for (const suite of readdirSync(ROOT)) {
    const base = join(ROOT, suite);
    for (const name of readdirSync(base)) {
      const dir = join(base, name);
      if (existsSync(join(dir, 'model.onnx')) && existsSync(join(dir, 'test_data_set_0'))) out.push(dir);
    }
  }
  return out.sort();
}

const numbered = (dir: string, prefix: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length)))
    .map((f) => join(dir, f));

/** The first element that differs beyond tolerance, or undefined when `got` matches `want`. */
export function mismatch(got: NdArray, want: NdArray): string | undefined {
  if (got.shape.join(',') !== want.shape.join(',')) return `shape [${got.shape}] != expected [${want.shape}]`;
  if (Array.isArray(want.data) || Array.isArray(got.data)) {
    const g = got.data as string[];
    const w = want.data as string[];
    const i = w.findIndex((v, k) => v !== g[k]);
    return i < 0 ? undefined : `[${i}] "${g[i]}" != "${w[i]}"`;
  }
  for (let i = 0; i < want.data.length; i++) {
    const g = numberAt(got, i);
    const w = numberAt(want, i);
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue; // equal infinities
    if (!(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w))) return `[${i}] ${g} != expected ${w}`;
  }
  return undefined;
}

type Outcome = { kind: 'pass' } | { kind: 'fail' | 'unsupported' | 'non-tensor'; reason: string };

async function check(dir: string): Promise<Outcome> {
  const data = join(dir, 'test_data_set_0');
  const inputs = numbered(data, 'input_');
  const expected = numbered(data, 'output_');
  let result;
  try {
    result = await runModel(join(dir, 'model.onnx'), { providers: [EP], runs: 1, warmup: 0, topK: 0, inputs: inputs.map((file) => ({ file })) });
  } catch (e) {
    const msg = (e as Error).message;
    // Load failures are ORT not implementing an op/type; sequence/optional I/O are not tensors and out of scope here.
    if (/cannot be loaded by onnxruntime/.test(msg)) return { kind: 'unsupported', reason: msg };
    if (/sequence, map or optional|not a TensorProto|Non tensor type/i.test(msg)) return { kind: 'non-tensor', reason: msg };
    return { kind: 'fail', reason: msg };
  }
  if (result.session.inputs.some((i) => i.dtype === 'unknown') || result.session.outputs.some((o) => o.dtype === 'unknown')) {
    return { kind: 'non-tensor', reason: 'sequence/optional/map I/O' };
  }
  const names = result.session.outputs.map((o) => o.name);
  for (let k = 0; k < expected.length; k++) {
    const want = parseTensorPb(expected[k], readFileSync(expected[k])).array;
    const got = result.outputs.get(names[k]);
    if (!got) return { kind: 'fail', reason: `output ${names[k] ?? k} missing` };
    const problem = mismatch(got, want);
    if (problem) return { kind: 'fail', reason: `${names[k]}: ${problem}` };
  }
  return { kind: 'pass' };
}

test('libonnx-testdata conformance through the runtime layer', { skip: !existsSync(ROOT) && 'libonnx-testdata not installed', timeout: 600_000 }, async (t) => {
  const dirs = modelDirs();
  const counts = { pass: 0, fail: 0, unsupported: 0, 'non-tensor': 0 };
  const fails: string[] = [];
  const unsupported: string[] = [];
  const t0 = performance.now();
  for (const dir of dirs) {
    const o = await check(dir);
    counts[o.kind]++;
    const name = dir.slice(ROOT.length + 1);
    if (o.kind === 'fail') fails.push(`${name}: ${o.reason.slice(0, 200)}`);
    if (o.kind === 'unsupported') unsupported.push(`${name}: ${o.reason.slice(0, 160)}`);
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const line = `conformance (${EP}): ${dirs.length} models, pass ${counts.pass}, fail ${counts.fail}, unsupported-by-ORT ${counts.unsupported}, non-tensor I/O ${counts['non-tensor']} in ${seconds} s`;
  console.log(line);
  t.diagnostic(line);
  for (const f of fails) console.log(`FAIL ${f}`);
  if (process.env.MI_CONFORMANCE_VERBOSE) for (const u of unsupported) console.log(`UNSUPPORTED ${u}`);
  assert.ok(dirs.length > 500, `expected the full libonnx-testdata set, found ${dirs.length} models`);
  // ORT itself differs from the ONNX reference outputs on these (random ops, float->string formatting, DFT/STFT noise
  // near 0 against atol 1e-7, align_corners resize, MaxUnpool with output_shape). Any other fail is ours.
  const unexplained = fails.filter((f) => !KNOWN_ORT_DIFFERENCES.test(f.split(':')[0]));
  assert.deepEqual(unexplained, [], line);
  assert.ok(counts.pass > 900, line);
});
