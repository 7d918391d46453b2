/**
 * Makes the graph fill the editor's height. The tab sits inside the shell's header and the vscode-tabs panel
 * (a shadow DOM whose heights we do not control), so a CSS percentage height has nothing to resolve against and
 * the canvas collapsed to its minimum. Instead the root is sized to the viewport below its top edge, minus
 * the bottom paddings of its ancestors, on window resizes and whenever the layout above it changes.
 */
export function fillViewportHeight(root: HTMLElement, minHeight = 300): () => void {
  const fit = () => {
    const rect = root.getBoundingClientRect();
    if (!root.isConnected || (rect.width === 0 && rect.height === 0)) return; // tab hidden: measure when shown
    const below = spaceBelow(root);
    const want = Math.max(minHeight, Math.floor(window.innerHeight - rect.top - below));
    // CSSOM, not a style attribute: the CSP has no 'unsafe-inline' for styles. 1 px slack avoids feedback loops.
    if (Math.abs(rect.height - want) > 1) root.style.height = `${want}px`;
  };
  const ro = new ResizeObserver(() => fit());
  ro.observe(document.body);
  ro.observe(root);
  window.addEventListener('resize', fit);
  fit();
  return () => {
    ro.disconnect();
    window.removeEventListener('resize', fit);
  };
}

/** Bottom padding, border and margin between the element and the viewport's bottom (the tab is the last thing on the page). */
function spaceBelow(el: HTMLElement): number {
  let sum = parseFloat(getComputedStyle(el).marginBottom) || 0;
  for (let e: Element | null = el.parentElement ?? (el.getRootNode() as ShadowRoot).host ?? null; e && e !== document.documentElement; ) {
    const cs = getComputedStyle(e);
    sum += (parseFloat(cs.paddingBottom) || 0) + (parseFloat(cs.borderBottomWidth) || 0) + (parseFloat(cs.marginBottom) || 0);
    e = e.parentElement ?? ((e.getRootNode() as ShadowRoot).host || null);
  }
  return sum;
}
