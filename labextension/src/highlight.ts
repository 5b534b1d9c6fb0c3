import { ICellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

const YAML = 'text/x-yaml';
const MAGIC = '%%mlssl';

/**
 * `%%mlssl apply TARGET` cells carry YAML settings: give them YAML highlighting.
 *
 * CodeMirror 6 in JupyterLab 4 picks the language from the cell model's `mimeType`
 * (through the editor language registry), so overriding that per cell is enough. The
 * notebook resets every code cell's mimeType when the kernel's language arrives; the
 * `mimeTypeChanged` handler puts YAML back for the cells that want it. Nothing is saved:
 * the mimeType is not part of the notebook file.
 */
export function highlightMlsslCells(tracker: INotebookTracker): IDisposable {
  const onAdded = (_: INotebookTracker, panel: NotebookPanel): void =>
    watchNotebook(panel);
  tracker.widgetAdded.connect(onAdded);
  tracker.forEach(watchNotebook);
  // The per-cell and per-notebook connections end with their models (a disposed model
  // clears its signals); only the tracker outlives them.
  return new DisposableDelegate(() => tracker.widgetAdded.disconnect(onAdded));
}

function watchNotebook(panel: NotebookPanel): void {
  const notebook = panel.content;
  const watch = (model: ICellModel): void => {
    if (model.type !== 'code') {
      return;
    }
    const sync = (): void => {
      const wantsYaml = model.sharedModel.getSource().startsWith(MAGIC);
      if (wantsYaml && model.mimeType !== YAML) {
        model.mimeType = YAML;
      } else if (!wantsYaml && model.mimeType === YAML) {
        model.mimeType = notebook.codeMimetype;
      }
    };
    model.contentChanged.connect(sync);
    model.mimeTypeChanged.connect(sync);
    sync();
  };
  const watchAll = (): void => {
    const cells = notebook.model?.cells;
    if (!cells) {
      return;
    }
    for (let i = 0; i < cells.length; i++) {
      watch(cells.get(i));
    }
    cells.changed.connect((_, change) => {
      if (change.type === 'add') {
        change.newValues.forEach(watch);
      }
    });
  };
  panel.context.ready.then(watchAll).catch((reason: unknown) => {
    // A notebook that fails to load shows its own error; it just gets no YAML colours.
    console.warn(
      'jupyter-mlssl: no YAML highlighting in this notebook',
      reason
    );
  });
}
