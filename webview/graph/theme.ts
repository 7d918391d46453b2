import type { OpCategory } from './categories';

/** Colours the canvas needs, read from VS Code's `--vscode-*` variables so light, dark and high contrast all work. */
export interface Theme {
  kind: 'light' | 'dark' | 'hc';
  background: string;
  foreground: string;
  muted: string;
  border: string;
  edge: string;
  focus: string;
  selection: string;
  searchHit: string;
  groupFill: string;
  category: Record<OpCategory, string>;
  hint(n: number): string;
  font: string;
}

const light: Record<OpCategory, string> = {
  conv: '#cfe3fb', matmul: '#d9d2f7', activation: '#fbe3c4', normalization: '#cdeedd', pooling: '#c9ecf2',
  shape: '#e7e7e7', elementwise: '#f1efd0', reduce: '#f5d7e4', control: '#f7cfcf', quantization: '#e2f0c7',
  constant: '#eeeeee', io: '#fff6b8', other: '#e9e2d6',
};
const dark: Record<OpCategory, string> = {
  conv: '#1f4a78', matmul: '#4a3d82', activation: '#7a4a12', normalization: '#1c5c3d', pooling: '#175e6a',
  shape: '#3d3d3d', elementwise: '#55522a', reduce: '#6b2f4a', control: '#7c2a2a', quantization: '#4a5e22',
  constant: '#333333', io: '#6b5f0e', other: '#4d4436',
};

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(el: HTMLElement = document.body): Theme {
  const cls = document.body.classList;
  const kind: Theme['kind'] = cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light')
    ? 'hc'
    : cls.contains('vscode-dark') ? 'dark' : cls.contains('vscode-light') ? 'light' : guessKind(el);
  const s = getComputedStyle(el);
  const isDark = kind === 'dark' || (kind === 'hc' && !cls.contains('vscode-high-contrast-light'));
  const fg = cssVar(s, '--vscode-editor-foreground', isDark ? '#cccccc' : '#1f1f1f');
  const bg = cssVar(s, '--vscode-editor-background', isDark ? '#1e1e1e' : '#ffffff');
  const palette = isDark ? dark : light;
  return {
    kind,
    background: bg,
    foreground: fg,
    muted: cssVar(s, '--vscode-descriptionForeground', isDark ? '#9d9d9d' : '#616161'),
    border: kind === 'hc' ? cssVar(s, '--vscode-contrastBorder', fg) : cssVar(s, '--vscode-editorWidget-border', isDark ? '#555555' : '#c8c8c8'),
    edge: kind === 'hc' ? fg : isDark ? '#8a8a8a' : '#8c8c8c',
    focus: cssVar(s, '--vscode-focusBorder', '#007fd4'),
    selection: cssVar(s, '--vscode-editor-selectionBackground', isDark ? '#264f78' : '#add6ff'),
    searchHit: cssVar(s, '--vscode-editor-findMatchHighlightBackground', isDark ? 'rgba(234,92,0,0.33)' : 'rgba(234,92,0,0.25)').replace(/^$/, '#ea5c00'),
    groupFill: isDark ? 'rgba(255,255,255,0.035)' : 'rgba(0,0,0,0.03)',
    category: kind === 'hc' ? Object.fromEntries(Object.keys(palette).map((k) => [k, bg])) as Record<OpCategory, string> : palette,
    // Golden-angle hues: neighbouring hint numbers get clearly different colours.
    hint: (n) => `hsl(${(n * 137.508) % 360}, ${isDark ? '45%' : '60%'}, ${isDark ? '32%' : '84%'})`,
    font: cssVar(s, '--vscode-editor-font-family', '') ? cssVar(s, '--vscode-font-family', 'sans-serif') : 'system-ui, sans-serif',
  };
}

function guessKind(el: HTMLElement): Theme['kind'] {
  const bg = getComputedStyle(el).getPropertyValue('--vscode-editor-background').trim();
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(bg);
  if (!m) return 'light';
  const lum = (parseInt(m[1], 16) * 299 + parseInt(m[2], 16) * 587 + parseInt(m[3], 16) * 114) / 1000;
  return lum < 128 ? 'dark' : 'light';
}
