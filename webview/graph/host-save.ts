import type { HostRpc } from '../shell/tab';

interface ExportDetail {
  kind: 'svg' | 'png';
  name: string;
  blob: Blob;
}

/** btoa over chunks: String.fromCharCode(...bytes) would overflow the call stack on a large PNG. */
function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * VS Code webviews refuse downloads, so a graph export goes to the host, which shows a save dialog and writes the file.
 * The graph view fires a cancelable `graph-export` event on its root before falling back to a download; this cancels
 * it and says what happened in the graph's status line.
 */
export function saveExportsThroughHost(root: HTMLElement, status: HTMLElement, rpc: HostRpc): void {
  root.addEventListener('graph-export', (e) => {
    const { kind, name, blob } = (e as CustomEvent<ExportDetail>).detail;
    e.preventDefault();
    const before = status.textContent;
    const say = (text: string) => {
      status.textContent = text;
      setTimeout(() => {
        if (status.textContent === text) status.textContent = before;
      }, 5000);
    };
    void (async () => {
      try {
        const data = kind === 'svg' ? await blob.text() : base64(new Uint8Array(await blob.arrayBuffer()));
        // No timeout: the host waits for the user in a save dialog.
        const saved = await rpc.call('saveExport', { kind, fileName: name, data }, { timeoutMs: 0 });
        say(saved ? `Saved ${saved.path}` : 'Export cancelled');
      } catch (err) {
        say(`Export failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
  });
}
