import { ZipArchive } from '../zip/zip-archive';
import type { NdArray } from './ndarray';
import { parseNpy } from './npy';

// An .npz is a zip of .npy members (np.savez / np.savez_compressed). The one zip reader reads it, so zip64 and the
// cap on inflated size (a deflate bomb is refused, not inflated) hold here too.

/** Members in archive order, each named without its ".npy" suffix (the name np.savez gave the array). */
export async function readNpz(file: string): Promise<{ name: string; array: NdArray }[]> {
  const zip = await ZipArchive.open(file);
  try {
    const out: { name: string; array: NdArray }[] = [];
    for (const entry of zip.entries.values()) {
      if (!entry.name.endsWith('.npy')) continue;
      out.push({ name: entry.name.slice(0, -4), array: parseNpy(`${file}[${entry.name}]`, await zip.bytes(entry)) });
    }
    return out;
  } finally {
    await zip.dispose();
  }
}
