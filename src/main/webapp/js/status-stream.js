// status-stream browser client: a plain ES module, no build step.
//
//   import { connect } from "/js/status-stream.js";
//   const stream = connect({
//     projectId,
//     getToken: async () => (await auth.session()).accessToken, // called before every (re)connect
//     onEvent: (event) => { ... },        // each project event, parsed, exactly once, in order
//     onState: (state) => { ... },        // connecting | open | reconnecting | polling | closed
//     onResync: () => refetchEverything(),// the stream cannot replay what was missed
//     retryMillis: 3000,                  // optional: the server's STREAM_RETRY_MILLIS
//   });
//   stream.close();
//
// It reconnects with exponential backoff and jitter (the server's retry, 3 s, doubling up to 30 s,
// each delay drawn from half to one and a half times that), resumes from the last event id, fetches
// a fresh token before every reconnect, falls back to the polling endpoint after repeated stream
// failures and goes back to streaming when it can.

// The stream says `retry: 3000` (STREAM_RETRY_MILLIS), but EventSource does not tell us, so the
// client starts from the same figure; pass `retryMillis` when the server is configured otherwise.
const DEFAULT_RETRY_MS = 3000;
const MAX_DELAY_MS = 30000;
const FAILURES_BEFORE_POLLING = 3;
const POLL_INTERVAL_MS = 3000;
const STREAM_RETRY_WHILE_POLLING_MS = 30000;

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
  let lastEventId = null;
  let failures = 0;
  let source = null;
  let timer = null;
  let closed = false;
  let state = null;

  const setState = (next) => {
    if (next !== state) {
      state = next;
      onState(next);
    }
  };

  // Every project event passes here: ids only grow, so nothing is handed over twice.
  const deliver = (id, data) => {
    if (id !== null && lastEventId !== null && BigInt(id) <= BigInt(lastEventId)) {
      return;
    }
    if (id !== null) {
      lastEventId = id;
    }
    if (data && data.type === "resync_required") {
      onResync();
      return;
    }
    if (data && data.type === "connected") {
      return;
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
    es.onopen = () => {
      opened = true;
      failures = 0;
      setState("open");
    };
    es.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return; // unparsable: ignored, the stream goes on
      }
      deliver(message.lastEventId || null, data);
    };
    es.onerror = () => {
      // EventSource would retry by itself with the same token and URL; we reconnect ourselves
      // so that a fresh token and our last event id are used.
      es.close();
      if (source === es) source = null;
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

  async function poll() {
    if (closed) return;
    try {
      const token = await getToken();
      if (closed) return;
      const url = new URL(`${baseUrl}/api/projects/${encodeURIComponent(projectId)}/events`, globalThis.location?.href);
      if (lastEventId !== null) url.searchParams.set("after", lastEventId);
      url.searchParams.set("limit", "1000");
      const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      if (closed) return;
      if (response.ok) {
        const body = await response.json();
        if (closed) return;
        if (body.resyncRequired) onResync();
        for (const event of body.events) deliver(event.id, event.data);
        if (lastEventId === null) lastEventId = body.lastEventId;
      }
    } catch (error) {
      // still unreachable: keep polling
    }
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
