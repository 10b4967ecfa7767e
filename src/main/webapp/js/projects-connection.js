// One connection for several projects: `GET /api/status?project=…&project=…`, resumed from the
// stream's cursor, and `GET /api/events` of the same shape when it polls (docs/api.md, "Several
// projects on one connection"). The cursor is opaque: the client keeps the last one it got, and
// the projects of the request that gave it, and never looks inside.

import { keepOpen } from "./keep-open.js";
import { EVENT_TYPES, PAGE, isCursor } from "./events.js";

/** @typedef {import("./status-stream.js").StreamState} StreamState */
/** @typedef {import("./status-stream.js").ProjectEvent} ProjectEvent */
/** @typedef {import("./keep-open.js").Transport} Transport */

/**
 * Where a connection is: the last cursor, and the projects it holds a position for (those of
 * the request that gave it). A project the cursor does not name starts live on the stream.
 *
 * @typedef {{ cursor: string, projects: string[] }} Position
 */

/**
 * @typedef {object} ProjectsConnectionOptions
 * @property {() => string[]} projects the projects to connect, read at every connect and poll
 * @property {Position | null} position where to resume from (another tab's, at a takeover)
 * @property {(event: ProjectEvent, position: Position) => void} onEvent each event, with the
 *   position once it is taken
 * @property {(projectId: string, position: Position) => void} onResync the server cannot replay
 *   the project from the position
 * @property {(projectIds: string[]) => void} onDenied projects the token may not read (or that
 *   no longer exist); they make every connect of the set fail until they are dropped
 * @property {string} baseUrl
 * @property {typeof fetch} fetch
 */

/**
 * Keeps one connection open for `projects()` while there are any; `update()` after they change
 * reconnects from the cursor at once.
 *
 * @param {ProjectsConnectionOptions & Omit<Transport, "onState"> & { onState: (state: StreamState) => void }} options
 * @returns {{ update(): void, close(): void, readonly position: Position | null }}
 */
export function projectsConnection(options) {
  const { baseUrl, fetch, onEvent, onResync, onDenied, onState } = options;
  /** @type {Position | null} */
  let position = options.position;
  // Projects that polling reads up to the end of the log before it hands any of theirs over: the
  // polling endpoint reads a project the cursor does not name from its oldest event, where a
  // stream starts it live.
  const joining = new Set();
  /** @type {string[]} */
  let connected = []; // the projects of the latest stream or poll
  /** @type {{ close(): void, restart(): void } | null} */
  let connection = null;
  let closed = false;
  let checking = false;

  /** @param {string} path @param {string[]} projects */
  const endpoint = (path, projects) => {
    const url = new URL(`${baseUrl}${path}`, globalThis.location?.href);
    for (const project of projects) url.searchParams.append("project", project);
    return url;
  };

  /** @param {unknown} data @param {Position} at */
  const hand = (data, at) => {
    if (!data || typeof data !== "object") return;
    const event = /** @type {{ type?: unknown, projectId?: unknown }} */ (data);
    if (typeof event.projectId !== "string") return;
    if (event.type === "resync_required") onResync(event.projectId, at);
    else if (typeof event.type === "string" && EVENT_TYPES.has(event.type)) onEvent(/** @type {ProjectEvent} */ (data), at);
  };

  /** @param {string} token */
  function open(token) {
    const projects = (connected = options.projects());
    const url = endpoint("/api/status", projects);
    url.searchParams.set("access_token", token);
    if (position !== null) url.searchParams.set("lastEventId", position.cursor);
    /** @param {MessageEvent} message */
    const onMessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return; // unparsable: ignored, the stream goes on
      }
      // Only "connected" comes without an id; an id that is not a cursor is not one of ours.
      const id = message.lastEventId || "";
      if (!isCursor(id)) return;
      // Every frame with an id is taken, also of a type we do not hand over: the cursor is
      // where the stream is once that frame is taken.
      position = { cursor: id, projects };
      for (const project of projects) joining.delete(project);
      hand(data, position);
    };
    return { url, onMessage };
  }

  /** @param {string} token @param {() => boolean} isClosed */
  async function poll(token, isClosed) {
    const projects = (connected = options.projects());
    for (const project of [...joining]) if (!projects.includes(project)) joining.delete(project);
    for (const project of projects) if (position === null || !position.projects.includes(project)) joining.add(project);
    for (;;) {
      const url = endpoint("/api/events", projects);
      if (position !== null) url.searchParams.set("after", position.cursor);
      url.searchParams.set("limit", String(PAGE));
      const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      if (isClosed()) return;
      if (response.status === 403) return checkAccess(token);
      if (!response.ok) return;
      const body = await response.json();
      if (isClosed() || !body || !Array.isArray(body.events) || !isCursor(body.lastEventId)) return;
      for (const entry of body.events) {
        if (!entry || !isCursor(entry.id)) continue;
        position = { cursor: entry.id, projects };
        const project = entry.data && entry.data.projectId;
        if (!joining.has(project)) hand(entry.data, position);
      }
      position = { cursor: body.lastEventId, projects };
      if (body.events.length < PAGE) {
        joining.clear(); // every project is at the end of the log
        return;
      }
      if (joining.size === 0) return; // a backlog: the next poll reads on
    }
  }

  // A connect of several projects fails as a whole when the token may not read one of them (a
  // project deleted, a membership removed): EventSource does not say why, so ask. HEAD runs the
  // stream's checks without opening one.
  /** @param {string} token */
  async function checkAccess(token) {
    if (checking) return;
    checking = true;
    try {
      const projects = connected;
      /** @param {URL} url */
      const status = async (url) => {
        try {
          const response = await fetch(url, { method: "HEAD", headers: { Authorization: `Bearer ${token}` } });
          return response.status;
        } catch (error) {
          return 0;
        }
      };
      if ((await status(endpoint("/api/status", projects))) !== 403) return;
      const answers = await Promise.all(
        projects.map((project) => status(endpoint(`/api/projects/${encodeURIComponent(project)}/status`, []))),
      );
      const denied = projects.filter((_, i) => answers[i] === 403);
      if (!closed && denied.length > 0) onDenied(denied);
    } finally {
      checking = false;
    }
  }

  const protocol = {
    hasPosition: () => position !== null,
    open,
    poll,
    /** @param {string} token */
    connectFailed: (token) => void checkAccess(token),
  };

  function update() {
    if (closed) return;
    const projects = options.projects();
    if (projects.length === 0) {
      connection?.close();
      connection = null;
    } else if (connection === null) {
      connection = keepOpen(protocol, { ...options, onState });
    } else if (projects.length !== connected.length || projects.some((project) => !connected.includes(project))) {
      connection.restart();
    }
  }

  update();

  return {
    update,
    close() {
      if (closed) return;
      closed = true;
      connection?.close();
    },
    get position() {
      return position;
    },
  };
}
