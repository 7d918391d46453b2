import type { View } from './renderer';
import { draw } from './renderer';
import type { Scene } from './scene';
import type { Theme } from './theme';
import type { GraphViewModel } from './view-model';

/**
 * Overview in the corner: the whole scene is rendered once per layout into a bitmap, then each frame only blits it
 * and outlines the viewport. Clicking or dragging on it moves the main view there.
 */
export class Minimap {
  private bitmap: HTMLCanvasElement | undefined;
  private scale = 1;
  private ox = 0;
  private oy = 0;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onJump: (wx: number, wy: number) => void) {
    let dragging = false;
    const jump = (e: PointerEvent) => {
      const r = canvas.getBoundingClientRect();
      this.onJump((e.clientX - r.left - this.ox) / this.scale, (e.clientY - r.top - this.oy) / this.scale);
    };
    canvas.addEventListener('pointerdown', (e) => { dragging = true; canvas.setPointerCapture(e.pointerId); jump(e); e.stopPropagation(); });
    canvas.addEventListener('pointermove', (e) => { if (dragging) jump(e); });
    canvas.addEventListener('pointerup', () => { dragging = false; });
  }

  update(vm: GraphViewModel, s: Scene, theme: Theme): void {
    const W = this.canvas.clientWidth || 180, H = this.canvas.clientHeight || 120;
    const dpr = window.devicePixelRatio || 1;
    this.scale = Math.min(W / Math.max(1, s.width), H / Math.max(1, s.height));
    this.ox = (W - s.width * this.scale) / 2;
    this.oy = (H - s.height * this.scale) / 2;
    const bmp = (this.bitmap ??= document.createElement('canvas'));
    bmp.width = W * dpr;
    bmp.height = H * dpr;
    const ctx = bmp.getContext('2d')!;
    ctx.scale(dpr, dpr);
    const view: View = { k: this.scale * dpr, tx: this.ox * dpr, ty: this.oy * dpr };
    draw(ctx, bmp.width, bmp.height, vm, s, view, theme, { selected: -1, hits: new Set(), currentHit: -1 });
  }

  paint(view: View, cw: number, ch: number, theme: Theme): void {
    const W = this.canvas.clientWidth || 180, H = this.canvas.clientHeight || 120;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== W * dpr) this.canvas.width = W * dpr;
    if (this.canvas.height !== H * dpr) this.canvas.height = H * dpr;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.bitmap) ctx.drawImage(this.bitmap, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 1.5;
    const x = (-view.tx / view.k) * this.scale + this.ox;
    const y = (-view.ty / view.k) * this.scale + this.oy;
    ctx.strokeRect(x, y, (cw / view.k) * this.scale, (ch / view.k) * this.scale);
  }
}
