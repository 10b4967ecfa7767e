// Tabs of one user on one origin share one connection. The tab that holds a Web Lock (named for the
// service and the user) holds the connection, for the union of every tab's projects, and relays
// what it gets over a BroadcastChannel of the same name; each tab hands over only the events of
// its own projects. When the leader goes (its tab closes, the page calls close()), it sends its
// last cursor, the browser gives the lock to another tab, and that tab connects from the cursor.
// README.md beside this file says why a lock and not a SharedWorker.
//
// Messages on the channel (each with `from`, the sending tab's id):
//   hello {projects}        a tab arrived: the leader answers with sync
//   watch {projects}        a tab's projects changed, or it answers a new leader
//   bye                     a tab left
//   sync {to, tabs, position, state}   the leader's registry, cursor and state, for one tab
//   leader                  this tab now holds the lock
//   event {event, position} an event and the cursor once it is taken
//   resync {projectId, position}
//   denied {projectIds}     projects the user may not read: dropped everywhere
//   state {state}           the connection's state
//   full {to}               no room in the union (64 projects): that tab connects on its own
//   resign {position}       the leader closed its connection; nothing of it follows

import { PROJECT_ID } from "./events.js";

export const MAX_PROJECTS = 64;
// Part of the group's name: tabs with another version of these messages (a page loaded before a
// deployment) form a group of their own.
export const PROTOCOL = 1;
// How long a new leader waits for the previous one's `resign` (its last cursor) when it has not
// had it yet: the previous tab crashed, or its last messages are still on their way.
const HANDOVER_MS = 1000;

/** @typedef {import("./status-stream.js").StreamState} StreamState */
/** @typedef {import("./status-stream.js").ProjectEvent} ProjectEvent */
/** @typedef {import("./projects-connection.js").Position} Position */

/**
 * The page's side: what it watches, and what it is told.
 *
 * @typedef {object} Tab
 * @property {() => string[]} projects
 * @property {(event: ProjectEvent) => void} event
 * @property {(projectId: string) => void} resync
 * @property {(projectIds: string[]) => void} denied
 * @property {(state: StreamState) => void} state
 * @property {() => void} alone the union has no room for this tab's projects: it left the group
 *   and must connect on its own
 */

/**
 * What the leader opens: projects-connection.js with the page's transport.
 *
 * @typedef {(options: {
 *   projects: () => string[],
 *   position: Position | null,
 *   onEvent: (event: ProjectEvent, position: Position) => void,
 *   onResync: (projectId: string, position: Position) => void,
 *   onDenied: (projectIds: string[]) => void,
 *   onState: (state: StreamState) => void,
 * }) => { update(): void, close(): void, readonly position: Position | null }} Connect
 */

/**
 * @typedef {object} Locks the parts of `navigator.locks` used here
 * @property {(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void> | void) => Promise<unknown>} request
 * @property {() => Promise<{ held?: { name?: string }[] }>} [query]
 */

/**
 * Joins the group of tabs named `name`; `changed()` after the tab's projects changed, `leave()`
 * when it goes.
 *
 * @param {{
 *   name: string,
 *   tab: Tab,
 *   connect: Connect,
 *   BroadcastChannel: new (name: string) => BroadcastChannel,
 *   locks: Locks,
 *   setTimeout: (callback: () => void, delay: number) => unknown,
 *   clearTimeout: (handle: any) => void,
 * }} options
 * @returns {{ changed(): void, leave(): void, readonly leading: boolean }}
 */
export function shareAcrossTabs({ name, tab, connect, BroadcastChannel, locks, setTimeout, clearTimeout }) {
  const id = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;
  const tabLock = (/** @type {string} */ tabId) => `${name}|tab|${tabId}`;
  const channel = new BroadcastChannel(name);
  /** @type {Map<string, string[]>} the other tabs' projects, in the order they came */
  const others = new Map();
  /** @type {Position | null} the newest cursor this tab heard of */
  let position = null;
  /** @type {string | null} the tab known to hold the lock */
  let leaderId = null;
  let leading = false;
  /** @type {ReturnType<Connect> | null} */
  let connection = null;
  /** @type {StreamState | null} */
  let state = null;
  /** @type {string[]} */
  let union = [];
  /** @type {unknown} */
  let pending = null;
  let leaving = false;
  let left = false;
  let wake = () => {}; // ends the wait for the previous leader's resign
  let stepDown = () => {}; // releases the leader's lock
  let releaseTab = () => {}; // releases this tab's own lock
  const abort = new AbortController();

  /** @param {Record<string, unknown>} message */
  const post = (message) => {
    if (!left) channel.postMessage({ ...message, from: id });
  };
  /** @param {unknown} list @returns {string[]} */
  const strings = (list) => (Array.isArray(list) ? list.filter((item) => typeof item === "string" && PROJECT_ID.test(item)) : []);

  /** @param {string[]} projectIds */
  const drop = (projectIds) => {
    for (const [tabId, projects] of others) others.set(tabId, projects.filter((project) => !projectIds.includes(project)));
  };

  /** @param {MessageEvent} message */
  channel.onmessage = ({ data: m }) => {
    if (left || !m || typeof m !== "object" || typeof m.from !== "string" || m.from === id) return;
    switch (m.type) {
      case "hello":
      case "watch":
        others.set(m.from, strings(m.projects));
        if (m.type === "hello" && leading) {
          post({ type: "sync", to: m.from, tabs: [[id, tab.projects()], ...others], position: connection?.position ?? position, state });
        }
        return changed();
      case "bye":
        others.delete(m.from);
        return changed();
      case "sync":
        if (m.to !== id || !Array.isArray(m.tabs)) return;
        leaderId = m.from;
        for (const entry of m.tabs) if (Array.isArray(entry) && entry[0] !== id) others.set(String(entry[0]), strings(entry[1]));
        if (m.position) position = m.position;
        if (m.state) tab.state(m.state);
        return;
      case "leader":
        leaderId = m.from;
        post({ type: "watch", projects: tab.projects() });
        return;
      case "event":
        position = m.position;
        return tab.event(m.event);
      case "resync":
        position = m.position;
        return tab.resync(m.projectId);
      case "state":
        return tab.state(m.state);
      case "denied":
        drop(strings(m.projectIds));
        return tab.denied(strings(m.projectIds));
      case "full":
        if (m.to !== id) return;
        leave();
        return tab.alone();
      case "resign":
        if (m.position) position = m.position;
        if (leaderId === m.from) {
          leaderId = null;
          tab.state("reconnecting");
          wake();
        }
        return;
    }
  };

  // The leader's registry loses tabs that went without a `bye` (a crash): each tab holds a lock
  // of its own while it lives, and the browser releases it when the tab goes.
  async function prune() {
    if (typeof locks.query !== "function") return;
    try {
      const { held = [] } = await locks.query();
      const alive = new Set(held.map((lock) => lock.name));
      for (const tabId of [...others.keys()]) if (!alive.has(tabLock(tabId))) others.delete(tabId);
    } catch (error) {
      // no pruning this time
    }
  }

  // This tab's projects first, then the others' in the order they came, as long as the union
  // stays within what one connection may name; a tab that does not fit is told to go alone.
  function unite() {
    const all = new Set(tab.projects());
    for (const [tabId, projects] of others) {
      const more = projects.filter((project) => !all.has(project));
      if (all.size + more.length > MAX_PROJECTS) {
        others.delete(tabId);
        post({ type: "full", to: tabId });
      } else {
        for (const project of more) all.add(project);
      }
    }
    return [...all];
  }

  function changed() {
    if (connection === null || pending !== null) return;
    // Changes that come together make one reconnect.
    pending = setTimeout(async () => {
      await prune();
      pending = null;
      if (connection === null) return;
      union = unite();
      connection.update();
    }, 0);
  }

  async function lead() {
    if (left) return;
    leading = true;
    post({ type: "leader" });
    if (leaderId !== null && leaderId !== id) {
      // The previous leader's last events come before its resign, which carries its cursor.
      await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), HANDOVER_MS);
        wake = () => {
          clearTimeout(timer);
          resolve(undefined);
        };
      });
    }
    if (left) return;
    leaderId = id;
    await prune();
    if (left) return;
    union = unite();
    connection = connect({
      projects: () => union,
      position,
      onEvent: (event, at) => {
        position = at;
        post({ type: "event", event, position: at });
        tab.event(event);
      },
      onResync: (projectId, at) => {
        position = at;
        post({ type: "resync", projectId, position: at });
        tab.resync(projectId);
      },
      onDenied: (projectIds) => {
        drop(projectIds);
        post({ type: "denied", projectIds });
        tab.denied(projectIds);
        changed();
      },
      onState: (next) => {
        if (leaving) return;
        state = next;
        post({ type: "state", state: next });
        tab.state(next);
      },
    });
    await new Promise((resolve) => {
      stepDown = () => resolve(undefined);
    });
  }

  function leave() {
    if (left) return;
    leaving = true;
    if (connection !== null) {
      connection.close();
      post({ type: "resign", position: connection.position });
      connection = null;
    }
    post({ type: "bye" });
    left = true;
    clearTimeout(pending);
    wake();
    stepDown();
    abort.abort();
    releaseTab();
    channel.close();
  }

  // A tab announces itself only once its own lock is held, so that a leader never prunes a tab
  // it has heard of; then it queues for the leader's lock.
  locks
    .request(tabLock(id), {}, () => {
      if (left) return;
      post({ type: "hello", projects: tab.projects() });
      locks.request(name, { signal: abort.signal }, lead).catch(() => {});
      return new Promise((resolve) => {
        releaseTab = () => resolve(undefined);
      });
    })
    .catch(() => {});

  return {
    changed() {
      post({ type: "watch", projects: tab.projects() });
      changed();
    },
    leave,
    get leading() {
      return connection !== null;
    },
  };
}
