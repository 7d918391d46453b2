import type SharpModule from 'sharp';
import type { DType } from '../model/dtype';
import { ModelError } from '../model/errors';
import type { NdArray } from '../formats/arrays/ndarray';
import { allocData } from '../formats/arrays/ndarray';
import { floatToHalf } from '../model/float-bits';
import type { ImagePreset } from '../protocol/run';
import type { IoInfo } from './session';
import { concreteShape } from './synthesize';

// Image files as model inputs: decoded and resized with sharp to the input's H×W, laid out NCHW or NHWC as the input's
// shape says, scaled by a preset (0..1, -1..1, ImageNet mean/std, raw 0..255), RGB or BGR.

const IMAGE_EXT = /\.(png|jpe?g|webp|gif|tiff?|avif|bmp)$/i;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

let sharpModule: typeof SharpModule | undefined;
/**
 * sharp (native libvips) is loaded on first use, not at start-up: if a build lacks it for this platform, only image
 * inputs fail, with a message, while the engine and the command line keep working.
 */
function loadSharp(path: string): typeof SharpModule {
  if (!sharpModule) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above); CJS bundle
      sharpModule = require('sharp') as typeof SharpModule;
    } catch (e) {
      throw new ModelError(path, `cannot be decoded: image support (the sharp package) is not available in this build (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return sharpModule;
}

export function isImagePath(path: string): boolean {
  return IMAGE_EXT.test(path);
}

/** `cat.jpg#imagenet,bgr` → the path and its preset (options after '#', any order). */
export function splitImageOptions(file: string): { path: string; preset: ImagePreset } {
  const at = file.lastIndexOf('#');
  const path = at > 0 && isImagePath(file.slice(0, at)) ? file.slice(0, at) : file;
  const preset: ImagePreset = {};
  if (path !== file) {
    for (const o of file.slice(at + 1).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      if (o === '0-1' || o === '-1-1' || o === 'imagenet' || o === 'raw') preset.normalize = o;
      else if (o === 'rgb' || o === 'bgr') preset.order = o;
      else if (o === 'nchw' || o === 'nhwc') preset.layout = o;
      else throw new ModelError(path, `unknown image option "${o}" (use 0-1, -1-1, imagenet, raw, rgb, bgr, nchw, nhwc)`);
    }
  }
  return { path, preset };
}

/** Which axes hold channels, height and width: from the preset, else from where a 1/3/4-sized dim sits. */
function layoutOf(shape: number[], preset: ImagePreset): { c: number; h: number; w: number } {
  const r = shape.length;
  if (r !== 3 && r !== 4) throw new Error(`an image needs a rank-3 or rank-4 input, this one has rank ${r}`);
  const off = r - 3;
  const nchw = preset.layout ? preset.layout === 'nchw' : [1, 3, 4].includes(shape[off]) || ![1, 3, 4].includes(shape[off + 2]);
  return nchw ? { c: off, h: off + 1, w: off + 2 } : { c: off + 2, h: off, w: off + 1 };
}

export async function loadImageInput(file: string, info: IoInfo, userDims: Record<string, number>, usedDims: Record<string, number>): Promise<{ array: NdArray; source: string }> {
  const { path, preset } = splitImageOptions(file);
  const shape = concreteShape(info, userDims, usedDims);
  let axes;
  try {
    axes = layoutOf(shape, preset);
  } catch (e) {
    throw new ModelError(path, `cannot feed input "${info.name}": ${(e as Error).message}`);
  }
  const [C, H, W] = [shape[axes.c], shape[axes.h], shape[axes.w]];
  if (![1, 3, 4].includes(C)) throw new ModelError(path, `cannot feed input "${info.name}": ${C} channels (images give 1, 3 or 4)`);
  const sharp = loadSharp(path);
  let pixels: Buffer;
  try {
    let img = sharp(path).resize(W, H, { fit: 'fill' });
    img = C === 1 ? img.greyscale() : C === 3 ? img.removeAlpha() : img.ensureAlpha();
    pixels = await img.raw().toBuffer();
  } catch (e) {
    throw new ModelError(path, `cannot be read as an image (${(e as Error).message.split('\n')[0]})`);
  }
  const norm = preset.normalize ?? (info.dtype === 'uint8' || info.dtype === 'int8' ? 'raw' : '0-1');
  const bgr = preset.order === 'bgr';
  const dtype: DType = info.dtype === 'unknown' ? 'float32' : info.dtype;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocData(dtype, n);
  if (!data || Array.isArray(data) || data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new ModelError(path, `cannot feed input "${info.name}" of type ${dtype} from an image`);
  }
  const scale = (v: number, ch: number): number => {
    switch (norm) {
      case 'raw': return v;
      case '0-1': return v / 255;
      case '-1-1': return v / 127.5 - 1;
      case 'imagenet': return ch < 3 ? (v / 255 - IMAGENET.mean[ch]) / IMAGENET.std[ch] : v / 255;
    }
  };
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const batch = shape.length === 4 ? shape[0] : 1;
  const batchStride = shape.length === 4 ? strides[0] : 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let ch = 0; ch < C; ch++) {
          const src = bgr && C >= 3 && ch < 3 ? 2 - ch : ch;
          const v = scale(pixels[(y * W + x) * C + src], src);
          const at = b * batchStride + ch * strides[axes.c] + y * strides[axes.h] + x * strides[axes.w];
          data[at] = dtype === 'float16' ? floatToHalf(v) : v;
        }
      }
    }
  }
  const layout = axes.c < axes.h ? 'NCHW' : 'NHWC';
  return { array: { dtype, shape, data }, source: `image:${path} (${W}×${H} ${layout} ${C === 1 ? 'grey' : bgr ? 'BGR' : C === 4 ? 'RGBA' : 'RGB'} ${norm})` };
}
