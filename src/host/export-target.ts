// vscode-free: what the host checks before saving a graph export from the webview (untrusted input), and where it
// suggests saving it. The save dialog itself is in save-export.ts.
import type { SaveExportParams } from '../protocol/webview';
import { MAX_EXPORT_BYTES } from '../protocol/webview';

const EXT = { svg: '.svg', png: '.png' } as const;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes to write, or a one-line problem. The name must be a plain file name with the kind's extension. */
export function exportBytes(p: SaveExportParams): { bytes: Uint8Array } | { problem: string } {
  const name = p.fileName;
  if (!name || name.length > 255 || /[\\/:*?"<>|\u0000-\u001f]/.test(name) || name === '.' || name === '..' || name.startsWith('.')) {
    return { problem: `"${name.slice(0, 80)}" is not a plain file name` };
  }
  if (!name.toLowerCase().endsWith(EXT[p.kind])) return { problem: `${name.slice(0, 80)}: a ${p.kind.toUpperCase()} export must end in ${EXT[p.kind]}` };
  let bytes: Uint8Array;
  if (p.kind === 'svg') {
    bytes = new TextEncoder().encode(p.data);
    if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(p.data.slice(0, 512))) return { problem: `${name}: the data is not an SVG document` };
  } else {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.data) || p.data.length % 4 !== 0) return { problem: `${name}: the PNG data is not base64` };
    bytes = Buffer.from(p.data, 'base64');
    if (bytes.length < 8 || PNG_MAGIC.some((b, i) => bytes[i] !== b)) return { problem: `${name}: the data is not a PNG image` };
  }
  if (bytes.length > MAX_EXPORT_BYTES) return { problem: `${name}: ${bytes.length} bytes is over the ${MAX_EXPORT_BYTES}-byte export limit` };
  return { bytes };
}

/** `<model>-graph.svg|png` next to the model (`/m/net.onnx` → `/m/net-graph.svg`; `model.json` keeps its folder). */
export function defaultExportPath(modelPath: string, kind: SaveExportParams['kind']): string {
  const slash = modelPath.lastIndexOf('/');
  const dir = modelPath.slice(0, slash + 1);
  const base = modelPath.slice(slash + 1).replace(/\.[^.]+$/, '') || 'model';
  return `${dir}${base}-graph${EXT[kind]}`;
}

/**
 * Why the chosen target must not be written, or undefined. Never the model itself (nor a path that only differs in
 * case, for case-insensitive disks), never inside an installed extension's folder.
 */
export function targetProblem(target: string, modelPath: string | undefined, extensionRoots: readonly string[]): string | undefined {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const t = norm(target);
  if (modelPath && t.toLowerCase() === norm(modelPath).toLowerCase()) return 'that is the model file itself; choose another name';
  for (const root of extensionRoots) {
    const r = norm(root);
    if (r && (t === r || t.startsWith(`${r}/`))) return 'that is inside an extension folder; choose another folder';
  }
  if (/\/\.vscode(-server|-insiders|-oss)?\/extensions\//i.test(t)) return 'that is inside an extension folder; choose another folder';
  return undefined;
}
