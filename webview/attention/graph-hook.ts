import type { AttentionTarget } from './tab';

/**
 * The Graph's way into the Attention tab: a button under a Softmax node's details or a group's summary. The tab
 * opens the layer whose probabilities that Softmax writes, or the first layer inside that group.
 */
export function appendAttentionLink(host: HTMLElement, target: AttentionTarget, navigate: (arg: AttentionTarget) => void): void {
  const b = document.createElement('button');
  b.textContent = 'Attention maps';
  b.className = 'mi-attn-link';
  b.title = 'Open this layer\'s attention maps (Attention tab)';
  b.addEventListener('click', () => navigate(target));
  host.append(b);
}

/** Whether a graph group holds a Softmax (an attention layer may be inside), walking its child groups. */
export function groupHasSoftmax(vm: { childScopes: number[][]; childNodes: number[][]; payload: { nodes: { kind: string; op?: number }[]; ops: string[] } }, scope: number): boolean {
  const stack = [scope];
  while (stack.length) {
    const s = stack.pop()!;
    stack.push(...vm.childScopes[s]);
    for (const i of vm.childNodes[s]) {
      const n = vm.payload.nodes[i];
      if (n.kind === 'op' && n.op !== undefined && vm.payload.ops[n.op] === 'Softmax') return true;
    }
  }
  return false;
}
