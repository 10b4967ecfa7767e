// status-stream browser client: a plain ES module, no build step. Its API, options and behaviour
// (reconnecting, backoff, polling, resync) are in README.md beside it, its types in
// status-stream.d.ts.

import { DEFAULT_RETRY_MS, keepOpen } from "./keep-open.js";
import { EVENT_TYPES, PAGE, PROJECT_ID, isId } from "./events.js";
import { projectsConnection } from "./projects-connection.js";
import { MAX_PROJECTS, PROTOCOL, shareAcrossTabs } from "./tab-sharing.js";

// The types are declared in status-stream.d.ts; `tsc --checkJs` checks this file against them
// (src/test/js/check-types.sh).
/** @typedef {import("./status-stream.js").ConnectOptions} ConnectOptions */
/** @typedef {import("./status-stream.js").StatusStream} StatusStream */
/** @typedef {import("./status-stream.js").StreamState} StreamState */
/** @typedef {import("./status-stream.js").WatchOptions} WatchOptions */
/** @typedef {import("./status-stream.js").ProjectsStream} ProjectsStream */
/** @typedef {import("./status-stream.js").ProjectEvent} ProjectEvent */
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

/**
 * The user a token is for, from its payload (not verified: it only names the group of tabs that
 * share a connection, the server checks the token), or null when it is no JWT with a `sub`.
 *
 * @param {string} token
 * @returns {string | null}
 */
function userOf(token) {
  try {
    const part = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims.sub !== "string" || claims.sub === "") return null;
    return JSON.stringify([typeof claims.iss === "string" ? claims.iss : null, claims.sub]);
  } catch (error) {
    return null;
  }
}

/**
 * Watches several projects on one connection, shared by the tabs of the same user on this origin,
 * until `close()`; `add()` and `remove()` change the projects, reconnecting from the cursor
 * (README.md beside this file).
 *
 * @param {WatchOptions} options
 * @returns {ProjectsStream}
 */
export function watch({
  projectIds = [],
  getToken,
  onEvent = () => {},
  onState = () => {},
  onResync = () => {},
  onForbidden = () => {},
  baseUrl = "",
  retryMillis = DEFAULT_RETRY_MS, // the first reconnect delay, before jitter
  share = true, // false: this page connects on its own
  shareKey, // names the group of tabs that share; default: the token's issuer and subject
  // For tests and other hosts: the browser's globals unless given.
  EventSource = globalThis.EventSource,
  fetch = (...args) => globalThis.fetch(...args),
  setTimeout = (...args) => globalThis.setTimeout(...args),
  clearTimeout = (...args) => globalThis.clearTimeout(...args),
  random = Math.random,
  now = Date.now,
  BroadcastChannel = globalThis.BroadcastChannel,
  locks = globalThis.navigator?.locks,
}) {
  /** @type {Set<string>} */
  const watched = new Set();
  /** @type {StreamState | null} */
  let state = null;
  let closed = false;
  /** @type {{ changed(): void, leave(): void } | null} */
  let link = null;

  /** @param {readonly unknown[]} ids @returns {string[]} */
  const valid = (ids) =>
    ids.map((id) => {
      const text = typeof id === "string" ? id.toLowerCase() : "";
      if (!PROJECT_ID.test(text)) throw new TypeError(`status-stream: not a project id: ${String(id)}`);
      return text;
    });
  /** @param {(...args: any[]) => void} handler @param {string} what @param {unknown} arg */
  const call = (handler, what, arg) => {
    try {
      handler(arg);
    } catch (error) {
      console.error(`status-stream: ${what} failed`, error);
    }
  };

  /** @param {readonly unknown[]} ids */
  const add = (ids) => {
    const more = valid(ids).filter((id) => !watched.has(id));
    if (watched.size + more.length > MAX_PROJECTS) {
      throw new RangeError(`status-stream: at most ${MAX_PROJECTS} projects on one connection`);
    }
    for (const id of more) watched.add(id);
    return more.length > 0;
  };
  add(projectIds);

  /** @type {import("./tab-sharing.js").Tab} */
  const tab = {
    projects: () => [...watched],
    event(event) {
      if (!closed && watched.has(event.projectId)) call(onEvent, "onEvent", event);
    },
    resync(projectId) {
      if (!closed && watched.has(projectId)) call(onResync, "onResync", projectId);
    },
    denied(projectIds) {
      const dropped = projectIds.filter((id) => watched.delete(id));
      if (dropped.length === 0) return;
      link?.changed();
      for (const id of dropped) call(onForbidden, "onForbidden", id);
    },
    state(next) {
      if (!closed && next !== state) {
        state = next;
        onState(next);
      }
    },
    alone() {
      if (!closed) link = alone();
    },
  };

  const transport = { getToken, baseUrl, fetch, retryMillis, EventSource, setTimeout, clearTimeout, random, now };
  /** @type {Pick<Parameters<typeof projectsConnection>[0], "onEvent" | "onResync" | "onDenied" | "onState">} */
  const toTab = {
    onEvent: (event) => tab.event(event),
    onResync: (projectId) => tab.resync(projectId),
    onDenied: (projectIds) => tab.denied(projectIds),
    onState: (next) => tab.state(next),
  };

  function alone() {
    const connection = projectsConnection({ ...transport, ...toTab, projects: tab.projects, position: null });
    return { changed: () => connection.update(), leave: () => connection.close() };
  }

  /** @param {string} name @param {string | null} user the token's user, when it names the group */
  function together(name, user) {
    // A leader whose token is for another user than the group's (a new login) leaves the group
    // before it connects, and joins that user's.
    const checkedToken = async () => {
      const token = await getToken();
      if (user !== null && userOf(token) !== user) {
        setTimeout(() => {
          link?.leave();
          if (!closed) start();
        }, 0);
        throw new Error("status-stream: the token is for another user");
      }
      return token;
    };
    return shareAcrossTabs({
      name,
      tab,
      BroadcastChannel,
      locks,
      setTimeout,
      clearTimeout,
      connect: (options) => projectsConnection({ ...transport, ...options, getToken: checkedToken }),
    });
  }

  async function start() {
    link = null;
    tab.state("connecting");
    if (!share || typeof BroadcastChannel !== "function" || typeof locks?.request !== "function") {
      link = alone();
      return;
    }
    let user = null;
    if (typeof shareKey !== "string" || shareKey === "") {
      try {
        user = userOf(await getToken());
      } catch (error) {
        // no token to tell the user by: this tab connects on its own
      }
      if (closed) return;
      if (user === null) {
        link = alone();
        return;
      }
    }
    let service = baseUrl;
    try {
      service = new URL(baseUrl || "/", globalThis.location?.href).origin;
    } catch (error) {
      // a baseUrl that is no URL names itself
    }
    const group = user === null ? `key ${shareKey}` : `user ${user}`;
    link = together(`status-stream/${PROTOCOL} ${service} ${group}`, user);
  }

  // A page that goes away hands the connection over at once; one that comes back from the
  // back-forward cache joins again.
  const onPageHide = () => {
    link?.leave();
    link = null;
  };
  /** @param {Event} event */
  const onPageShow = (event) => {
    if (/** @type {PageTransitionEvent} */ (event).persisted && !closed && link === null) start();
  };
  globalThis.addEventListener?.("pagehide", onPageHide);
  globalThis.addEventListener?.("pageshow", onPageShow);

  start();

  return {
    add(...ids) {
      if (closed) return;
      if (add(ids)) link?.changed();
    },
    remove(...ids) {
      if (closed) return;
      const removed = valid(ids).filter((id) => watched.delete(id));
      if (removed.length > 0) link?.changed();
    },
    get projectIds() {
      return [...watched];
    },
    close() {
      if (closed) return;
      globalThis.removeEventListener?.("pagehide", onPageHide);
      globalThis.removeEventListener?.("pageshow", onPageShow);
      closed = true;
      link?.leave();
      link = null;
      if (state !== "closed") {
        state = "closed";
        onState("closed");
      }
    },
  };
}
