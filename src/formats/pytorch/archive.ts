import { ModelError } from '../../model/errors';
import type { ZipArchive, ZipEntry } from '../zip/zip-archive';

/** data.pkl holds structure only (a few MB for the biggest models); past this it is not a model's pickle. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

/** The layout of a torch.save / torch.jit.save zip: every record sits under one top-level folder. */
export interface TorchArchive {
  /** The top-level folder, with its trailing '/'. */
  readonly prefix: string;
  readonly dataPkl: ZipEntry;
  readonly constantsPkl?: ZipEntry;
  readonly torchScript: boolean;
  readonly version?: string;
  readonly byteOrder: 'little' | 'big';
}

export async function readLayout(zip: ZipArchive): Promise<TorchArchive> {
  const fail = (problem: string) => new ModelError(zip.file, problem);
  let dataPkl: ZipEntry | undefined;
  for (const e of zip.entries.values()) {
    if (/^[^/]+\/data\.pkl$/.test(e.name)) {
      dataPkl = e;
      break;
    }
  }
  if (!dataPkl) throw fail('is a zip archive without a <folder>/data.pkl entry, so not a file written by torch.save or torch.jit.save');
  const prefix = dataPkl.name.slice(0, dataPkl.name.length - 'data.pkl'.length);
  const constantsPkl = zip.entries.get(`${prefix}constants.pkl`);
  const torchScript = constantsPkl !== undefined || [...zip.entries.keys()].some((n) => n.startsWith(`${prefix}code/`));
  const small = async (name: string) => {
    const e = zip.entries.get(name);
    if (!e || e.size > 64) return undefined;
    return new TextDecoder().decode(await zip.bytes(e)).trim();
  };
  const version = (await small(`${prefix}version`)) ?? (await small(`${prefix}.data/version`));
  const order = await small(`${prefix}byteorder`);
  if (order !== undefined && order !== 'little' && order !== 'big') throw fail(`${prefix}byteorder says "${order.slice(0, 20)}", not little or big`);
  return { prefix, dataPkl, constantsPkl, torchScript, version, byteOrder: order ?? 'little' };
}

/** A pickle entry's bytes, refusing absurd sizes before reading. */
export async function pickleBytes(zip: ZipArchive, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.size > MAX_PICKLE_BYTES) throw new ModelError(zip.file, `${entry.name} is ${entry.size} bytes; a pickle over ${MAX_PICKLE_BYTES} bytes is not read`);
  return zip.bytes(entry);
}
