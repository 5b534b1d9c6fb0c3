import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';

import { addSecureEndpointCommand } from './command';
import { highlightMlsslCells } from './highlight';
import { addExpiryStatus } from './statusbar';

/**
 * jupyter-mlssl in JupyterLab: a "Secure model endpoint" command, YAML highlighting in
 * `%%mlssl` cells, and a status bar item with the soonest certificate expiry.
 * Everything it shows comes from the Python package; it computes nothing itself.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlssl:plugin',
  description: 'Secure a model endpoint from the notebook; see certificate expiries.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null
  ) => {
    addSecureEndpointCommand(app, tracker, palette);
    highlightMlsslCells(tracker);
    if (statusBar) {
      addExpiryStatus(statusBar, app.serviceManager.serverSettings);
    }
  }
};

export default plugin;
