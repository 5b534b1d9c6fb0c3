import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * One certificate this machine put on a target, as `jupyter_mlssl.history.expiries()`
 * reports it (soonest first).
 */
export interface IExpiry {
  target: string;
  fqdn: string;
  not_after: string;
  days_left: number;
  fingerprint: string;
}

/**
 * GET /mlssl/expiries from the server extension (jupyter_mlssl/server_extension.py).
 *
 * Goes through ServerConnection so the token/XSRF handling is JupyterLab's own.
 */
export async function fetchExpiries(
  settings: ServerConnection.ISettings
): Promise<IExpiry[]> {
  const url = URLExt.join(settings.baseUrl, 'mlssl', 'expiries');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response);
  }
  const body = (await response.json()) as { expiries: IExpiry[] };
  return body.expiries;
}
