// Tests of the browser client (src/main/webapp/js/status-stream.js) with Node's test runner:
//   node --test src/test/js/*.test.mjs       (./mvnw test runs them too, see src/test/js/run-tests.sh)
// Nothing here touches a network or the real clock: the client is given a fake EventSource, a fake
// fetch and fake timers, and each test drives them by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
// The package's package.json says "type": "module", so Node loads the browser file as it is.
import { connect } from "../../main/webapp/js/status-stream.js";
import { fakeClock, fakeEventSourceClass, settle } from "./fakes.mjs";

const PROJECT = "6f1c2a3e-0000-4000-8000-000000000001";
const BASE = "https://status.test";

const event = (n) => ({ type: "progress_update", jobId: "j", progress: { stage: "s", current: n, total: 99 } });

/**
 * A client wired to fakes. `answer(url)` makes the polling endpoint's JSON for a request, or an
 * HTTP status (a number) to fail it with.
 */
function setup({ answer = () => ({ events: [], lastEventId: "0" }), ...options } = {}) {
  const clock = fakeClock();
  const EventSource = fakeEventSourceClass();
  const seen = { events: [], states: [], resyncs: 0, tokens: 0, polls: [] };
  const fetch = async (url, init) => {
    const u = new URL(String(url));
    seen.polls.push({ url: u, init });
    const body = answer(u);
    if (typeof body === "number") return { ok: false, status: body, json: async () => ({ error: "x" }) };
    return { ok: true, status: 200, json: async () => JSON.parse(JSON.stringify(body)) };
  };
  const stream = connect({
    projectId: PROJECT,
    baseUrl: BASE,
    getToken: async () => `token-${++seen.tokens}`,
    onEvent: (e) => seen.events.push(e),
    onState: (s) => seen.states.push(s),
    onResync: () => seen.resyncs++,
    EventSource,
    fetch,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: clock.now,
    random: () => 0.5,
    ...options,
  });
  const currents = () => seen.events.map((e) => e.progress.current);
  return { clock, EventSource, seen, stream, currents };
}

/** Fails `count` connects in a row (each one not opened), waiting out the delays between them. */
async function failConnects(t, count) {
  for (let i = 0; i < count; i++) {
    await settle();
    const before = t.EventSource.instances.length;
    t.EventSource.latest().fail();
    if (i < count - 1) {
      await t.clock.advance(120_000 / 4);
      assert.equal(t.EventSource.instances.length, before + 1, "it tried again");
    }
  }
  await t.clock.advance(0); // the first poll is due at once
}

test("each event is handed over once, in order, across a reconnect that resumes from the last id", async () => {
  const t = setup();
  await settle();
  const first = t.EventSource.latest();
  assert.equal(first.url.pathname, `/api/projects/${PROJECT}/status`);
  assert.equal(first.url.searchParams.get("lastEventId"), null);
  first.connected();
  first.send(event(1), "1");
  first.send(event(2), "2");
  first.fail();
  assert.ok(first.closed);
  await t.clock.advance(60_000);

  const second = t.EventSource.latest();
  assert.notEqual(second, first);
  assert.equal(second.url.searchParams.get("lastEventId"), "2");
  second.connected();
  second.send(event(2), "2"); // already handed over
  second.send(event(3), "3");
  assert.deepEqual(t.currents(), [1, 2, 3]);
  assert.equal(t.stream.lastEventId, "3");
  t.stream.close();
});

test("ids are compared as integers of any length, not as text or doubles", async () => {
  const t = setup();
  await settle();
  const es = t.EventSource.latest();
  es.connected();
  es.send(event(1), "9007199254740993");
  es.send(event(2), "9007199254740992"); // below: a duplicate, though equal as a double
  es.send(event(3), "10000000000000000000");
  es.send(event(4), "9999999999999999999");
  assert.deepEqual(t.currents(), [1, 3]);
  t.stream.close();
});

test("a fresh token is fetched before every connect and every poll", async () => {
  const t = setup();
  await settle();
  assert.equal(t.EventSource.latest().url.searchParams.get("access_token"), "token-1");
  t.EventSource.latest().connected();
  t.EventSource.latest().fail();
  await t.clock.advance(60_000);
  assert.equal(t.EventSource.latest().url.searchParams.get("access_token"), "token-2");
  await failConnects(t, 3);
  assert.equal(t.seen.states.at(-1), "polling");
  const poll = t.seen.polls.at(-1);
  assert.equal(poll.init.headers.Authorization, `Bearer token-${t.seen.tokens}`);
  const tokensBefore = t.seen.tokens;
  await t.clock.advance(3_000);
  assert.equal(t.seen.polls.at(-1).init.headers.Authorization, `Bearer token-${tokensBefore + 1}`);
  t.stream.close();
});

test("after three failed connects it polls, and tries streaming again every 30 s", async () => {
  const t = setup();
  await failConnects(t, 3);
  assert.equal(t.EventSource.instances.length, 3);
  assert.equal(t.seen.states.at(-1), "polling");
  assert.ok(t.seen.polls.length >= 1);
  assert.equal(t.seen.polls[0].url.pathname, `/api/projects/${PROJECT}/events`);

  await t.clock.advance(25_000);
  assert.equal(t.EventSource.instances.length, 3, "still polling");
  assert.ok(t.seen.polls.length >= 5, "polling goes on");
  await t.clock.advance(10_000);
  assert.equal(t.EventSource.instances.length, 4, "a stream is tried again");
  t.EventSource.latest().connected();
  assert.equal(t.seen.states.at(-1), "open");
  const polls = t.seen.polls.length;
  await t.clock.advance(60_000);
  assert.equal(t.seen.polls.length, polls, "no polling while streaming");
  t.stream.close();
});

test("unparsable messages are skipped and the stream goes on", async () => {
  const t = setup();
  await settle();
  const es = t.EventSource.latest();
  es.connected();
  es.send("{not json", "1");
  es.send(event(2), "2");
  assert.deepEqual(t.currents(), [2]);
  assert.equal(t.seen.states.at(-1), "open");
  t.stream.close();
});

test("close() stops everything and reports closed", async () => {
  const t = setup();
  await settle();
  const es = t.EventSource.latest();
  es.connected();
  t.stream.close();
  assert.ok(es.closed);
  assert.equal(t.seen.states.at(-1), "closed");
  es.fail(); // a late callback of the closed source changes nothing
  es.send(event(1), "1");
  assert.equal(t.seen.states.at(-1), "closed");
  assert.deepEqual(t.seen.events, []);
  await t.clock.advance(600_000);
  assert.equal(t.EventSource.instances.length, 1);
  assert.equal(t.seen.polls.length, 0);
});

/** A getToken whose answers the test releases one by one. */
function heldTokens() {
  const waiting = [];
  let n = 0;
  const getToken = () => new Promise((resolve) => waiting.push(() => resolve(`held-${++n}`)));
  return { getToken, pending: () => waiting.length, release: () => waiting.shift()() };
}

test("(b) close() while getToken() is pending opens no stream and sends no poll afterwards", async (t) => {
  await t.test("while connecting", async () => {
    const tokens = heldTokens();
    const c = setup({ getToken: tokens.getToken });
    await settle();
    assert.equal(tokens.pending(), 1);
    c.stream.close();
    tokens.release();
    await c.clock.advance(600_000);
    assert.equal(c.EventSource.instances.length, 0, "no stream after close()");
    assert.equal(c.seen.polls.length, 0);
    assert.deepEqual(c.seen.states, ["connecting", "closed"]);
  });

  await t.test("while reconnecting", async () => {
    const tokens = heldTokens();
    const c = setup({ getToken: tokens.getToken });
    await settle();
    tokens.release();
    await settle();
    c.EventSource.latest().connected();
    c.EventSource.latest().fail();
    await c.clock.advance(60_000);
    assert.equal(tokens.pending(), 1, "the reconnect waits for its token");
    c.stream.close();
    tokens.release();
    await c.clock.advance(600_000);
    assert.equal(c.EventSource.instances.length, 1, "no stream after close()");
    assert.equal(c.seen.states.at(-1), "closed");
  });

  await t.test("while polling", async () => {
    let hold = false;
    const tokens = heldTokens();
    let answered = 0;
    const c = setup({
      getToken: async () => (hold ? tokens.getToken() : "t"),
      answer: () => ({ events: [{ id: String(++answered), data: event(answered) }], lastEventId: String(answered) }),
    });
    await failConnects(c, 3);
    assert.equal(c.seen.states.at(-1), "polling");
    const polls = c.seen.polls.length;
    const delivered = c.seen.events.length;
    hold = true;
    await c.clock.advance(3_000);
    assert.equal(tokens.pending(), 1, "the next poll waits for its token");
    c.stream.close();
    tokens.release();
    await c.clock.advance(600_000);
    assert.equal(c.seen.polls.length, polls, "no poll after close()");
    assert.equal(c.seen.events.length, delivered);
    assert.equal(c.EventSource.instances.length, 3);
  });
});

/** Waits until `ms` has passed and reports whether a new EventSource was made before and at it. */
async function reconnectsAfter(c, ms) {
  const count = c.EventSource.instances.length;
  await c.clock.advance(ms - 1);
  const early = c.EventSource.instances.length > count;
  await c.clock.advance(1);
  const onTime = c.EventSource.instances.length > count;
  return { early, onTime };
}

test("(c) reconnects after the server's retry (3 s) with jitter, then backs off exponentially", async (t) => {
  await t.test("a dropped stream is retried within [1.5 s, 4.5 s], not at once", async () => {
    for (const [r, delay] of [
      [0, 1500],
      [0.5, 3000],
      [0.999, 4497],
    ]) {
      const c = setup({ random: () => r });
      await settle();
      c.EventSource.latest().connected();
      c.EventSource.latest().fail();
      assert.equal(c.seen.states.at(-1), "reconnecting");
      assert.deepEqual(await reconnectsAfter(c, delay), { early: false, onTime: true }, `random ${r}`);
      c.stream.close();
    }
  });

  await t.test("each further failed connect doubles the delay, then polling takes over", async () => {
    const c = setup({ random: () => 0 });
    await settle();
    c.EventSource.latest().connected();
    c.EventSource.latest().fail();
    assert.deepEqual(await reconnectsAfter(c, 1500), { early: false, onTime: true });
    c.EventSource.latest().fail(); // not opened: the second failure in a row
    assert.deepEqual(await reconnectsAfter(c, 3000), { early: false, onTime: true });
    c.EventSource.latest().fail();
    await c.clock.advance(0);
    assert.equal(c.seen.states.at(-1), "polling");
    c.stream.close();
  });

  await t.test("a first connect that fails is retried after the same delays", async () => {
    const c = setup({ random: () => 0 });
    await settle();
    c.EventSource.latest().fail();
    assert.deepEqual(await reconnectsAfter(c, 1500), { early: false, onTime: true });
    c.stream.close();
  });

  await t.test("retryMillis sets the base delay", async () => {
    const c = setup({ random: () => 0, retryMillis: 10_000 });
    await settle();
    c.EventSource.latest().connected();
    c.EventSource.latest().fail();
    assert.deepEqual(await reconnectsAfter(c, 5_000), { early: false, onTime: true });
    c.EventSource.latest().fail();
    assert.deepEqual(await reconnectsAfter(c, 10_000), { early: false, onTime: true });
    c.stream.close();
  });

  await t.test("the doubling stops at 30 s", async () => {
    const c = setup({ random: () => 0, retryMillis: 20_000 });
    await settle();
    c.EventSource.latest().fail();
    assert.deepEqual(await reconnectsAfter(c, 10_000), { early: false, onTime: true });
    c.EventSource.latest().fail();
    assert.deepEqual(await reconnectsAfter(c, 15_000), { early: false, onTime: true });
    c.stream.close();
  });
});

/**
 * The polling endpoint over a log holding `retained` (ascending ids; the head is the last one or
 * `head`), answering as EventsResource does: without `after` from the oldest retained event;
 * `resyncRequired` when `after` is older than retention (continuing from the oldest retained) or
 * newer than the head (continuing from the head).
 */
function fakeLog(retained, head = retained.at(-1) ?? 0) {
  const log = {
    ids: [...retained],
    head,
    append(...ids) {
      log.ids.push(...ids);
      log.head = ids.at(-1);
    },
    answer(url) {
      const afterText = url.searchParams.get("after");
      const limit = Number(url.searchParams.get("limit") ?? 100);
      let from = afterText === null ? 0 : Number(afterText);
      const oldest = log.ids.length > 0 ? log.ids[0] : log.head + 1;
      const resync = from > log.head || (from < log.head && from + 1 < oldest);
      if (resync) from = from > log.head ? log.head : oldest - 1;
      const events = log.ids.filter((id) => id > from).slice(0, limit);
      return {
        events: events.map((id) => ({ id: String(id), data: event(id) })),
        lastEventId: String(events.length > 0 ? events.at(-1) : from),
        ...(resync ? { resyncRequired: true } : {}),
      };
    },
  };
  return log;
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A client that streamed events 1..`upTo`, lost its stream and fell back to polling `log`. */
async function pollingAfter(upTo, log) {
  const c = setup({ answer: (url) => log.answer(url), random: () => 0 });
  await settle();
  const es = c.EventSource.latest();
  es.connected();
  for (const n of range(1, upTo)) es.send(event(n), String(n));
  es.fail();
  await c.clock.advance(1500);
  await failConnects(c, 2);
  assert.equal(c.seen.states.at(-1), "polling");
  return c;
}

test("(a) after resync_required the client adopts the position the server gives", async (t) => {
  await t.test("stream, the frame has an id: resumes from it, even when it is lower", async () => {
    const c = setup({ random: () => 0 });
    await settle();
    const first = c.EventSource.latest();
    first.connected();
    first.send(event(500), "500");
    first.fail();
    await c.clock.advance(1500);
    const second = c.EventSource.latest();
    assert.equal(second.url.searchParams.get("lastEventId"), "500");
    // The database was restored: the project is at 7 now.
    second.connected();
    second.send({ type: "resync_required" }, "7");
    assert.equal(c.seen.resyncs, 1);
    assert.equal(c.stream.lastEventId, "7");
    second.send(event(8), "8");
    second.send(event(9), "9");
    assert.deepEqual(c.currents(), [500, 8, 9]);
    second.fail();
    await c.clock.advance(1500);
    assert.equal(c.EventSource.latest().url.searchParams.get("lastEventId"), "9");
    c.EventSource.latest().connected();
    assert.equal(c.seen.resyncs, 1, "no resync again");
    c.stream.close();
  });

  await t.test("stream, the frame has no id: forgets its position and resumes from now", async () => {
    const c = setup({ random: () => 0 });
    await settle();
    const first = c.EventSource.latest();
    first.connected();
    first.send(event(500), "500");
    first.fail();
    await c.clock.advance(1500);
    const second = c.EventSource.latest();
    second.connected();
    second.send({ type: "resync_required" }); // the project has no events any more
    assert.equal(c.seen.resyncs, 1);
    assert.equal(c.stream.lastEventId, null);
    second.fail();
    await c.clock.advance(1500);
    const third = c.EventSource.latest();
    assert.equal(third.url.searchParams.get("lastEventId"), null, "connects without a position");
    third.connected();
    third.send(event(1), "1");
    third.send(event(2), "2");
    assert.deepEqual(c.currents(), [500, 1, 2]);
    assert.equal(c.seen.resyncs, 1);
    c.stream.close();
  });

  await t.test("stream, mid-stream frame without an id (EventSource repeats the last id)", async () => {
    const c = setup();
    await settle();
    const es = c.EventSource.latest();
    es.connected();
    es.send(event(499), "499");
    es.send(event(500), "500");
    es.send({ type: "resync_required" }); // the fake, like EventSource, reports lastEventId "500"
    assert.equal(c.seen.resyncs, 1);
    assert.equal(c.stream.lastEventId, null);
    es.send(event(1), "1");
    assert.deepEqual(c.currents(), [499, 500, 1]);
    c.stream.close();
  });

  await t.test("polling, after a restore: adopts lastEventId of the answer", async () => {
    const log = fakeLog(range(1, 7));
    const c = await pollingAfter(500, log);
    assert.equal(c.seen.resyncs, 1);
    assert.equal(c.stream.lastEventId, "7");
    log.append(8);
    await c.clock.advance(3_000);
    assert.equal(c.seen.polls.at(-1).url.searchParams.get("after"), "7");
    assert.deepEqual(c.currents(), [...range(1, 500), 8]);
    await c.clock.advance(9_000);
    assert.equal(c.seen.resyncs, 1, "no resync on every poll");
    c.stream.close();
  });

  await t.test("polling, position older than retention: skips to the end, then resyncs", async () => {
    const log = fakeLog(range(2001, 4500));
    const c = await pollingAfter(10, log);
    assert.equal(c.seen.resyncs, 1);
    assert.equal(c.stream.lastEventId, "4500");
    assert.deepEqual(c.currents(), range(1, 10), "nothing older than the refetch is handed over");
    log.append(4501);
    await c.clock.advance(3_000);
    assert.deepEqual(c.currents(), [...range(1, 10), 4501]);
    assert.equal(c.seen.resyncs, 1);
    c.stream.close();
  });
});

test("(d) polling without a position starts at the current end of the log, handing over nothing older", async (t) => {
  /** A client whose first three connects fail, so it polls before it ever had a position. */
  async function pollingFromTheStart(answer) {
    const c = setup({ answer, random: () => 0 });
    await failConnects(c, 3);
    assert.equal(c.seen.states.at(-1), "polling");
    return c;
  }

  await t.test("a long retained history", async () => {
    const log = fakeLog(range(1, 2500));
    const c = await pollingFromTheStart((url) => log.answer(url));
    assert.deepEqual(c.currents(), [], "the history is not handed over");
    assert.equal(c.stream.lastEventId, "2500");
    assert.equal(c.seen.resyncs, 0);
    log.append(2501, 2502);
    await c.clock.advance(3_000);
    assert.deepEqual(c.currents(), [2501, 2502]);
    await c.clock.advance(30_000);
    assert.equal(c.EventSource.latest().url.searchParams.get("lastEventId"), "2502");
    c.stream.close();
  });

  await t.test("the oldest events purged (the endpoint then says resyncRequired)", async () => {
    const log = fakeLog(range(101, 1500));
    const c = await pollingFromTheStart((url) => log.answer(url));
    assert.deepEqual(c.currents(), []);
    assert.equal(c.stream.lastEventId, "1500");
    assert.equal(c.seen.resyncs, 0, "there was no position to lose");
    log.append(1501);
    await c.clock.advance(3_000);
    assert.deepEqual(c.currents(), [1501]);
    c.stream.close();
  });

  await t.test("a project without events", async () => {
    const log = fakeLog([]);
    const c = await pollingFromTheStart((url) => log.answer(url));
    assert.equal(c.stream.lastEventId, "0");
    log.append(1);
    await c.clock.advance(3_000);
    assert.deepEqual(c.currents(), [1]);
    c.stream.close();
  });

  await t.test("a page that fails half-way: the next poll starts over, still handing over nothing old", async () => {
    const log = fakeLog(range(1, 2500));
    let failOnce = true;
    const c = await pollingFromTheStart((url) => {
      if (url.searchParams.get("after") === "1000" && failOnce) {
        failOnce = false;
        return 503;
      }
      return log.answer(url);
    });
    assert.equal(failOnce, false);
    assert.equal(c.stream.lastEventId, null, "no position from half a catch-up");
    await c.clock.advance(3_000);
    assert.deepEqual(c.currents(), []);
    assert.equal(c.stream.lastEventId, "2500");
    c.stream.close();
  });
});

test("unknown types and payloads that are not events are ignored, but still count as seen", async () => {
  const t = setup();
  await settle();
  const es = t.EventSource.latest();
  es.connected();
  es.send({ type: "something_new", x: 1 }, "1");
  es.send("42", "2");
  es.send("null", "3");
  es.send({ no: "type" }, "4");
  es.send(event(5), "5");
  es.send({ type: "proposal_deleted", proposalId: "p" }, "6");
  assert.deepEqual(t.seen.events, [event(5), { type: "proposal_deleted", proposalId: "p" }]);
  assert.equal(t.stream.lastEventId, "6");
  t.stream.close();
});

test("called as the demo page calls it, it uses the browser's globals", async () => {
  const EventSource = fakeEventSourceClass();
  const saved = { EventSource: globalThis.EventSource, location: globalThis.location, fetch: globalThis.fetch };
  const fetched = [];
  globalThis.EventSource = EventSource;
  globalThis.location = { href: "http://localhost:9080/" };
  globalThis.fetch = async (url) => {
    fetched.push(String(url));
    return { ok: true, json: async () => ({ events: [], lastEventId: "0" }) };
  };
  const events = [];
  let stream;
  try {
    stream = connect({
      projectId: PROJECT,
      getToken: async () => "demo-token",
      onEvent: (e) => events.push(e),
      onState: () => {},
      onResync: () => {},
    });
    await settle();
    const es = EventSource.latest();
    assert.equal(es.url.href, `http://localhost:9080/api/projects/${PROJECT}/status?access_token=demo-token`);
    es.connected();
    es.send(event(1), "1");
    assert.deepEqual(events, [event(1)]);
    assert.equal(stream.lastEventId, "1");
    es.fail(); // the real setTimeout: the reconnect is 1.5-4.5 s away, so none yet
    await settle();
    assert.equal(EventSource.instances.length, 1);
  } finally {
    stream?.close();
    Object.assign(globalThis, saved);
  }
});
