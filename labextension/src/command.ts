import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, ISessionContext } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { CommandToolbarButton, LabIcon } from '@jupyterlab/ui-components';
import { JSONObject, JSONValue } from '@lumino/coreutils';
import { DisposableSet, IDisposable } from '@lumino/disposable';

export const COMMAND_ID = 'mlssl:secure-endpoint';

/** A padlock; JupyterLab's icon set has none. */
export const lockIcon = new LabIcon({
  name: 'jupyter-mlssl:lock',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">' +
    '<path class="jp-icon3" fill="#616161" d="M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8' +
    'a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 8V7a3 3 0 0 1 6 0' +
    'v3H9z"/></svg>'
});

/**
 * Is `jupyter_mlssl` loaded in this kernel?  Asked with a silent user expression, so the
 * inserted cell only carries `%load_ext` when it is needed (loading twice prints a notice).
 */
async function extensionLoaded(session: ISessionContext): Promise<boolean> {
  const kernel = session.session?.kernel;
  if (!kernel) {
    return false;
  }
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: {
      mlssl: "'jupyter_mlssl' in get_ipython().extension_manager.loaded"
    }
  });
  const reply = await future.done;
  if (reply.content.status !== 'ok') {
    return false;
  }
  // Each user expression comes back as {status, data: {mimetype: repr}} (a JSON value).
  const result = reply.content.user_expressions['mlssl'];
  if (!isObject(result) || result['status'] !== 'ok') {
    return false;
  }
  const data = result['data'];
  return isObject(data) && data['text/plain'] === 'True';
}

function isObject(value: JSONValue | undefined): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Insert a `%mlssl panel` cell below the active cell (or fill the active cell when it is
 * empty, as in a new notebook) and run it.
 */
export async function insertPanelCell(panel: NotebookPanel): Promise<void> {
  const { content: notebook, sessionContext } = panel;
  await sessionContext.ready;
  const loaded = await extensionLoaded(sessionContext);
  const source = loaded
    ? '%mlssl panel'
    : '%load_ext jupyter_mlssl\n%mlssl panel';

  const active = notebook.activeCell;
  const reuse =
    active !== null &&
    active.model.type === 'code' &&
    active.model.sharedModel.getSource().trim() === '';
  if (!reuse) {
    NotebookActions.insertBelow(notebook);
  }
  const cell = notebook.activeCell;
  if (cell === null) {
    return;
  }
  if (cell.model.type !== 'code') {
    // Changing the type replaces the cell widget: look the active cell up again.
    NotebookActions.changeCellType(notebook, 'code');
  }
  const target = notebook.activeCell;
  if (target === null) {
    return;
  }
  target.model.sharedModel.setSource(source);
  await NotebookActions.run(notebook, sessionContext);
}

/**
 * The command, in the palette and in every notebook's toolbar. Disposing the result
 * removes all three.
 */
export function addSecureEndpointCommand(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null
): IDisposable {
  const disposables = new DisposableSet();
  const command = app.commands.addCommand(COMMAND_ID, {
    label: 'Secure model endpoint',
    caption:
      'Insert and run a %mlssl panel cell: certificate, TLS, DNS and probe',
    icon: lockIcon,
    isEnabled: () => tracker.currentWidget !== null,
    execute: async () => {
      const panel = tracker.currentWidget;
      if (panel) {
        await insertPanelCell(panel);
      }
    }
  });
  disposables.add(command);
  if (palette) {
    disposables.add(
      palette.addItem({ command: COMMAND_ID, category: 'Notebook Operations' })
    );
  }

  const toolbar = app.docRegistry.addWidgetExtension('Notebook', {
    createNew: (panel: NotebookPanel) => {
      const button = new CommandToolbarButton({
        commands: app.commands,
        id: COMMAND_ID,
        label: 'Secure endpoint'
      });
      button.addClass('jp-mlssl-toolbar-button');
      panel.toolbar.insertAfter('cellType', 'mlssl-secure-endpoint', button);
      return button;
    }
  });
  disposables.add(toolbar);
  return disposables;
}
