import type { GgufHeader, GgufValue } from './header';
import { FILE_TYPES } from './types';

/** At most this many raw key/value pairs follow the summary (a hostile file may have millions). */
const MAX_RAW_KEYS = 200;

/** A value as a short string for the Overview: arrays as "[N items]", long strings cut. */
export function valueText(v: GgufValue): string {
  if (typeof v === 'object') return `[${v.count} items]`;
  const s = String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/**
 * The Overview's metadata: the facts people look for first under readable names (architecture, sizes, file type,
 * tokenizer), then the remaining keys as written, each value shortened.
 */
export function ggufMetadata(h: GgufHeader): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set<string>();
  const take = (label: string, key: string, fmt: (v: GgufValue) => string = valueText) => {
    const v = h.kv.get(key);
    if (v === undefined) return;
    out[label] = fmt(v);
    used.add(key);
  };
  const arch = h.kv.get('general.architecture');
  const a = typeof arch === 'string' ? arch : '';
  take('architecture', 'general.architecture');
  take('name', 'general.name');
  if (a) {
    take('context length', `${a}.context_length`);
    take('embedding length', `${a}.embedding_length`);
    take('block count', `${a}.block_count`);
    take('head count', `${a}.attention.head_count`);
    take('head count (KV)', `${a}.attention.head_count_kv`);
  }
  take('file type', 'general.file_type', (v) => (typeof v === 'number' && FILE_TYPES[v] ? `${FILE_TYPES[v]} (${v})` : valueText(v)));
  take('quantization version', 'general.quantization_version');
  take('tokenizer', 'tokenizer.ggml.model');
  take('vocab size', 'tokenizer.ggml.tokens', (v) => (typeof v === 'object' ? String(v.count) : valueText(v)));
  take('bos token id', 'tokenizer.ggml.bos_token_id');
  take('eos token id', 'tokenizer.ggml.eos_token_id');
  out['GGUF version'] = String(h.version);
  let shown = 0;
  for (const [k, v] of h.kv) {
    if (used.has(k)) continue;
    if (shown++ === MAX_RAW_KEYS) {
      out['…'] = `${h.kv.size - used.size - MAX_RAW_KEYS} more keys not shown`;
      break;
    }
    out[k.length > 200 ? `${k.slice(0, 200)}…` : k] = valueText(v);
  }
  return out;
}
