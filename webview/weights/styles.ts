// The Weights tab's stylesheet, adopted as a constructed sheet (no inline <style>: the webview CSP stays strict).
import { sheetAdopter } from '../shell/dom';
const css = `
.mi-weights { display: flex; flex-direction: column; gap: 8px; padding: 8px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size, 13px); }
.mi-weights .bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.mi-weights .bar label { display: inline-flex; gap: 4px; align-items: center; }
.mi-weights select, .mi-weights input[type=search] { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, #8886); padding: 2px 4px; font: inherit; }
.mi-weights button { background: var(--vscode-button-secondaryBackground, transparent); color: var(--vscode-button-secondaryForeground, var(--vscode-foreground)); border: 1px solid var(--vscode-button-border, var(--vscode-editorWidget-border, #8886)); padding: 2px 8px; cursor: pointer; font: inherit; }
.mi-weights .muted { color: var(--vscode-descriptionForeground); }
.mi-weights h3 { margin: 6px 0 2px; font-size: 13px; }
.mi-weights .chart-box { display: flex; gap: 12px; align-items: flex-start; }
.mi-weights canvas.hist { width: 100%; max-width: 720px; height: 220px; border: 1px solid var(--vscode-editorWidget-border, #8884); }
.mi-weights .facts { font-size: 12px; min-width: 220px; }
.mi-weights .facts td { padding: 0 6px 0 0; }
.mi-weights .facts td.k { color: var(--vscode-descriptionForeground); }
.mi-weights .scroll { max-height: 320px; overflow: auto; border: 1px solid var(--vscode-editorWidget-border, #8884); }
.mi-weights table.grid { border-collapse: collapse; width: 100%; font-size: 12px; }
.mi-weights table.grid th { position: sticky; top: 0; background: var(--vscode-editor-background); text-align: left; cursor: pointer; padding: 2px 6px; border-bottom: 1px solid var(--vscode-editorWidget-border, #8886); white-space: nowrap; }
.mi-weights table.grid th[aria-sort=ascending]::after { content: ' ▲'; }
.mi-weights table.grid th[aria-sort=descending]::after { content: ' ▼'; }
.mi-weights table.grid td { padding: 1px 6px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.mi-weights table.grid td.num { text-align: right; }
.mi-weights table.grid tbody { user-select: none; }
.mi-weights table.grid tr:hover td { background: var(--vscode-list-hoverBackground); }
.mi-weights table.grid tr.selected td { background: var(--vscode-list-activeSelectionBackground, #0060c040); color: var(--vscode-list-activeSelectionForeground, inherit); }
.mi-weights .sev-error { color: var(--vscode-errorForeground, #f14c4c); font-weight: 600; }
.mi-weights .sev-warning { color: var(--vscode-editorWarning-foreground, #cca700); font-weight: 600; }
.mi-weights .sev-info { color: var(--vscode-descriptionForeground); }
.mi-weights a { color: var(--vscode-textLink-foreground); cursor: pointer; }
`;

export const adoptWeightsStyles = sheetAdopter(css);
