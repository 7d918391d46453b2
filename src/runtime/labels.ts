import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const META_KEYS = ['labels', 'classes', 'class_names', 'classNames', 'names'];

/** Parses a labels value: a JSON array, a JSON object {index: label} (YOLO style), or one label per line / comma. */
export function parseLabels(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  try {
    const j = JSON.parse(t) as unknown;
    if (Array.isArray(j)) return j.map(String);
    if (j && typeof j === 'object') {
      const out: string[] = [];
      for (const [k, v] of Object.entries(j)) if (/^\d+$/.test(k)) out[Number(k)] = String(v);
      if (out.length) return out;
    }
  } catch {
    // not JSON: plain text below
  }
  if (t.includes('\n')) return t.split(/\r?\n/).map((s) => s.trim());
  // Python dict repr written by exporters, e.g. "{0: 'cat', 1: 'dog'}".
  const dict = [...t.matchAll(/(\d+)\s*:\s*['"]([^'"]*)['"]/g)];
  if (dict.length) {
    const out: string[] = [];
    for (const m of dict) out[Number(m[1])] = m[2];
    return out;
  }
  return t.split(',').map((s) => s.trim());
}

/** Larger "labels" files are not class lists; they are not read. */
const MAX_LABELS_BYTES = 4 << 20;

/**
 * Class names for top-k: `labels.txt` next to the model, else a labels-like metadata entry. Read synchronously: a
 * small file beside a model the process has just read, where the promise API's open/stat/read/close hops cost more
 * wall time (0.2 ms a run) than the read.
 */
export function findLabels(modelPath: string, metadata: Record<string, string> = {}): string[] | undefined {
  try {
    const file = join(dirname(modelPath), 'labels.txt');
    if (statSync(file).size <= MAX_LABELS_BYTES) {
      const fromFile = parseLabels(readFileSync(file, 'utf8'));
      if (fromFile) return fromFile;
    }
  } catch {
    // no labels file: fall through to metadata
  }
  for (const k of META_KEYS) if (metadata[k]) return parseLabels(metadata[k]);
  return undefined;
}
