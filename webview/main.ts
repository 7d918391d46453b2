// Webview entry (esbuild -> dist/webview/main.js + main.css). Mounts the view the host asked for in <body data-view>.
import './styles.css';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { connectToHost } from './messaging/connect';
import { mountPanel } from './shell/panel';
import { mountSidePanel } from './sidebar/side-panel';

const root = document.getElementById('mi-root') ?? document.body;
const connection = connectToHost();
if (document.body.dataset.view === 'sidebar') mountSidePanel(root, connection);
else mountPanel(root, connection);
