// What the client reads of the service's answers (docs/api.md): the event types it hands over, and
// the two kinds of position, a project's event id and a stream of several projects' cursor.

// The events of the API reference; others (and "connected") are not handed over.
export const EVENT_TYPES = new Set(["status_update", "progress_update", "new_proposal", "proposal_update", "proposal_deleted"]);

// Events per polling request (the endpoints' largest limit).
export const PAGE = 1000;

// Event ids are decimal integers (19 digits and more): compared as BigInt, kept as text.
/**
 * @param {unknown} text
 * @returns {text is string}
 */
export const isId = (text) => typeof text === "string" && /^[0-9]+$/.test(text);

// A cursor is opaque: base64url, at most 2,050 characters. Nothing else is taken for one.
/**
 * @param {unknown} text
 * @returns {text is string}
 */
export const isCursor = (text) => typeof text === "string" && /^[A-Za-z0-9_-]{1,4096}$/.test(text);

// A project id as the client keeps it: a UUID in lower case, as events carry it.
export const PROJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
