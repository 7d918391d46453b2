// The process under test: takes case files over IPC and sends each through the same path as a user
// (open → summarize → weight stats → dispose; for .onnx also the runtime's external-data gate). The parent watches
// it for crashes, hangs and memory.
import { stat } from 'node:fs/promises';
import { checkOnnxDataPaths } from '../../src/formats/onnx/external-locations';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import type { Model } from '../../src/model/graph';
import { userPathExtras } from './user-path';

interface CaseMsg {
  id: number;
  file: string;
}

process.on('message', (m: CaseMsg) => {
  void runCase(m);
});

async function runCase({ id, file }: CaseMsg): Promise<void> {
  let model: Model | undefined;
  let outcome: { ok: true } | { ok: false; message: string; kind: string };
  try {
    model = await openModel(file);
    summarize(model, (await stat(file)).size);
    for (const extra of userPathExtras) await extra(model);
    outcome = { ok: true };
  } catch (e) {
    outcome = { ok: false, message: e instanceof Error ? e.message : String(e), kind: e instanceof Error ? e.name : typeof e };
  } finally {
    await model?.dispose?.().catch(() => undefined);
  }
  // The check run/explain make before handing an .onnx file to onnxruntime: it must refuse what the reader refuses.
  let gate: string | null | undefined;
  if (file.endsWith('.onnx')) gate = await checkOnnxDataPaths(file).then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e)));
  process.send?.({ id, ...outcome, gate, rss: process.memoryUsage().rss });
}

process.send?.({ ready: true });
