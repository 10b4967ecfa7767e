// What the client reads of the service's answers (docs/api.md): the event types it hands over, and
// a project's event id.

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
