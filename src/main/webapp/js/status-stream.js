// status-stream browser client: a plain ES module, no build step. Its API, options and behaviour
// (reconnecting, backoff, polling, resync) are in README.md beside it, its types in
// status-stream.d.ts.

import { DEFAULT_RETRY_MS, keepOpen } from "./keep-open.js";
import { EVENT_TYPES, PAGE, isId } from "./events.js";

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
  let closed = false;

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

  /** @param {string} path */
  const endpoint = (path) => new URL(`${baseUrl}/api/projects/${encodeURIComponent(projectId)}/${path}`, globalThis.location?.href);

  /** @param {string} token */
  function open(token) {
    const url = endpoint("status");
    url.searchParams.set("access_token", token);
    if (lastEventId !== null) url.searchParams.set("lastEventId", lastEventId);
    let previousId = ""; // the id EventSource reported for the previous frame of this stream
    /** @param {MessageEvent} message */
    const onMessage = (message) => {
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
    return { url, onMessage };
  }

  // One answer of the polling endpoint, events after `after` (null: from the oldest retained);
  // null when there is none to use (an error status, a malformed body, or close() meanwhile).
  /** @type {(token: string, after: string | null) => Promise<EventPage | null>} */
  async function page(token, after) {
    const url = endpoint("events");
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

  /** @param {string} token */
  async function poll(token) {
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
  }

  const connection = keepOpen(
    { hasPosition: () => lastEventId !== null, open, poll },
    { getToken, onState, retryMillis, EventSource, setTimeout, clearTimeout, random, now },
  );

  return {
    close() {
      closed = true;
      connection.close();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
