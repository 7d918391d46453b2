import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DType } from '../../../model/dtype';
import { ModelError, oneLine } from '../../../model/errors';
import { checkOnnxDataPaths } from '../../../formats/onnx/external-locations';
import { readerDiagnosis } from './diagnose';
import type { NdArray, NdData } from '../../../formats/arrays/ndarray';
import type { SkippedProvider } from '../../../protocol/run';
import type { IoInfo, LoadOptions, RuntimeSession } from '../../session';
import { defaultOnnxProviders, explainFailure, knownFailure, rememberFailure } from './providers';

// Session-creation failures are reported to the user with their reason; ORT's own stderr log of them is noise.
ort.env.logLevel = 'fatal';

function ioInfo(m: ort.InferenceSession.ValueMetadata): IoInfo {
  if (!m.isTensor) return { name: m.name, dtype: 'unknown', shape: undefined };
  return { name: m.name, dtype: m.type as DType, shape: m.shape.map((d) => (typeof d === 'number' && d < 0 ? null : d)) };
}

export function toOrtTensor(a: NdArray): ort.Tensor {
  const type = a.dtype === 'bool' ? 'bool' : a.dtype;
  return new ort.Tensor(type as ort.Tensor.Type, a.data as ort.Tensor.DataType, a.shape);
}

export function fromOrtTensor(t: ort.Tensor): NdArray {
  return { dtype: t.type as DType, shape: [...t.dims], data: t.data as NdData };
}

class OnnxSession implements RuntimeSession {
  placement: Record<string, number> | undefined;
  readonly inputs: IoInfo[];
  readonly outputs: IoInfo[];
  private firstRun = true;

  constructor(
    readonly session: ort.InferenceSession,
    readonly provider: string,
    readonly skipped: SkippedProvider[],
    readonly loadMs: number,
    private readonly profileDir: string | undefined,
  ) {
    this.inputs = session.inputMetadata.map(ioInfo);
    this.outputs = session.outputMetadata.map(ioInfo);
  }

  async run(feeds: Map<string, NdArray>): Promise<Map<string, NdArray>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, a] of feeds) ortFeeds[name] = toOrtTensor(a);
    const res = await this.session.run(ortFeeds);
    if (this.firstRun) {
      this.firstRun = false;
      if (this.profileDir) await this.readPlacement();
    }
    const out = new Map<string, NdArray>();
    for (const name of this.session.outputNames) {
      const v = res[name];
      if (v instanceof ort.Tensor) out.set(name, fromOrtTensor(v));
    }
    return out;
  }

  /** Profiling was on for the first run only: count kernel events per provider, then drop the file. */
  private async readPlacement(): Promise<void> {
    const dir = this.profileDir!;
    try {
      this.session.endProfiling();
      const files = await readdir(dir);
      const events = JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as { cat?: string; args?: { provider?: string } }[];
      const counts: Record<string, number> = {};
      for (const e of events) {
        const p = e.cat === 'Node' ? e.args?.provider : undefined;
        if (p) counts[p] = (counts[p] ?? 0) + 1;
      }
      this.placement = counts;
    } catch {
      this.placement = undefined; // placement is a nicety; a failed read must not fail the run
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Loads an ONNX model with the first provider in order that initialises; the rest of the list is not tried. */
export async function loadOnnx(path: string, opts: LoadOptions = {}): Promise<RuntimeSession> {
  // ORT reads external data itself when the session is created: its paths are held to the model's folder first.
  await checkOnnxDataPaths(path);
  const order = opts.providers?.length ? opts.providers : defaultOnnxProviders();
  const skipped: SkippedProvider[] = [];
  let lastError = '';
  for (const ep of order) {
    const known = knownFailure(ep);
    if (known) {
      skipped.push({ provider: ep, reason: known });
      continue;
    }
    // GPU providers always record placement: ORT quietly runs nodes an EP cannot take on CPU, and users need to see it.
    const profileDir = opts.placement ?? ep !== 'cpu' ? await mkdtemp(join(tmpdir(), 'mi-ort-prof-')) : undefined;
    const t0 = performance.now();
    try {
      const session = await ort.InferenceSession.create(path, {
        executionProviders: [ep],
        logSeverityLevel: 4,
        ...(profileDir ? { enableProfiling: true, profileFilePrefix: join(profileDir, 'p') } : {}),
      });
      return new OnnxSession(session, ep, skipped, performance.now() - t0, profileDir);
    } catch (e) {
      if (profileDir) await rm(profileDir, { recursive: true, force: true });
      lastError = oneLine(e, 4000);
      const reason = explainFailure(ep, lastError);
      rememberFailure(ep, reason);
      skipped.push({ provider: ep, reason });
      // A model ORT rejects on CPU will not load anywhere: stop rather than hide the real error.
      if (ep === 'cpu') break;
    }
  }
  // `skipped` rides along so callers that probe one provider (gpu-check) can show the explained reason.
  if (lastError) {
    const diagnosis = await readerDiagnosis(path);
    if (diagnosis) throw Object.assign(diagnosis, { skipped });
  }
  throw Object.assign(new ModelError(path, `cannot be loaded by onnxruntime (${oneLine(lastError, 300) || 'no provider in ' + order.join(', ') + ' is available'})`), { skipped });
}
