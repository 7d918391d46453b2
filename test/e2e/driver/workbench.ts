// Page object for code-server's workbench: the few gestures the scenarios need (Quick Open, command palette,
// Explorer context menu, theme switch) and the custom editor's webview. Selectors are VS Code 1.100's DOM.
import type { FrameLocator, Page } from 'playwright-core';
import { baseUrl } from './paths';

export type Theme = 'Default Light Modern' | 'Default Dark Modern';

export class Workbench {
  constructor(readonly page: Page) {}

  /** Loads the workbench on `folder` (optionally with a URL payload) and waits for the Explorer to list `expectFile`
   *  and for our extension's contributions to be registered (its activity-bar entry appears). */
  async open(folder: string, opts: { expectFile?: string; payload?: [string, string][]; waitForExtension?: boolean } = {}): Promise<void> {
    let url = `${baseUrl()}/?folder=${encodeURIComponent(folder)}`;
    if (opts.payload) url += `&payload=${encodeURIComponent(JSON.stringify(opts.payload))}`;
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    if (opts.expectFile) await this.explorerRow(opts.expectFile).waitFor({ timeout: 60_000 });
    // Remote extensions register after the Explorer renders; menus opened before that lack our entries.
    if (opts.waitForExtension !== false) {
      await this.page.locator('.activitybar .action-item a[aria-label^="Model Inspector"]').waitFor({ timeout: 60_000 });
    }
  }

  explorerRow(name: string) {
    return this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  }

  private get quickInput() {
    return this.page.locator('.quick-input-widget input');
  }

  /** Ctrl+P, type the name, Enter on the first match. */
  async quickOpen(name: string): Promise<void> {
    await this.quickOpenOnce(name);
    // Right after a window loads, the remote extension host may not have registered the custom editor yet, and VS Code
    // then opens the model as text (seen once in CI, scenario k). That is VS Code's start-up race, not ours: close the
    // text editor and open the file again, once, and say so.
    const webview = this.page.locator('iframe.webview:not([src*="purpose=webviewView"])');
    const text = this.page.locator('.editor-group-container .monaco-editor .view-lines');
    const deadline = Date.now() + 60_000; // a hang guard: the loop ends when either editor shows
    while (Date.now() < deadline && !(await webview.count()) && !(await text.first().isVisible())) await this.page.waitForTimeout(200);
    if (!(await webview.count()) && (await text.first().isVisible())) {
      console.log(`  note: ${name} opened as text before the custom editor was registered; reopening it`);
      await this.page.keyboard.press('Control+w');
      await this.page.waitForTimeout(2_000);
      await this.quickOpenOnce(name);
    }
  }

  private async quickOpenOnce(name: string): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+p');
    await this.quickInput.waitFor();
    await this.quickInput.fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** Ctrl+Shift+P and run the command whose palette label starts with `label`. */
  async runCommand(label: string): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+Shift+p');
    await this.quickInput.waitFor();
    await this.quickInput.fill(`>${label}`);
    await this.pickRow(label);
  }

  /** Right-clicks an Explorer entry and picks `item` from the context menu. */
  async explorerContextMenu(name: string, item: string): Promise<void> {
    const entry = this.page.locator('.monaco-menu .action-item', { hasText: item }).first();
    for (let attempt = 1; ; attempt++) {
      await this.explorerRow(name).click({ button: 'right' });
      try {
        await entry.waitFor({ timeout: 3_000 });
        break;
      } catch (e) {
        // A menu opened while contributions were still loading lacks the entry: close it and ask again.
        if (attempt === 5) throw e;
        await this.page.keyboard.press('Escape');
      }
    }
    await this.page.waitForTimeout(300); // the menu fades in; a click during the animation can miss
    await entry.click();
  }

  /** Clicks the quick-input row whose label starts with `label` (Enter would take the first row, which may differ). */
  private async pickRow(label: string): Promise<void> {
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const row = this.page.locator('.quick-input-list .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escaped}`) }) }).first();
    await row.waitFor({ timeout: 60_000 }); // a hang guard: on a loaded machine the palette lists contributions late
    await row.click();
  }

  /** Answers the quick pick the last command opened with `text`, then clicks the row starting with `expectRow`, or
   *  presses Enter on the one row the text leaves. */
  async answerQuickInput(text: string, expectRow?: string): Promise<void> {
    await this.quickInput.waitFor({ timeout: 60_000 });
    await this.quickInput.fill(text);
    if (expectRow) return this.pickRow(expectRow);
    await this.page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 60_000 });
    await this.page.keyboard.press('Enter');
  }

  /** Answers an input box (no list below it) once its title says `title`: types `text` and presses Enter. */
  async answerInputBox(title: string, text: string): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 60_000 });
    await this.quickInput.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** Answers the (simple) file dialog the last command opened with `path`, then presses Enter. */
  async answerFileDialog(path: string): Promise<void> {
    await this.quickInput.waitFor({ timeout: 60_000 });
    // The simple file dialog shows at once but lists its start folder (and puts that folder's path in the input)
    // only when the folder has been read: typing before then is overwritten. Its listing starts with the ".." row,
    // which no other quick input has: once that row is there the dialog is ready, however slow the machine. (Enter
    // while it reads a folder the typed path leads to is held by the dialog until the read is done.)
    const parentRow = this.page.locator('.quick-input-list .monaco-list-row', { has: this.page.locator('.label-name', { hasText: /^\.\.$/ }) });
    await parentRow.first().waitFor({ timeout: 60_000 });
    await this.quickInput.fill(path);
    const typed = await this.quickInput.inputValue();
    if (typed !== path) throw new Error(`the file dialog's input holds "${typed}" after typing "${path}"`);
    await this.page.keyboard.press('Enter');
  }

  /** The custom editor's content: outer webview iframe → inner #active-frame. VS Code marks each outer iframe's
   *  URL with its purpose, which tells the editor apart from our side view. */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready:not([src*="purpose=webviewView"])').first().frameLocator('#active-frame');
  }

  /** The Explanations side view's content. */
  sideView(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready[src*="purpose=webviewView"]').first().frameLocator('#active-frame');
  }

  /** Shows our activity-bar container (the Explanations view). */
  async openSideView(): Promise<void> {
    const item = this.page.locator('.activitybar .action-item a[aria-label^="Model Inspector"]');
    // Clicking the active container's icon hides the side bar again: click only when it is not the shown one.
    if ((await item.getAttribute('aria-expanded')) !== 'true') await item.click();
    await this.page.locator('iframe.webview.ready[src*="purpose=webviewView"]').waitFor({ timeout: 30_000 });
  }

  /** Clicks a tab of the model panel (Overview, Graph, Weights, Run, Explain) by its id. */
  async openTab(id: string): Promise<void> {
    await this.webview().locator(`vscode-tab-header[data-tab="${id}"]`).click(); // vscode-tab-header replaces its own id
    await this.webview().locator(`[data-tab-body="${id}"]`).waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Closes every editor (so the next one opened is the only webview editor). */
  async closeAllEditors(): Promise<void> {
    await this.runCommand('View: Close All Editors');
    await this.page.locator('iframe.webview:not([src*="purpose=webviewView"])').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  }

  /** Presses a key combination with the focus in the workbench (bound in test/e2e/keybindings.json, say). */
  async press(keys: string): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press(keys);
  }


  /** Switches the colour theme the way a user does (Preferences: Color Theme) and waits for it to apply. */
  async setTheme(theme: Theme): Promise<void> {
    await this.runCommand('Preferences: Color Theme');
    await this.quickInput.fill(theme);
    // Rows show the theme's label ("Light Modern") with its settings id ("Default Light Modern") beside it.
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const cls = theme === 'Default Light Modern' ? 'vs' : 'vs-dark';
    await this.page.locator(`.monaco-workbench.${cls}`).waitFor({ timeout: 30_000 });
    // Webviews get the new theme a moment later, in one message that sets their CSS variables and their body's class:
    // wait for the class in each open webview rather than for a guessed delay.
    const kind = theme === 'Default Light Modern' ? 'vscode-light' : 'vscode-dark';
    if (await this.page.locator('iframe.webview.ready:not([src*="purpose=webviewView"])').count()) {
      await this.webview().locator(`body.${kind}`).waitFor({ state: 'attached', timeout: 30_000 });
    }
    if (await this.page.locator('iframe.webview.ready[src*="purpose=webviewView"]').count()) {
      await this.sideView().locator(`body.${kind}`).waitFor({ state: 'attached', timeout: 30_000 });
    }
  }

  private async focusWorkbench(): Promise<void> {
    // Keyboard shortcuts need focus inside the workbench, and not inside a webview (which swallows them); the
    // side bar's title is a click target that does nothing else.
    await this.page.locator('.part.sidebar .composite.title').click({ position: { x: 5, y: 5 } }).catch(() => undefined);
  }
}
