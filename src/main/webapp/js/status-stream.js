// status-stream browser client: a plain ES module, no build step. Its API, options and behaviour
// (reconnecting, backoff, polling, resync) are in README.md beside it, its types in
// status-stream.d.ts.

// The stream says `retry: 3000` (STREAM_RETRY_MILLIS), but EventSource does not tell us, so the
// client starts from the same figure; pass `retryMillis` when the server is configured otherwise.
const DEFAULT_RETRY_MS = 3000;
const MAX_DELAY_MS = 30000;
const FAILURES_BEFORE_POLLING = 3;
const POLL_INTERVAL_MS = 3000;
const STREAM_RETRY_WHILE_POLLING_MS = 30000;
const PAGE = 1000; // events per polling request (the endpoint's largest limit)

// The events of the API reference (docs/api.md); others (and "connected") are not handed over.
const EVENT_TYPES = new Set(["status_update", "progress_update", "new_proposal", "proposal_update", "proposal_deleted"]);

// Event ids are decimal integers (19 digits and more): compared as BigInt, kept as text.
/**
 * @param {unknown} text
 * @returns {text is string}
 */
const isId = (text) => typeof text === "string" && /^[0-9]+$/.test(text);

// The types are declared in status-stream.d.ts; `tsc --checkJs` checks this file against them
// (src/test/js/check-types.sh).
/** @typedef {import("./status-stream.js").ConnectOptions} ConnectOptions */
/** @typedef {import("./status-stream.js").StatusStream} StatusStream */
/** @typedef {import("./status-stream.js").StreamState} StreamState */
/** @typedef {{ events: { id: unknown, data: unknown }[], lastEventId: string, resyncRequired?: boolean }} EventPage */

/**
 * Opens the project's stream and keeps it open, resuming, backing off and polling, until
 * `close()` (README.md beside this file).
 *
 * @param {ConnectOptions} options
 * @returns {StatusStream}
 */
export function connect({
  projectId,
  getToken,
  onEvent = () => {},
  onState = () => {},
  onResync = () => {},
  baseUrl = "",
  retryMillis = DEFAULT_RETRY_MS, // the first reconnect delay, before jitter
  // For tests and other hosts: the browser's globals unless given.
  EventSource = globalThis.EventSource,
  fetch = (...args) => globalThis.fetch(...args),
  setTimeout = (...args) => globalThis.setTimeout(...args),
  clearTimeout = (...args) => globalThis.clearTimeout(...args),
  random = Math.random,
  now = Date.now,
}) {
  /** @type {string | null} */
  let lastEventId = null;
  let failures = 0;
  /** @type {EventSource | null} */
  let source = null;
  /** @type {unknown} */
  let timer = null;
  let closed = false;
  /** @type {StreamState | null} */
  let state = null;

  /** @param {StreamState} next */
  const setState = (next) => {
    if (next !== state) {
      state = next;
      onState(next);
    }
  };

  // Every project event passes here: ids only grow, so nothing is handed over twice.
  /** @type {(id: string | null, data: any) => void} */
  const deliver = (id, data) => {
    if (id !== null && lastEventId !== null && BigInt(id) <= BigInt(lastEventId)) {
      return;
    }
    if (id !== null) {
      lastEventId = id;
    }
    if (!data || typeof data !== "object" || !EVENT_TYPES.has(data.type)) {
      return; // unknown types are ignored, though their id counts as seen
    }
    try {
      onEvent(data);
    } catch (error) {
      console.error("status-stream: onEvent failed", error);
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

  // The server cannot replay from our position (retention passed it, or the database was
  // restored): from now on, what counts is where the server continues, `position` (null: from
  // whatever comes next), even when it is below the id we had. The app refetches its state.
  /** @param {string | null} position */
  const resync = (position) => {
    lastEventId = position;
    try {
      onResync();
    } catch (error) {
      console.error("status-stream: onResync failed", error);
    }
  };

  /** @type {(fn: () => void, delay: number) => void} */
  const schedule = (fn, delay) => {
    clearTimeout(timer);
    timer = setTimeout(fn, delay);
  };

  async function openStream() {
    if (closed) return;
    setState(failures === 0 && lastEventId === null ? "connecting" : "reconnecting");
    let token;
    try {
      token = await getToken();
    } catch (error) {
      return streamFailed();
    }
    if (closed) return; // close() was called while the token was on its way
    const url = new URL(`${baseUrl}/api/projects/${encodeURIComponent(projectId)}/status`, globalThis.location?.href);
    url.searchParams.set("access_token", token);
    if (lastEventId !== null) url.searchParams.set("lastEventId", lastEventId);
    const es = new EventSource(url);
    source = es;
    let opened = false;
    let previousId = ""; // the id EventSource reported for the previous frame of this stream
    es.onopen = () => {
      if (closed || source !== es) return;
      opened = true;
      failures = 0;
      setState("open");
    };
    es.onmessage = (message) => {
      if (closed || source !== es) return;
      const id = message.lastEventId || "";
      const unchanged = id === previousId;
      previousId = id;
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return; // unparsable: ignored, the stream goes on
      }
      if (data && data.type === "resync_required") {
        // The frame has `id: <the project's current position>` when the project has events and
        // no id when it has none. A frame without an id gets the previous frame's id from
        // EventSource, so an id that did not change means "none": forget the position.
        return resync(isId(id) && !unchanged ? id : null);
      }
      if (id !== "" && !isId(id)) return; // not an id of ours: ignored
      deliver(id || null, data);
    };
    es.onerror = () => {
      // EventSource would retry by itself with the same token and URL; we reconnect ourselves
      // so that a fresh token and our last event id are used.
      es.close();
      if (closed || source !== es) return;
      source = null;
      if (!opened) return streamFailed();
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

  let pollingSince = 0;
  function startPolling() {
    if (state !== "polling") pollingSince = now();
    setState("polling");
    schedule(poll, 0);
  }

  // One answer of the polling endpoint, events after `after` (null: from the oldest retained);
  // null when there is none to use (an error status, a malformed body, or close() meanwhile).
  /** @type {(token: string, after: string | null) => Promise<EventPage | null>} */
  async function page(token, after) {
    const url = new URL(`${baseUrl}/api/projects/${encodeURIComponent(projectId)}/events`, globalThis.location?.href);
    if (after !== null) url.searchParams.set("after", after);
    url.searchParams.set("limit", String(PAGE));
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (closed || !response.ok) return null;
    const body = await response.json();
    if (closed || !body || !Array.isArray(body.events) || !isId(body.lastEventId)) return null;
    return body;
  }

  // Reads on from the answer `body` to the end of the log without handing anything over, and
  // returns the position there (null when a page could not be read).
  /** @type {(token: string, body: EventPage | null) => Promise<string | null>} */
  async function skipToEnd(token, body) {
    while (body !== null && body.events.length >= PAGE) {
      const next = await page(token, body.lastEventId);
      if (next !== null && BigInt(next.lastEventId) <= BigInt(body.lastEventId)) break;
      body = next;
    }
    return body === null ? null : body.lastEventId;
  }

  async function poll() {
    if (closed) return;
    try {
      const token = await getToken();
      if (closed) return;
      const body = await page(token, lastEventId);
      if (body === null) {
        // nothing usable: try again at the next poll
      } else if (lastEventId === null) {
        // No position yet (no stream ever gave one): start where a stream opened without
        // Last-Event-ID starts, at the current end of the log. What is retained already is read
        // past, not handed over; the position is kept only once the end was reached.
        const position = await skipToEnd(token, body);
        if (position !== null && !closed) lastEventId = position;
      } else if (body.resyncRequired) {
        // Like the stream after resync_required: nothing from before the app's refetch is handed
        // over. Read to the current end first, so the refetch sees all that was skipped.
        const position = await skipToEnd(token, body);
        if (position !== null && !closed) resync(position);
      } else {
        for (const event of body.events) {
          if (isId(event.id)) deliver(event.id, event.data);
        }
      }
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
    get lastEventId() {
      return lastEventId;
    },
  };
}
