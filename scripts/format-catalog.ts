// The format descriptors as plain data, for what cannot load the readers: package.json's contributions (editor
// selectors, menu clauses) and the extension host's list of model files. `npm run sync-formats` writes both;
// test/unit/format-catalog.test.ts fails when either is out of date.
import { formats } from '../src/formats/registry';
import type { CatalogEntry } from '../src/formats/catalog';
import { ORT_PROVIDERS } from '../src/runtime/backends/onnxruntime/devices';
import { LLAMA_DEVICES } from '../src/runtime/backends/llama-cpp/devices';

/** Settings whose values are a backend's device names: their package.json enums come from the backend descriptors. */
export const DEVICE_SETTINGS: Record<string, readonly string[]> = {
  'modelInspector.executionProviders': ORT_PROVIDERS,
  'modelInspector.llamaCpp.devices': LLAMA_DEVICES,
};
import { productTagline } from '../src/formats/catalog';

export const VIEW_TYPE = 'modelInspector.modelViewer';

export function catalog(): CatalogEntry[] {
  return formats.map((f) => ({
    id: f.id,
    name: f.name,
    files: [...f.files],
    optionFiles: [...(f.optionFiles ?? [])],
    runs: f.runs.backends.length > 0,
    ...(f.headPattern ? { headPattern: f.headPattern.source } : {}),
  }));
}

/** A VS Code `filenamePattern` as a when-clause test on the resource's file name. */
function leaf(pattern: string): string {
  return pattern.replace(/^\*\*\//, '');
}

function whenClause(entries: CatalogEntry[]): string {
  const globs = entries.flatMap((e) => [...e.files, ...e.optionFiles]).map(leaf);
  const exts = globs.filter((l) => l.startsWith('*.')).map((l) => l.slice(2));
  const names = globs.filter((l) => !l.includes('*'));
  const esc = (s: string) => s.replace(/[.]/g, '\\.');
  const alts = [...(exts.length ? [`\\.(${exts.map(esc).join('|')})$`] : []), ...names.map((n) => `^${esc(n)}$`)];
  return `resourceFilename =~ /${alts.join('|')}/i`;
}

/** package.json's description: the formats read, from the descriptors. */
export function description(entries = catalog()): string {
  return `${productTagline(entries)} without leaving the editor: overview, graph, weights, inference and saliency.`;
}

/** The parts of package.json's `contributes` that follow from the descriptors. */
export function contributions(entries = catalog()): { customEditors: unknown[]; inspectWhen: string; runWhen: string } {
  const selectors = (editor: 'default' | 'option') => entries.flatMap((e) => (editor === 'default' ? e.files : e.optionFiles).map((filenamePattern) => ({ filenamePattern })));
  return {
    customEditors: (['default', 'option'] as const).filter((p) => selectors(p).length).map((priority) => ({
      viewType: VIEW_TYPE,
      displayName: 'Model Inspector',
      selector: selectors(priority),
      priority,
    })),
    inspectWhen: whenClause(entries),
    runWhen: `isWorkspaceTrusted && ${whenClause(entries.filter((e) => e.runs))}`,
  };
}
