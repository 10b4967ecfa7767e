// What every stream of the client does, whatever it carries: opens an EventSource with a fresh
// token, closes and reopens it itself with backoff and jitter, polls after three failures in a row
// and tries the stream again every 30 s while polling. What the stream's URL is, what its frames
// mean and what a poll reads belong to the protocol: one project's in status-stream.js, several
// projects' in projects-connection.js. README.md beside this file describes the behaviour.

// The stream says `retry: 3000` (STREAM_RETRY_MILLIS), but EventSource does not tell us, so the
// client starts from the same figure; pass `retryMillis` when the server is configured otherwise.
export const DEFAULT_RETRY_MS = 3000;
const MAX_DELAY_MS = 30000;
const FAILURES_BEFORE_POLLING = 3;
const POLL_INTERVAL_MS = 3000;
const STREAM_RETRY_WHILE_POLLING_MS = 30000;

/** @typedef {import("./status-stream.js").StreamState} StreamState */

/**
 * @typedef {object} Protocol
 * @property {() => boolean} hasPosition whether there is a position to resume from
 * @property {(token: string) => { url: URL, onMessage: (message: MessageEvent) => void }} open
 *   the URL of a new stream and the reader of its frames
 * @property {(token: string, isClosed: () => boolean) => Promise<void>} poll one poll: reads and
 *   hands over what it got; may throw
 * @property {(token: string) => void} [connectFailed] a stream that did not open, with its token
 */

/**
 * @typedef {object} Transport
 * @property {() => string | Promise<string>} getToken
 * @property {(state: StreamState) => void} onState
 * @property {number} retryMillis
 * @property {new (url: string | URL) => EventSource} EventSource
 * @property {(callback: () => void, delay: number) => unknown} setTimeout
 * @property {(handle: any) => void} clearTimeout
 * @property {() => number} random
 * @property {() => number} now
 */

/**
 * Keeps the protocol's stream open until `close()`; `restart()` replaces an open (or opening)
 * stream by a new one at once, so that a new URL takes effect; without a stream, the next attempt
 * or poll takes it anyway.
 *
 * @param {Protocol} protocol
 * @param {Transport} transport
 * @returns {{ close(): void, restart(): void }}
 */
export function keepOpen(protocol, { getToken, onState, retryMillis, EventSource, setTimeout, clearTimeout, random, now }) {
  let failures = 0;
  /** @type {EventSource | null} */
  let source = null;
  /** @type {unknown} */
  let timer = null;
  let closed = false;
  /** @type {StreamState | null} */
  let state = null;
  let pollingSince = 0;

  /** @param {StreamState} next */
  const setState = (next) => {
    if (next !== state) {
      state = next;
      onState(next);
    }
  };

  // The n-th failure in a row waits retry * 2^(n-1), at most 30 s (or the retry, if longer),
  // drawn uniformly from half to one and a half times that: clients a restart dropped together
  // come back spread over a few seconds instead of all at once.
  const retry = Number.isFinite(retryMillis) && retryMillis > 0 ? retryMillis : DEFAULT_RETRY_MS;
  const backoff = () => {
    const base = Math.min(Math.max(MAX_DELAY_MS, retry), retry * 2 ** Math.max(0, failures - 1));
    return base * (0.5 + random());
  };

  /** @type {(fn: () => void, delay: number) => void} */
  const schedule = (fn, delay) => {
    clearTimeout(timer);
    timer = setTimeout(fn, delay);
  };

  async function openStream() {
    if (closed) return;
    setState(failures === 0 && !protocol.hasPosition() ? "connecting" : "reconnecting");
    let token;
    try {
      token = await getToken();
    } catch (error) {
      return streamFailed();
    }
    if (closed) return; // close() was called while the token was on its way
    const { url, onMessage } = protocol.open(token);
    const es = new EventSource(url);
    source = es;
    let opened = false;
    es.onopen = () => {
      if (closed || source !== es) return;
      opened = true;
      failures = 0;
      setState("open");
    };
    es.onmessage = (message) => {
      if (closed || source !== es) return;
      onMessage(message);
    };
    es.onerror = () => {
      // EventSource would retry by itself with the same token and URL; we reconnect ourselves
      // so that a fresh token and our last event id are used.
      es.close();
      if (closed || source !== es) return;
      source = null;
      if (!opened) {
        protocol.connectFailed?.(token);
        return streamFailed();
      }
      failures = 1;
      setState("reconnecting");
      schedule(openStream, backoff());
    };
  }

  function streamFailed() {
    if (closed) return;
    failures += 1;
    if (failures >= FAILURES_BEFORE_POLLING) {
      startPolling();
    } else {
      setState("reconnecting");
      schedule(openStream, backoff());
    }
  }

  function startPolling() {
    if (state !== "polling") pollingSince = now();
    setState("polling");
    schedule(poll, 0);
  }

  async function poll() {
    if (closed) return;
    try {
      const token = await getToken();
      if (closed) return;
      await protocol.poll(token, () => closed);
    } catch (error) {
      // still unreachable: keep polling
    }
    if (closed) return;
    if (now() - pollingSince >= STREAM_RETRY_WHILE_POLLING_MS) {
      // Try streaming again; if it fails, we come back here.
      failures = FAILURES_BEFORE_POLLING - 1;
      pollingSince = now();
      return openStream();
    }
    schedule(poll, POLL_INTERVAL_MS);
  }

  openStream();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (source) source.close();
      setState("closed");
    },
    restart() {
      // Only a stream is replaced: while a token is on its way, a reconnect waits or polling
      // goes on, the next attempt reads the protocol's URL anew. There is then no other chain
      // of callbacks than this stream's, which closing it ends.
      if (closed || source === null) return;
      source.close();
      source = null;
      openStream();
    },
  };
}
