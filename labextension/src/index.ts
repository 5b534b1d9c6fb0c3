import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { DisposableDelegate, DisposableSet } from '@lumino/disposable';

import { addSecureEndpointCommand } from './command';
import { highlightMlsslCells } from './highlight';
import { DEFAULT_OPTIONS, ExpiryMonitor, IExpiryOptions } from './statusbar';

const PLUGIN_ID = 'jupyter-mlssl:plugin';

/**
 * Everything the plugin added to the application, so `deactivate` can take it all back:
 * the command, palette item and toolbar buttons, the cell watcher, the status bar item
 * with its poll, and the settings connection.
 */
let active: DisposableSet | null = null;

/** A whole number within the schema's bounds, or the default (settings are user JSON). */
function integer(
  settings: ISettingRegistry.ISettings,
  key: keyof IExpiryOptions
): number {
  const value = settings.get(key).composite;
  return typeof value === 'number' && Number.isInteger(value)
    ? value
    : DEFAULT_OPTIONS[key];
}

function readOptions(settings: ISettingRegistry.ISettings): IExpiryOptions {
  return {
    warningDays: Math.max(0, integer(settings, 'warningDays')),
    pollSeconds: Math.max(10, integer(settings, 'pollSeconds'))
  };
}

/**
 * Read the settings (schema/plugin.json) into the monitor, and again on every change.
 * Without a setting registry, or if the settings cannot load, the defaults stay.
 */
async function followSettings(
  registry: ISettingRegistry,
  monitor: ExpiryMonitor,
  disposables: DisposableSet
): Promise<void> {
  const settings = await registry.load(PLUGIN_ID);
  if (disposables.isDisposed) {
    return;
  }
  const apply = (): void => monitor.configure(readOptions(settings));
  apply();
  settings.changed.connect(apply);
  disposables.add(
    new DisposableDelegate(() => settings.changed.disconnect(apply))
  );
}

/**
 * jupyter-mlssl in JupyterLab: a "Secure model endpoint" command, YAML highlighting in
 * `%%mlssl` cells, and a status bar item with the soonest certificate expiry.
 * Everything it shows comes from the Python package; it computes nothing itself.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Secure a model endpoint from the notebook; see certificate expiries.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IStatusBar, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    registry: ISettingRegistry | null
  ): void => {
    const disposables = (active = new DisposableSet());
    disposables.add(addSecureEndpointCommand(app, tracker, palette));
    disposables.add(highlightMlsslCells(tracker));
    if (!statusBar) {
      return;
    }
    const monitor = new ExpiryMonitor(
      statusBar,
      app.serviceManager.serverSettings
    );
    disposables.add(monitor);
    if (registry) {
      followSettings(registry, monitor, disposables).catch(
        (reason: unknown) => {
          console.warn(
            'jupyter-mlssl: could not load settings; using the defaults',
            reason
          );
        }
      );
    }
  },
  deactivate: (): void => {
    active?.dispose();
    active = null;
  }
};

export default plugin;
