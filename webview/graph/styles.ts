// The graph tab's stylesheet, adopted as a constructed sheet: no inline <style>, so the webview CSP needs no change.
import { sheetAdopter } from '../shell/dom';
const css = `
.mi-graph { position: relative; display: flex; flex-direction: column; height: 100%; min-height: 300px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size, 13px); }
.mi-graph .bar { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; padding: 4px 6px; border-bottom: 1px solid var(--vscode-panel-border, #8884); }
.mi-graph .bar button { background: var(--vscode-button-secondaryBackground, transparent); color: var(--vscode-button-secondaryForeground, var(--vscode-foreground)); border: 1px solid var(--vscode-button-border, var(--vscode-editorWidget-border, #8886)); padding: 2px 8px; cursor: pointer; font: inherit; }
.mi-graph .bar button:hover { background: var(--vscode-button-secondaryHoverBackground, var(--vscode-list-hoverBackground, #8882)); }
.mi-graph .bar button:focus-visible, .mi-graph canvas:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
.mi-graph .bar input { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, #8886); padding: 2px 6px; min-width: 220px; font: inherit; }
.mi-graph .bar button[aria-pressed="true"] { background: var(--vscode-button-background, #0e639c); color: var(--vscode-button-foreground, #fff); }
.mi-graph .crumbs { margin-right: 8px; }
.mi-graph .crumbs a { color: var(--vscode-textLink-foreground); cursor: pointer; }
.mi-graph .count { color: var(--vscode-descriptionForeground); min-width: 60px; }
.mi-graph .main { position: relative; flex: 1; display: flex; min-height: 0; }
.mi-graph .stage { position: relative; flex: 1; min-width: 0; overflow: hidden; }
.mi-graph .stage canvas.view { position: absolute; inset: 0; width: 100%; height: 100%; cursor: grab; }
.mi-graph .minimap { position: absolute; right: 8px; bottom: 8px; width: 160px; height: 110px; border: 1px solid var(--vscode-panel-border, #8886); background: var(--vscode-editor-background); opacity: 0.85; cursor: pointer; }
.mi-graph .minimap:hover { opacity: 1; }
.mi-graph .legend { position: absolute; left: 8px; bottom: 8px; padding: 4px 6px; font-size: 11px; background: var(--vscode-editorWidget-background, #8881); border: 1px solid var(--vscode-panel-border, #8884); max-width: 260px; }
.mi-graph .legend .sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; border: 1px solid #8886; }
.mi-graph .legend .ramp { height: 8px; margin: 3px 0; }
.mi-graph .legend .note { color: var(--vscode-descriptionForeground); margin-top: 2px; }
.mi-graph .status { position: absolute; left: 8px; top: 6px; font-size: 11px; color: var(--vscode-descriptionForeground); pointer-events: none; }
.mi-graph .side { width: 300px; overflow: auto; border-left: 1px solid var(--vscode-panel-border, #8884); padding: 6px 10px; font-size: 12px; }
.mi-graph .side[hidden] { display: none; }
.mi-graph .side h3 { margin: 4px 0 2px; font-size: 13px; }
.mi-graph .side h4 { margin: 10px 0 2px; font-size: 12px; color: var(--vscode-descriptionForeground); text-transform: uppercase; }
.mi-graph .side table { border-collapse: collapse; width: 100%; }
.mi-graph .side td { vertical-align: top; padding: 1px 4px 1px 0; word-break: break-all; }
.mi-graph .side td.k { color: var(--vscode-descriptionForeground); white-space: nowrap; word-break: normal; }
.mi-graph .side a { color: var(--vscode-textLink-foreground); cursor: pointer; }
.mi-graph .side .w { color: var(--vscode-descriptionForeground); }
`;

export const adoptGraphStyles = sheetAdopter(css);
