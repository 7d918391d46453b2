import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { ModelError } from '../../model/errors';

/** Text to token ids and back, whatever tokenizes it (a tokenizer.json, the GGUF's own vocabulary through llama.cpp). */
export interface TextTokenizer {
  /** Where it came from, as users read it: "tokenizer.json beside the model", "the GGUF's own vocabulary". */
  readonly source: string;
  /** Ids it can produce: the vocabulary plus added tokens (the model's logits must have at least this many rows). */
  readonly size: number;
  /** The prompt's ids, with the special tokens the model expects (BOS) where the tokenizer adds them. */
  encode(text: string): number[] | Promise<number[]>;
  /** One token as text, for display (a byte piece of a multi-byte character may show as �). */
  piece(id: number): string;
  /** The id of a text that is one token (as written, or with the leading space word-piece vocabularies use). */
  idOf(text: string): number | undefined | Promise<number | undefined>;
  /** A token that stands for "nothing here" in perturbations: pad, unk or mask, whichever the vocabulary has. */
  readonly neutralId: number | undefined;
  /** The fill-mask token of encoders, when there is one. */
  readonly maskId: number | undefined;
}

/** Larger than any real tokenizer.json (Llama 3's is 9 MB, Gemma's 34 MB). */
const MAX_TOKENIZER_BYTES = 64 * 2 ** 20;

function readJson(path: string): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > MAX_TOKENIZER_BYTES) throw new ModelError(path, `is ${size} bytes: too large for a tokenizer file`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelError(path, `is not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
}

/** Parsed tokenizers by path, while the files keep their size and modification time (a prompt run must not re-read them). */
const loaded = new Map<string, { stamp: string; tokenizer: TextTokenizer }>();

function stampOf(path: string): string {
  const stamp = (p: string) => {
    try {
      const st = statSync(p);
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return `${stamp(path)}|${stamp(join(dirname(path), 'tokenizer_config.json'))}`;
}

/** A Hugging Face tokenizer.json (and tokenizer_config.json beside it, when present), read by @huggingface/tokenizers. */
export function loadTokenizerJson(path: string, source = `${basename(path)}`): TextTokenizer {
  const stamp = stampOf(path);
  const hit = loaded.get(path);
  if (hit?.stamp === stamp) return hit.tokenizer.source === source ? hit.tokenizer : { ...hit.tokenizer, source };
  const tokenizer = parseTokenizerJson(path, source);
  loaded.set(path, { stamp, tokenizer });
  if (loaded.size > 8) loaded.delete(loaded.keys().next().value!);
  return tokenizer;
}

function parseTokenizerJson(path: string, source: string): TextTokenizer {
  const json = readJson(path);
  if (typeof json !== 'object' || json === null || !('model' in json)) throw new ModelError(path, 'is not a tokenizer.json (no "model" section)');
  const configPath = join(dirname(path), 'tokenizer_config.json');
  let config: Record<string, unknown> = {};
  try {
    statSync(configPath);
    const c = readJson(configPath);
    if (typeof c === 'object' && c !== null) config = c as Record<string, unknown>;
  } catch {
    // no tokenizer_config.json: the tokenizer.json alone decides
  }
  let tok: HfTokenizer;
  try {
    // The package ships CommonJS beside its ESM build; our bundles are CommonJS.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof HfTokenizer };
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new ModelError(path, `cannot be used as a tokenizer (${(e as Error).message.slice(0, 300)})`);
  }
  const vocab = tok.get_vocab(true);
  let size = 0;
  for (const id of vocab.values()) if (id + 1 > size) size = id + 1;
  const idOf = (...names: string[]) => names.map((n) => tok.token_to_id(n)).find((x) => x !== undefined);
  const special = (key: string): string | undefined => {
    const v = config[key];
    return typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined;
  };
  const pieces = new Map<number, string>();
  const unkId = idOf(...[special('unk_token'), '<unk>', '[UNK]'].filter((x): x is string => !!x));
  const maskId = idOf(...[special('mask_token'), '[MASK]', '<mask>'].filter((x): x is string => !!x));
  return {
    source,
    size,
    encode: (text) => {
      // A WordLevel vocabulary without an unknown-token entry leaves unknown words without an id.
      const e = tok.encode(text);
      const bad = e.ids.findIndex((id: unknown) => typeof id !== 'number' || !Number.isInteger(id));
      if (bad < 0) return e.ids;
      if (unkId !== undefined) return e.ids.map((id: unknown) => (typeof id === 'number' && Number.isInteger(id) ? id : unkId));
      throw new ModelError(path, `has no token for "${String(e.tokens[bad] ?? '').slice(0, 40)}" and no unknown-token entry to stand for it`);
    },
    piece: (id): string => {
      const known = pieces.get(id);
      if (known !== undefined) return known;
      const text = tok.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
      pieces.set(id, text);
      return text;
    },
    idOf: (text) => singleToken(text, (t) => tok.encode(t, { add_special_tokens: false }).ids) ?? tok.token_to_id(text),
    neutralId: idOf(...[special('pad_token'), special('unk_token'), '<pad>', '[PAD]', '<unk>', '[UNK]'].filter((x): x is string => !!x)) ?? maskId,
    maskId,
  };
}

/** tokenizer.json in the model's folder, if there is one. */
export function tokenizerBeside(modelPath: string): string | undefined {
  const p = join(dirname(modelPath), 'tokenizer.json');
  try {
    return statSync(p).isFile() ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * No tokenizer: the prompt is a list of ids ("12 7 99" or "[12, 7, 99]"), said plainly wherever results are shown.
 * Ids are checked against the model's vocabulary by the caller.
 */
export function idsOnlyTokenizer(vocabSize: number): TextTokenizer {
  return {
    source: 'none: the prompt is read as token ids',
    size: vocabSize,
    encode(text) {
      const parts = text.replace(/[[\],]/g, ' ').trim().split(/\s+/).filter(Boolean);
      if (!parts.length) throw new Error('the prompt is empty');
      return parts.map((p) => {
        if (!/^\d+$/.test(p)) throw new Error(`without a tokenizer the prompt must be token ids separated by spaces; "${p.slice(0, 40)}" is not an id (put a tokenizer.json beside the model, or pick one)`);
        return Number(p);
      });
    },
    piece: (id) => `#${id}`,
    idOf: (text) => (/^#?\d+$/.test(text.trim()) ? Number(text.trim().replace('#', '')) : undefined),
    neutralId: 0,
    maskId: undefined,
  };
}

/** The one id `text` tokenizes to, trying it as written and with a leading space; undefined when it is several tokens. */
export function singleToken(text: string, encode: (t: string) => number[]): number | undefined {
  for (const t of [text, ` ${text}`]) {
    const ids = encode(t);
    if (ids.length === 1) return ids[0];
  }
  return undefined;
}
