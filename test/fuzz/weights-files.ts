// Hostile SafeTensors and GGUF files for the fuzz runner: the committed fixtures with their header bytes flipped,
// their length/count/offset fields set to extremes, and cut short at random points. Each case is a file in its own
// folder, named with the format's extension (so the format's reader, not a sniff, gets it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prng } from './prng';
import type { FuzzCase } from './runner';

const FIXTURES = join(__dirname, '../fixtures');
const EXTREMES = [0n, 1n, 0x7fffffffn, 0xffffffffn, 1n << 32n, 1n << 53n, (1n << 63n) - 1n, (1n << 64n) - 1n];

/** Bytes of the fixture and where its header ends (mutations aim there: that is what the readers parse). */
function seed(format: 'safetensors' | 'gguf'): { bytes: Uint8Array; headerEnd: number; ext: string } {
  if (format === 'safetensors') {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'safetensors/tiny.safetensors')));
    return { bytes, headerEnd: 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)), ext: 'safetensors' };
  }
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'gguf/tiny.gguf')));
  return { bytes, headerEnd: Math.min(bytes.length, 6000), ext: 'gguf' };
}

/** `count` cases for one format, reproducible from the Prng. */
export function weightsFileCases(format: 'safetensors' | 'gguf', count: number, rng: Prng, root: string): FuzzCase[] {
  const s = seed(format);
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const b = Uint8Array.from(s.bytes);
    let what: string;
    let bytes: Uint8Array = b;
    // JSON headers break on almost any raw byte change, so half the SafeTensors cases keep the JSON valid.
    switch (format === 'safetensors' && rng.int(2) === 0 ? 0 : rng.int(4)) {
      case 0: {
        // In a JSON header, a digit becomes another digit and a letter another letter, so the JSON stays valid
        // and the numbers (shapes, offsets) and names are what change; GGUF bytes are flipped freely.
        const n = 1 + rng.int(format === 'safetensors' ? 3 : 8);
        for (let k = 0; k < n; k++) {
          const at = rng.int(s.headerEnd);
          const c = b[at];
          if (format === 'gguf') b[at] = rng.int(256);
          else if (c >= 0x30 && c <= 0x39) b[at] = 0x30 + rng.int(10);
          else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) b[at] = 0x61 + rng.int(26);
        }
        what = `${n} header bytes changed`;
        break;
      }
      case 1: {
        // An 8-byte field (lengths, counts, dims, offsets are u64) set to an extreme, at a 4-aligned spot.
        const at = 4 * rng.int(Math.floor((s.headerEnd - 8) / 4));
        const v = rng.pick(EXTREMES);
        new DataView(b.buffer).setBigUint64(at, v, true);
        what = `u64 at ${at} = ${v}`;
        break;
      }
      case 2: {
        const at = 4 * rng.int(Math.floor((s.headerEnd - 4) / 4));
        const v = Number(rng.pick(EXTREMES) & 0xffffffffn);
        new DataView(b.buffer).setUint32(at, v, true);
        what = `u32 at ${at} = ${v}`;
        break;
      }
      default: {
        const cut = rng.int(s.bytes.length);
        bytes = b.subarray(0, cut);
        what = `cut at ${cut}`;
      }
    }
    const dir = join(root, `${format}-${i}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `case.${s.ext}`);
    writeFileSync(file, bytes);
    out.push({ file, what: `${format}: ${what}` });
  }
  return out;
}
