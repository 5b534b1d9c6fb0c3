import { ServerConnection } from '@jupyterlab/services';
import { NotebookActions } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { fetchExpiries, IExpiry } from './request';

/** Under this many days the item turns amber (Azure's renewal advice is 30 days). */
const WARN_DAYS = 30;
const POLL_MS = 60_000;

function describe(expiry: IExpiry): string {
  const date = expiry.not_after.slice(0, 10);
  const days =
    expiry.days_left < 0
      ? `expired ${-expiry.days_left} d ago`
      : `${expiry.days_left} d left`;
  return `${expiry.target}  ${expiry.fqdn}  ${date}  (${days})`;
}

/**
 * The soonest certificate expiry among the targets this machine has changed, from the
 * history the server extension reads. Hidden until there is something to show.
 */
export class ExpiryStatus extends Widget {
  readonly changed = new Signal<this, void>(this);
  private _expiries: IExpiry[] = [];

  constructor(private readonly _settings: ServerConnection.ISettings) {
    super();
    this.addClass('jp-mlssl-expiry');
  }

  get hasExpiries(): boolean {
    return this._expiries.length > 0;
  }

  async refresh(): Promise<void> {
    try {
      this._expiries = await fetchExpiries(this._settings);
      this.removeClass('jp-mlssl-unavailable');
    } catch (reason) {
      // Keep the last known state: a restarting server should not blank the bar.
      console.warn('jupyter-mlssl: could not read certificate expiries', reason);
      this.addClass('jp-mlssl-unavailable');
    }
    this._render();
    this.changed.emit();
  }

  private _render(): void {
    const soonest = this._expiries[0];
    this.toggleClass('jp-mlssl-expired', !!soonest && soonest.days_left < 0);
    this.toggleClass(
      'jp-mlssl-warn',
      !!soonest && soonest.days_left >= 0 && soonest.days_left < WARN_DAYS
    );
    if (!soonest) {
      this.node.textContent = '';
      this.node.title = '';
      return;
    }
    const when = soonest.days_left < 0 ? 'expired' : `${soonest.days_left} d`;
    this.node.textContent = `TLS ${soonest.fqdn}: ${when}`;
    this.node.dataset.daysLeft = String(soonest.days_left);
    this.node.title = [
      'Certificates on targets this machine changed (soonest first):',
      ...this._expiries.map(describe)
    ].join('\n');
  }
}

/**
 * Register the item; refresh it now, every minute, and after every cell run (a cell may
 * just have enabled or renewed TLS).
 */
export function addExpiryStatus(
  statusBar: IStatusBar,
  settings: ServerConnection.ISettings
): ExpiryStatus {
  const item = new ExpiryStatus(settings);
  statusBar.registerStatusItem('jupyter-mlssl:expiry', {
    item,
    align: 'left',
    rank: 50,
    isActive: () => item.hasExpiries,
    activeStateChanged: item.changed
  });
  let pending: number | undefined;
  NotebookActions.executed.connect(() => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => void item.refresh(), 1000);
  });
  window.setInterval(() => void item.refresh(), POLL_MS);
  void item.refresh();
  return item;
}
