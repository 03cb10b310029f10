/**
 * Kamailio's JSON-RPC over HTTP (jsonrpcs + xhttp, usually `http://host:sipport/RPC`), used to
 * see and drop live registrations: deleting a `subscriber` row stops new REGISTERs but leaves
 * the contacts usrloc already holds until they expire.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';

export interface KamailioRpcOptions {
  url: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A JSON-RPC 2.0 client for one Kamailio. */
export class KamailioRpc {
  readonly #url: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  #nextId = 1;

  constructor(options: KamailioRpcOptions) {
    this.#url = options.url;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The contacts registered for `aor` (`user@domain`), or null when there are none. */
  async lookup(aor: string): Promise<unknown[] | null> {
    const answer = await this.#call('ul.lookup', ['location', aor]);
    if (answer.error !== undefined) {
      // usrloc answers "AOR not found" with code 500; any other error is a real failure.
      if (/not found/i.test(answer.error.message)) return null;
      throw rpcError('ul.lookup', aor, answer.error);
    }
    const contacts = (answer.result as { Contacts?: unknown[] } | undefined)?.Contacts ?? [];
    return contacts.length > 0 ? contacts : null;
  }

  /** Drops every contact of `aor`; dropping none is not an error. */
  async remove(aor: string): Promise<void> {
    const answer = await this.#call('ul.rm', ['location', aor]);
    if (answer.error !== undefined && !/not found/i.test(answer.error.message)) {
      throw rpcError('ul.rm', aor, answer.error);
    }
  }

  async #call(method: string, params: unknown[]): Promise<RpcAnswer> {
    const id = this.#nextId++;
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new CallsignError(ErrorCode.Unavailable, `Kamailio RPC ${method} unreachable`, {
        cause: err,
        details: { url: this.#url, method },
      });
    }

    // jsonrpcs sends its errors (e.g. "AOR not found") as JSON with an HTTP 500 status.
    const text = await response.text().catch(() => '');
    const answer = parseAnswer(text);
    if (answer !== undefined) return answer;
    // Every other failure is retryable: the row change already happened and the registration
    // still has to be dropped, so the operation must come back to this step.
    throw new CallsignError(
      ErrorCode.Unavailable,
      `Kamailio RPC ${method} answered HTTP ${response.status} without a JSON-RPC body`,
      { details: { url: this.#url, method, status: response.status } },
    );
  }
}

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

function parseAnswer(text: string): RpcAnswer | undefined {
  try {
    const value = JSON.parse(text) as RpcAnswer | null;
    if (value === null || typeof value !== 'object') return undefined;
    return 'result' in value || 'error' in value ? value : undefined;
  } catch {
    return undefined;
  }
}

function rpcError(method: string, aor: string, error: { code: number; message: string }) {
  return new CallsignError(
    ErrorCode.Unavailable,
    `Kamailio RPC ${method} for '${aor}' failed: ${error.message}`,
    { details: { method, aor, rpcCode: error.code } },
  );
}
