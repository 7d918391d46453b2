// The Attention tab's stylesheet, adopted as a constructed sheet (no inline <style>: the webview CSP stays strict).
import { sheetAdopter } from '../shell/dom';

const css = `
.mi-attn { display: flex; flex-direction: column; gap: 8px; padding: 8px; }
.mi-attn textarea { width: 100%; max-width: 720px; min-height: 3em; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, #8886); font: inherit; }
.mi-attn input, .mi-attn select { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, #8886); padding: 2px 4px; font: inherit; }
.mi-attn .mi-attn-row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.mi-attn .mi-attn-main { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
.mi-attn .mi-attn-grid { display: grid; gap: 2px; align-items: center; max-height: 520px; overflow: auto; padding-right: 4px; }
.mi-attn .mi-attn-layer { font-size: 11px; white-space: nowrap; cursor: pointer; color: var(--vscode-textLink-foreground); padding-right: 4px; }
.mi-attn .mi-attn-layer.current { font-weight: 700; }
.mi-attn canvas.mi-attn-thumb { width: 36px; height: 36px; image-rendering: pixelated; border: 2px solid transparent; cursor: pointer; }
.mi-attn canvas.mi-attn-thumb:hover { border-color: var(--vscode-focusBorder, #0090f1); }
.mi-attn canvas.mi-attn-thumb.selected { border-color: var(--vscode-focusBorder, #0090f1); outline: 1px solid var(--vscode-foreground); }
.mi-attn .mi-attn-head { display: flex; flex-direction: column; gap: 4px; }
.mi-attn canvas.mi-attn-map { border: 1px solid var(--vscode-editorWidget-border, #8884); }
.mi-attn .mi-attn-hover { font-size: 12px; font-variant-numeric: tabular-nums; min-height: 1.4em; }
.mi-attn .mi-attn-role { max-width: 560px; }
.mi-attn .mi-attn-scroll { overflow: auto; max-width: 100%; max-height: 420px; border: 1px solid var(--vscode-editorWidget-border, #8884); }
.mi-attn table.mi-lens { border-collapse: collapse; font-size: 11px; font-variant-numeric: tabular-nums; }
.mi-attn table.mi-lens th { position: sticky; top: 0; background: var(--vscode-editor-background); padding: 1px 4px; white-space: nowrap; font-weight: 600; }
.mi-attn table.mi-lens td { padding: 1px 4px; white-space: nowrap; border: 1px solid var(--vscode-editorWidget-border, #8883); }
.mi-attn table.mi-lens td.tgt { font-weight: 600; }
.mi-attn table.mi-lens td.settled { outline: 2px solid var(--vscode-focusBorder, #0090f1); }
`;

export const adoptAttentionStyles = sheetAdopter(css);
