import * as vscode from 'vscode';
import type { RunSummary } from '../protocol/run';
import { RpcError } from '../protocol/wire';
import type { HostContext } from './host-context';

// "Quick Inference": one run of the model with synthesized inputs, from the Explorer or the palette, without opening
// the Run tab. The engine does the work; this shows the answer (top-1, provider, latency) and logs the details.

const isModel = (u: vscode.Uri | undefined): u is vscode.Uri => !!u && (/\.onnx$/i.test(u.path) || /(^|\/)model\.json$/i.test(u.path));

function activeModel(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return isModel(uri) ? uri : undefined;
}

/** The details written to the log: everything the Run tab would show, as text. */
export function describeRun(file: string, s: RunSummary): string {
  const lines = [`${file}: ran on ${s.provider} (load ${s.loadMs.toFixed(1)} ms)`];
  for (const k of s.skipped) lines.push(`  skipped ${k.provider}: ${k.reason}`);
  for (const i of s.inputs) lines.push(`  input ${i.name} ${i.dtype} [${i.shape.join(', ')}] ← ${i.source}`);
  for (const o of s.outputs) {
    lines.push(`  output ${o.name} ${o.dtype} [${o.shape.join(', ')}] mean ${o.mean} std ${o.std} min ${o.min} max ${o.max}`);
    if (o.top.length) lines.push(`    top: ${o.top.map((t) => `${t.label ?? '#' + t.index} ${(t.p * 100).toFixed(1)}%`).join(', ')}`);
  }
  lines.push(`  latency p50 ${s.latencyMs.p50.toFixed(3)} ms, p95 ${s.latencyMs.p95.toFixed(3)} ms over ${s.runs} runs`);
  return lines.join('\n');
}

/** One line for the notification: the top prediction when there is one, else the first output's shape. */
export function headline(file: string, s: RunSummary): string {
  const top = s.outputs.find((o) => o.top.length)?.top[0];
  const what = top ? `${top.label ?? `class ${top.index}`} (${(top.p * 100).toFixed(1)}%)` : s.outputs[0] ? `${s.outputs[0].name} [${s.outputs[0].shape.join(', ')}]` : 'no outputs';
  return `${file}: ${what} · ${s.provider} · p50 ${s.latencyMs.p50.toFixed(2)} ms`;
}

export async function quickInference(ctx: HostContext, arg: unknown): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : activeModel();
  if (!uri) {
    uri = (await vscode.window.showOpenDialog({ title: 'Quick Inference', openLabel: 'Run', canSelectMany: false, filters: { Models: ['onnx', 'json'] } }))?.[0];
    if (!uri) return;
  }
  const file = uri.path.split('/').pop() ?? uri.fsPath;
  if (!ctx.trusted) {
    const manage = 'Manage Workspace Trust';
    const pick = await vscode.window.showWarningMessage(`Quick Inference is disabled in Restricted Mode: trust this workspace to run ${file}.`, manage);
    if (pick === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`${file}: is not a file on disk (${uri.scheme}: URIs are not supported)`);
    return;
  }
  const engine = ctx.engine();
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Running ${file}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const { modelId } = await engine.call('open', { path: uri.fsPath }, { signal: abort.signal });
        try {
          let last = 0;
          return await engine.call('run', { modelId, runs: 10 }, {
            signal: abort.signal,
            timeoutMs: 0,
            onProgress: (p) => {
              const f = p.fraction ?? last;
              progress.report({ message: p.message, increment: Math.max(0, (f - last) * 100) });
              last = f;
            },
          });
        } finally {
          await engine.call('close', { modelId }).catch(() => undefined);
        }
      },
    );
    ctx.log.info(describeRun(file, summary));
    const details = 'Show Details';
    const pick = await vscode.window.showInformationMessage(headline(file, summary), details);
    if (pick === details) ctx.log.show(true);
  } catch (e) {
    if (e instanceof RpcError && e.code === 'cancelled') return;
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.error(`quick inference on ${file} failed: ${message}`);
    void vscode.window.showErrorMessage(message.startsWith(`${file}:`) ? message : `${file}: ${message}`);
  }
}
