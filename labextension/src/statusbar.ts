import { NotebookActions } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { IStatusBar } from '@jupyterlab/statusbar';
import { DisposableSet, IDisposable } from '@lumino/disposable';
import { Debouncer, IPoll, Poll } from '@lumino/polling';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { fetchExpiries, IExpiry, IFleetCache } from './request';

/** What the user can set (schema/plugin.json holds the same defaults and bounds). */
export interface IExpiryOptions {
  /** Under this many days left the item turns amber; 0 never warns. */
  warningDays: number;
  /** Seconds between two reads of the expiries. */
  pollSeconds: number;
}

/** Azure's renewal advice is 30 days; the server is asked once a minute. */
export const DEFAULT_OPTIONS: Readonly<IExpiryOptions> = {
  warningDays: 30,
  pollSeconds: 60
};

/** A cell that just enabled or renewed TLS has written its history row by then. */
const AFTER_RUN_MS = 1000;

/** A failing server is asked less and less often, down to once per this many intervals. */
const BACKOFF_INTERVALS = 10;

/** "3 h", "2 d": how old the fleet inventory is, for the tooltip. */
export function describeAge(seconds: number | null): string {
  if (seconds === null) {
    return 'of unknown age';
  }
  if (seconds < 3600) {
    return `${Math.max(0, Math.round(seconds / 60))} min old`;
  }
  if (seconds < 2 * 86400) {
    return `${Math.round(seconds / 3600)} h old`;
  }
  return `${Math.round(seconds / 86400)} d old`;
}

function describe(expiry: IExpiry): string {
  const date = expiry.not_after.slice(0, 10);
  const days =
    expiry.days_left < 0
      ? `expired ${-expiry.days_left} d ago`
      : `${expiry.days_left} d left`;
  return `${expiry.target}  ${expiry.fqdn ?? '-'}  ${date}  (${days})`;
}

/**
 * The soonest certificate expiry across the fleet: the targets this machine has changed
 * (its history) and every endpoint of the last `mlssl fleet` inventory (its cache), as the
 * server extension merges them. Hidden until there is something to show.
 */
export class ExpiryStatus extends Widget {
  readonly changed = new Signal<this, void>(this);
  private _expiries: IExpiry[] = [];
  private _fleet: IFleetCache | null = null;
  private _warningDays = DEFAULT_OPTIONS.warningDays;

  constructor(private readonly _settings: ServerConnection.ISettings) {
    super();
    this.addClass('jp-mlssl-expiry');
  }

  get hasExpiries(): boolean {
    return this._expiries.length > 0;
  }

  get warningDays(): number {
    return this._warningDays;
  }

  set warningDays(days: number) {
    if (days !== this._warningDays) {
      this._warningDays = days;
      this._render();
    }
  }

  /** Read the expiries again; resolves to whether the server answered. */
  async refresh(): Promise<boolean> {
    let ok = true;
    try {
      const body = await fetchExpiries(this._settings);
      this._expiries = body.expiries;
      this._fleet = body.fleet ?? null;
      this.removeClass('jp-mlssl-unavailable');
    } catch (reason) {
      // Keep the last known state: a restarting server should not blank the bar.
      console.warn(
        'jupyter-mlssl: could not read certificate expiries',
        reason
      );
      this.addClass('jp-mlssl-unavailable');
      ok = false;
    }
    if (this.isDisposed) {
      return ok;
    }
    this._render();
    this.changed.emit();
    return ok;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    Signal.clearData(this);
    super.dispose();
  }

  private _render(): void {
    const soonest = this._expiries[0];
    this.toggleClass('jp-mlssl-expired', !!soonest && soonest.days_left < 0);
    this.toggleClass(
      'jp-mlssl-warn',
      !!soonest &&
        soonest.days_left >= 0 &&
        soonest.days_left < this._warningDays
    );
    if (!soonest) {
      this.node.textContent = '';
      this.node.title = '';
      delete this.node.dataset.daysLeft;
      return;
    }
    const when = soonest.days_left < 0 ? 'expired' : `${soonest.days_left} d`;
    this.node.textContent = `TLS ${soonest.fqdn ?? soonest.target}: ${when}`;
    this.node.dataset.daysLeft = String(soonest.days_left);
    const fleet = this._fleet
      ? [
          `Fleet inventory: ${this._fleet.endpoints} certificates, ` +
            `${describeAge(this._fleet.age_seconds)} (mlssl fleet refreshes it)`
        ]
      : [];
    this.node.title = [
      'Certificates across the fleet and on targets this machine changed ' +
        '(soonest first):',
      ...fleet,
      ...this._expiries.map(describe)
    ].join('\n');
  }
}

function frequency(pollSeconds: number): IPoll.Frequency {
  const interval = pollSeconds * 1000;
  return { interval, backoff: true, max: interval * BACKOFF_INTERVALS };
}

/**
 * The status bar item and what keeps it fresh: a poll (paused while the page is hidden,
 * backing off while the server does not answer) and a refresh a second after each cell
 * run (a cell may just have enabled or renewed TLS). Disposing it removes the item,
 * stops the poll and disconnects from the notebook signal.
 */
export class ExpiryMonitor implements IDisposable {
  readonly item: ExpiryStatus;
  private readonly _poll: Poll;
  private readonly _afterRun: Debouncer<void>;
  private readonly _disposables = new DisposableSet();

  constructor(statusBar: IStatusBar, settings: ServerConnection.ISettings) {
    const item = (this.item = new ExpiryStatus(settings));
    this._poll = new Poll({
      name: 'jupyter-mlssl:expiry',
      factory: async () => {
        if (!(await item.refresh())) {
          // A rejection is what makes Poll back off.
          throw new Error('certificate expiries unavailable');
        }
      },
      frequency: frequency(DEFAULT_OPTIONS.pollSeconds),
      standby: 'when-hidden'
    });
    this._afterRun = new Debouncer(() => this._poll.refresh(), AFTER_RUN_MS);
    NotebookActions.executed.connect(this._onExecuted);
    // Disposed in this order: the triggers stop before the item they update goes (the
    // status bar's registration disposes the item as it removes it).
    this._disposables.add(this._afterRun);
    this._disposables.add(this._poll);
    this._disposables.add(
      statusBar.registerStatusItem('jupyter-mlssl:expiry', {
        item,
        align: 'left',
        rank: 50,
        isActive: () => item.hasExpiries,
        activeStateChanged: item.changed
      })
    );
  }

  get isDisposed(): boolean {
    return this._disposables.isDisposed;
  }

  /** Apply new settings now: the warning colour at once, a new interval from a fresh read. */
  configure(options: IExpiryOptions): void {
    if (this.isDisposed) {
      return;
    }
    this.item.warningDays = options.warningDays;
    const next = frequency(options.pollSeconds);
    if (next.interval !== this._poll.frequency.interval) {
      this._poll.frequency = next;
      // The tick already scheduled keeps the old interval; a refresh starts the new one.
      void this._poll.refresh();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    NotebookActions.executed.disconnect(this._onExecuted);
    this._disposables.dispose();
  }

  // An arrow function: connected and disconnected as the same function, `this` bound.
  private readonly _onExecuted = (): void => {
    this._afterRun.invoke().catch(() => {
      // Disposed before it fired: nothing to refresh.
    });
  };
}
