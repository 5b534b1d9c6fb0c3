import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * One certificate this machine put on a target, as `jupyter_mlssl.history.expiries()`
 * reports it (soonest first). `fqdn` and `fingerprint` are nullable columns of the
 * history table.
 */
export interface IExpiry {
  target: string;
  fqdn: string | null;
  /** ISO 8601, UTC. */
  not_after: string;
  /** Whole days from now; negative once expired. */
  days_left: number;
  fingerprint: string | null;
  /** Where it was read: this machine's history, or the last fleet inventory's cache. */
  source?: 'history' | 'fleet';
}

/** The last fleet inventory (`mlssl fleet`), when one has been made on this machine. */
export interface IFleetCache {
  /** ISO 8601: when the inventory was made. */
  generated: string | null;
  /** Seconds since then, as the server counted them. */
  age_seconds: number | null;
  /** How many certificates it listed. */
  endpoints: number;
}

/** The body of `GET /mlssl/expiries`. */
export interface IExpiriesResponse {
  expiries: IExpiry[];
  /** Absent from older server extensions; null when no inventory was made. */
  fleet?: IFleetCache | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Does `value` have the shape the server extension promises? */
export function isExpiry(value: unknown): value is IExpiry {
  return (
    isRecord(value) &&
    typeof value.target === 'string' &&
    isNullableString(value.fqdn) &&
    typeof value.not_after === 'string' &&
    typeof value.days_left === 'number' &&
    Number.isFinite(value.days_left) &&
    isNullableString(value.fingerprint)
  );
}

function isFleetCache(value: unknown): value is IFleetCache | null | undefined {
  return (
    value === undefined ||
    value === null ||
    (isRecord(value) &&
      isNullableString(value.generated) &&
      (value.age_seconds === null || typeof value.age_seconds === 'number') &&
      typeof value.endpoints === 'number')
  );
}

export function isExpiriesResponse(value: unknown): value is IExpiriesResponse {
  return (
    isRecord(value) &&
    Array.isArray(value.expiries) &&
    value.expiries.every(isExpiry) &&
    isFleetCache(value.fleet)
  );
}

/**
 * GET /mlssl/expiries from the server extension (jupyter_mlssl/server_extension.py).
 *
 * Goes through ServerConnection so the token/XSRF handling is JupyterLab's own. A body
 * of another shape (an older or newer server extension) is an error, not a guess.
 */
export async function fetchExpiries(
  settings: ServerConnection.ISettings
): Promise<IExpiriesResponse> {
  const url = URLExt.join(settings.baseUrl, 'mlssl', 'expiries');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response);
  }
  const body: unknown = await response.json();
  if (!isExpiriesResponse(body)) {
    throw new Error(`unexpected response from ${url}`);
  }
  return body;
}
