// Tests of watch() (src/main/webapp/js/status-stream.js): several projects on one connection, and
// that connection shared by the tabs of one user. Tabs here are watch() calls in one process, each
// with its own view of fakes the tabs share (time, EventSource, BroadcastChannel, navigator.locks);
// the test drives the server's side by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { watch } from "../../main/webapp/js/status-stream.js";
import { fakeBroadcastChannelClass, fakeClock, fakeEventSourceClass, fakeLocks, jwt, settle } from "./fakes.mjs";

const BASE = "https://status.test";
const P = Array.from({ length: 70 }, (_, i) => `6f1c2a3e-0000-4000-8000-${String(i).padStart(12, "0")}`);

const ev = (projectId, n) => ({ type: "progress_update", jobId: "j", progress: { stage: "s", current: n, total: 99 }, projectId });
/** A cursor as the fake server makes them: opaque to the client. */
const cursor = (positions) => Buffer.from(JSON.stringify(positions)).toString("base64url");
const projectsOf = (es) => es.url.searchParams.getAll("project");
const live = (EventSource) => EventSource.instances.filter((es) => !es.closed);

/** Lets the tabs' messages, lock grants and promise chains run. */
const quiet = () => settle().then(settle).then(settle);

/** A browser: the time, the connections and the locks every tab of it shares. */
function browser({ answer = () => ({ events: [], lastEventId: cursor({}) }), head = () => 200 } = {}) {
  const clock = fakeClock();
  const EventSource = fakeEventSourceClass();
  const BroadcastChannel = fakeBroadcastChannelClass();
  const locks = fakeLocks();
  const requests = [];
  const tabs = [];

  /** A tab that watches `projectIds` with the given options; `t.crash()` kills it where it stands. */
  function tab({ token = jwt("ada"), ...options } = {}) {
    let dead = false;
    const seen = { events: [], states: [], resyncs: [], forbidden: [], tokens: 0 };
    const me = {};
    const channels = [];
    class TabChannel extends BroadcastChannel {
      constructor(name) {
        super(name);
        channels.push(this);
      }
      postMessage(data) {
        if (!dead) super.postMessage(data);
      }
    }
    class TabEventSource extends EventSource {
      constructor(url) {
        super(url);
        this.tab = me;
      }
    }
    const fetch = async (url, init = {}) => {
      const u = new URL(String(url));
      requests.push({ url: u, init, tab: me });
      const status = init.method === "HEAD" ? head(u) : 200;
      if (init.method === "HEAD") return { ok: status < 300, status, json: async () => null };
      const body = answer(u);
      if (typeof body === "number") return { ok: false, status: body, json: async () => ({ error: "x" }) };
      return { ok: true, status: 200, json: async () => JSON.parse(JSON.stringify(body)) };
    };
    const stream = watch({
      baseUrl: BASE,
      getToken: () => (dead ? new Promise(() => {}) : (seen.tokens++, typeof token === "function" ? token() : token)),
      onEvent: (e) => seen.events.push(e),
      onState: (s) => seen.states.push(s),
      onResync: (p) => seen.resyncs.push(p),
      onForbidden: (p) => seen.forbidden.push(p),
      EventSource: TabEventSource,
      fetch,
      setTimeout: (fn, ms) => clock.setTimeout(() => dead || fn(), ms),
      clearTimeout: clock.clearTimeout,
      now: clock.now,
      random: () => 0.5,
      BroadcastChannel: TabChannel,
      locks: locks.client(me),
      ...options,
    });
    Object.assign(me, {
      seen,
      stream,
      /** [projectId, current] of each event handed over. */
      got: () => seen.events.map((e) => [e.projectId, e.progress.current]),
      crash() {
        dead = true;
        for (const channel of channels) channel.close();
        for (const es of EventSource.instances) if (es.tab === me) es.close();
        locks.crash(me);
      },
    });
    tabs.push(me);
    return me;
  }

  return { clock, EventSource, BroadcastChannel, locks, requests, tabs, tab };
}

/** The newest stream, opened and past its `connected` frame. */
function opened(b) {
  const es = b.EventSource.latest();
  es.connected();
  return es;
}

test("one connection carries the projects of a page; each event is handed over with its project", async () => {
  const b = browser();
  const t = b.tab({ projectIds: [P[1], P[2]], share: false });
  await settle();
  assert.equal(b.EventSource.instances.length, 1);
  const es = opened(b);
  assert.equal(es.url.pathname, "/api/status");
  assert.deepEqual(projectsOf(es), [P[1], P[2]]);
  assert.equal(es.url.searchParams.get("access_token"), jwt("ada"));
  assert.equal(es.url.searchParams.get("lastEventId"), null);
  es.send(ev(P[1], 1), cursor({ 1: 1, 2: 0 }));
  es.send(ev(P[2], 1), cursor({ 1: 1, 2: 1 }));
  es.send(ev(P[1], 2), cursor({ 1: 2, 2: 1 }));
  assert.deepEqual(t.got(), [
    [P[1], 1],
    [P[2], 1],
    [P[1], 2],
  ]);
  assert.deepEqual(t.seen.states, ["connecting", "open"]);
  assert.deepEqual(t.stream.projectIds, [P[1], P[2]]);
  t.stream.close();
  assert.ok(es.closed);
  assert.equal(t.seen.states.at(-1), "closed");
});

test("adding or removing a project reconnects at once from the cursor", async () => {
  const b = browser();
  const t = b.tab({ projectIds: [P[1], P[2]], share: false });
  await settle();
  const first = opened(b);
  first.send(ev(P[1], 1), cursor({ 1: 1 }));
  t.stream.add(P[3]);
  await settle();
  assert.ok(first.closed);
  const second = opened(b);
  assert.deepEqual(projectsOf(second), [P[1], P[2], P[3]]);
  assert.equal(second.url.searchParams.get("lastEventId"), cursor({ 1: 1 }));
  second.send(ev(P[3], 1), cursor({ 1: 1, 3: 1 }));

  second.send(ev(P[1], 2), cursor({ 1: 2, 3: 1 }));
  t.stream.remove(P[1]);
  await settle();
  const third = opened(b);
  assert.deepEqual(projectsOf(third), [P[2], P[3]]);
  assert.equal(third.url.searchParams.get("lastEventId"), cursor({ 1: 2, 3: 1 }));
  third.send(ev(P[2], 1), cursor({ 2: 1, 3: 1 }));
  assert.deepEqual(t.got(), [
    [P[1], 1],
    [P[3], 1],
    [P[1], 2],
    [P[2], 1],
  ]);
  t.stream.add(P[2]); // already watched: no reconnect
  await settle();
  assert.equal(b.EventSource.instances.length, 3);
  t.stream.close();
});

test("project ids are UUIDs, compared in lower case, at most 64 on a connection", async () => {
  const b = browser();
  assert.throws(() => b.tab({ projectIds: ["not-a-uuid"], share: false }), TypeError);
  assert.throws(() => b.tab({ projectIds: P.slice(0, 65), share: false }), RangeError);
  const t = b.tab({ projectIds: [P[1].toUpperCase()], share: false });
  assert.deepEqual(t.stream.projectIds, [P[1]]);
  assert.throws(() => t.stream.add(...P.slice(2, 66)), RangeError);
  assert.deepEqual(t.stream.projectIds, [P[1]], "nothing added");
  t.stream.close();
});

test("resync_required names its project: onResync for that one, the others go on", async () => {
  const b = browser();
  const t = b.tab({ projectIds: [P[1], P[2]], share: false });
  await settle();
  const es = opened(b);
  es.send({ type: "resync_required", projectId: P[2] }, cursor({ 1: 5, 2: 9 }));
  es.send(ev(P[1], 6), cursor({ 1: 6, 2: 9 }));
  es.send({ type: "something_new", projectId: P[1] }, cursor({ 1: 7, 2: 9 }));
  es.send("{not json", cursor({ 1: 8 }));
  assert.deepEqual(t.seen.resyncs, [P[2]]);
  assert.deepEqual(t.got(), [[P[1], 6]]);
  es.fail();
  await b.clock.advance(60_000);
  assert.equal(b.EventSource.latest().url.searchParams.get("lastEventId"), cursor({ 1: 7, 2: 9 }), "unknown types count as seen");
  t.stream.close();
});

test("a project the user may not read is dropped and reported; the others connect", async () => {
  const b = browser({ head: (url) => (url.pathname === "/api/status" || url.pathname.includes(P[2]) ? 403 : 200) });
  const t = b.tab({ projectIds: [P[1], P[2], P[3]], share: false });
  await settle();
  b.EventSource.latest().fail(); // a 403: EventSource does not say so
  await settle();
  const heads = b.requests.filter((r) => r.init.method === "HEAD");
  assert.ok(heads.every((r) => r.init.headers.Authorization === `Bearer ${jwt("ada")}`));
  assert.deepEqual(t.seen.forbidden, [P[2]]);
  assert.deepEqual(t.stream.projectIds, [P[1], P[3]]);
  await b.clock.advance(60_000);
  assert.deepEqual(projectsOf(opened(b)), [P[1], P[3]]);
  assert.equal(t.seen.states.at(-1), "open");
  t.stream.close();
});

/**
 * GET /api/events of several projects over per-project logs, as ProjectsPoll answers: a project
 * the cursor names is read after its position, another from its oldest event; entries merged in
 * the order they were appended.
 */
function fakeLogs() {
  const appended = []; // [project index, id]
  return {
    append(project, id) {
      appended.push([project, id]);
    },
    answer(url) {
      const projects = url.searchParams.getAll("project").map((p) => P.indexOf(p));
      const after = url.searchParams.get("after");
      const positions = after === null ? {} : JSON.parse(Buffer.from(after, "base64url").toString());
      const limit = Number(url.searchParams.get("limit"));
      const at = Object.fromEntries(projects.map((p) => [p, positions[p] ?? 0]));
      const events = [];
      for (const [p, id] of appended) {
        if (events.length < limit && p in at && id > at[p]) {
          at[p] = id;
          events.push({ id: cursor(at), data: ev(P[p], id) });
        }
      }
      return { events, lastEventId: cursor(at) };
    },
  };
}

test("polling several projects: the cursor resumes them, a project it does not name starts at the end of its log", async () => {
  const logs = fakeLogs();
  for (let id = 1; id <= 1500; id++) logs.append(3, id); // a long history of a project added later
  const b = browser({ answer: (url) => logs.answer(url) });
  const t = b.tab({ projectIds: [P[1]], share: false });
  await settle();
  const es = opened(b);
  es.send(ev(P[1], 1), cursor({ 1: 1 }));
  logs.append(1, 1);
  es.fail();
  await b.clock.advance(3_000);
  t.stream.add(P[3]);
  await settle();
  for (let i = 0; i < 2; i++) {
    b.EventSource.latest().fail();
    await b.clock.advance(20_000);
  }
  assert.equal(t.seen.states.at(-1), "polling");
  const polls = b.requests.filter((r) => r.url.pathname === "/api/events");
  assert.deepEqual(polls[0].url.searchParams.getAll("project"), [P[1], P[3]]);
  assert.equal(polls[0].url.searchParams.get("after"), cursor({ 1: 1 }));
  assert.equal(polls[0].init.headers.Authorization, `Bearer ${jwt("ada")}`);
  assert.deepEqual(t.got(), [[P[1], 1]], "the added project's history is not handed over");

  logs.append(3, 1501);
  logs.append(1, 2);
  await b.clock.advance(3_000);
  assert.deepEqual(t.got(), [
    [P[1], 1],
    [P[3], 1501],
    [P[1], 2],
  ]);
  t.stream.close();
});

test("tabs of one user hold one connection for the union of their projects; each gets its own, in order, once", async () => {
  const b = browser();
  const t1 = b.tab({ projectIds: [P[1], P[2]] });
  await quiet();
  const t2 = b.tab({ projectIds: [P[2], P[3]] });
  const t3 = b.tab({ projectIds: [P[4]] });
  await quiet();
  await b.clock.advance(0);
  assert.equal(live(b.EventSource).length, 1, "one connection");
  const es = opened(b);
  assert.deepEqual(projectsOf(es).sort(), [P[1], P[2], P[3], P[4]]);
  await quiet();
  es.send(ev(P[1], 1), cursor({ a: 1 }));
  es.send(ev(P[2], 1), cursor({ a: 2 }));
  es.send(ev(P[3], 1), cursor({ a: 3 }));
  es.send(ev(P[2], 2), cursor({ a: 4 }));
  es.send(ev(P[4], 1), cursor({ a: 5 }));
  await quiet();
  assert.deepEqual(t1.got(), [
    [P[1], 1],
    [P[2], 1],
    [P[2], 2],
  ]);
  assert.deepEqual(t2.got(), [
    [P[2], 1],
    [P[3], 1],
    [P[2], 2],
  ]);
  assert.deepEqual(t3.got(), [[P[4], 1]]);
  for (const t of [t1, t2, t3]) assert.equal(t.seen.states.at(-1), "open", "every tab hears the state");
  assert.deepEqual([t2.seen.tokens, t3.seen.tokens], [1, 1], "a follower asks for a token only to tell its user");

  // A tab adds a project: the leader reconnects with it, from the cursor.
  t3.stream.add(P[5]);
  await quiet();
  await b.clock.advance(0);
  const next = opened(b);
  assert.ok(es.closed);
  assert.deepEqual(projectsOf(next).sort(), [P[1], P[2], P[3], P[4], P[5]]);
  assert.equal(next.url.searchParams.get("lastEventId"), cursor({ a: 5 }));
  next.send(ev(P[5], 1), cursor({ a: 6 }));
  // A tab removes a project another still watches: its events go on, but not to that tab.
  t2.stream.remove(P[2]);
  await quiet();
  await b.clock.advance(0);
  assert.ok(!next.closed, "the union did not change");
  next.send(ev(P[2], 3), cursor({ a: 7 }));
  await quiet();
  assert.deepEqual(t3.got(), [
    [P[4], 1],
    [P[5], 1],
  ]);
  assert.deepEqual(t2.got().at(-1), [P[2], 2]);
  assert.deepEqual(t1.got().at(-1), [P[2], 3]);
  for (const t of b.tabs) t.stream.close();
});

test("the leader's tab closes: another takes over from its last cursor, nothing lost, nothing twice", async () => {
  const b = browser();
  const t1 = b.tab({ projectIds: [P[1]] });
  await quiet();
  const t2 = b.tab({ projectIds: [P[1], P[2]] });
  const t3 = b.tab({ projectIds: [P[2]] });
  await quiet();
  await b.clock.advance(0);
  const first = opened(b);
  first.send(ev(P[1], 1), cursor({ a: 1 }));
  first.send(ev(P[2], 1), cursor({ a: 2 }));
  await quiet();

  t1.stream.close();
  assert.ok(first.closed);
  await quiet();
  await b.clock.advance(0);
  assert.equal(live(b.EventSource).length, 1, "one connection again");
  const second = opened(b);
  assert.equal(second.url.searchParams.get("lastEventId"), cursor({ a: 2 }));
  assert.deepEqual(projectsOf(second).sort(), [P[1], P[2]]);
  second.send(ev(P[1], 2), cursor({ a: 3 }));
  second.send(ev(P[2], 2), cursor({ a: 4 }));
  await quiet();
  assert.deepEqual(t2.got(), [
    [P[1], 1],
    [P[2], 1],
    [P[1], 2],
    [P[2], 2],
  ]);
  assert.deepEqual(t3.got(), [
    [P[2], 1],
    [P[2], 2],
  ]);
  assert.deepEqual(t1.got(), [[P[1], 1]]);
  assert.equal(t1.seen.states.at(-1), "closed");
  assert.equal(t2.seen.states.at(-1), "open");
  for (const t of b.tabs) t.stream.close();
});

test("a leader that crashed: the next takes over after a short wait, from the last cursor it heard", async () => {
  const b = browser();
  const t1 = b.tab({ projectIds: [P[1]] });
  await quiet();
  const t2 = b.tab({ projectIds: [P[1]] });
  await quiet();
  await b.clock.advance(0);
  const first = opened(b);
  first.send(ev(P[1], 1), cursor({ a: 1 }));
  await quiet();
  t1.crash();
  await quiet();
  assert.equal(live(b.EventSource).length, 0);
  await b.clock.advance(999);
  assert.equal(live(b.EventSource).length, 0, "waits for a resign that may still come");
  await b.clock.advance(1);
  const second = opened(b);
  assert.equal(second.url.searchParams.get("lastEventId"), cursor({ a: 1 }));
  second.send(ev(P[1], 2), cursor({ a: 2 }));
  await quiet();
  assert.deepEqual(t2.got(), [
    [P[1], 1],
    [P[1], 2],
  ]);
  t2.stream.close();
});

test("a tab that went without a word leaves the union at the next change", async () => {
  const b = browser();
  const t1 = b.tab({ projectIds: [P[1]] });
  await quiet();
  const t2 = b.tab({ projectIds: [P[2]] });
  await quiet();
  await b.clock.advance(0);
  assert.deepEqual(projectsOf(opened(b)).sort(), [P[1], P[2]]);
  t2.crash();
  t1.stream.add(P[3]);
  await quiet();
  await b.clock.advance(0);
  assert.deepEqual(projectsOf(b.EventSource.latest()).sort(), [P[1], P[3]]);
  t1.stream.close();
});

test("two users never share: the group is named by the token's issuer and subject", async () => {
  const b = browser();
  const ada = b.tab({ projectIds: [P[1]], token: jwt("ada") });
  const bob = b.tab({ projectIds: [P[1]], token: jwt("bob") });
  const eve = b.tab({ projectIds: [P[1]], token: jwt("ada", "https://other.issuer") });
  await quiet();
  await b.clock.advance(0);
  assert.equal(live(b.EventSource).length, 3);
  const tokens = live(b.EventSource).map((es) => es.url.searchParams.get("access_token"));
  assert.deepEqual(new Set(tokens), new Set([jwt("ada"), jwt("bob"), jwt("ada", "https://other.issuer")]));
  const adaStream = live(b.EventSource).find((es) => es.url.searchParams.get("access_token") === jwt("ada"));
  adaStream.connected();
  adaStream.send(ev(P[1], 1), cursor({ a: 1 }));
  await quiet();
  assert.deepEqual(ada.got(), [[P[1], 1]]);
  assert.deepEqual(bob.got(), []);
  assert.deepEqual(eve.got(), []);
  for (const t of b.tabs) t.stream.close();
});

test("shareKey names the group; share: false, a token that is no JWT, or no Web Locks: the tab connects alone", async () => {
  const b = browser();
  b.tab({ projectIds: [P[1]], token: "opaque-1", shareKey: "ada" });
  b.tab({ projectIds: [P[2]], token: "opaque-2", shareKey: "ada" });
  await quiet();
  await b.clock.advance(0);
  assert.equal(live(b.EventSource).length, 1, "one group by key");
  b.tab({ projectIds: [P[1]], share: false });
  b.tab({ projectIds: [P[1]], token: "opaque-3" });
  b.tab({ projectIds: [P[1]], locks: undefined });
  await quiet();
  await b.clock.advance(0);
  assert.equal(live(b.EventSource).length, 4);
  for (const t of b.tabs) t.stream.close();
});

test("a leader whose token is for another user now leaves the group and joins that user's", async () => {
  const b = browser();
  let user = "ada";
  const t1 = b.tab({ projectIds: [P[1]], token: () => jwt(user) });
  await quiet();
  await b.clock.advance(0);
  const first = opened(b);
  assert.equal(first.url.searchParams.get("access_token"), jwt("ada"));
  user = "bob"; // a new login in this browser
  first.fail();
  await b.clock.advance(60_000);
  await quiet();
  await b.clock.advance(60_000);
  const tokens = b.EventSource.instances.map((es) => es.url.searchParams.get("access_token"));
  assert.deepEqual(tokens, [jwt("ada"), jwt("bob")]);
  // The tab now leads bob's group: another tab of bob's shares its connection.
  const t2 = b.tab({ projectIds: [P[2]], token: jwt("bob") });
  await quiet();
  await b.clock.advance(0);
  assert.equal(live(b.EventSource).length, 1);
  assert.deepEqual(projectsOf(b.EventSource.latest()).sort(), [P[1], P[2]]);
  t1.stream.close();
  t2.stream.close();
});

test("a tab whose projects do not fit in the union (64) connects on its own", async () => {
  const b = browser();
  const t1 = b.tab({ projectIds: P.slice(0, 40) });
  await quiet();
  const t2 = b.tab({ projectIds: P.slice(30, 60) });
  const t3 = b.tab({ projectIds: P.slice(50, 70) });
  await quiet();
  await b.clock.advance(0);
  await quiet();
  await b.clock.advance(0);
  const streams = live(b.EventSource);
  assert.equal(streams.length, 2);
  assert.deepEqual(streams.map((es) => projectsOf(es).length).sort(), [20, 60]);
  for (const t of [t1, t2, t3]) t.stream.close();
});

test("a follower's project the user may not read is dropped everywhere; the others go on", async () => {
  const b = browser({ head: (url) => (url.pathname === "/api/status" && url.searchParams.getAll("project").includes(P[9])) || url.pathname.includes(P[9]) ? 403 : 200 });
  const t1 = b.tab({ projectIds: [P[1]] });
  await quiet();
  await b.clock.advance(0);
  opened(b);
  const t2 = b.tab({ projectIds: [P[2], P[9]] });
  await quiet();
  await b.clock.advance(0);
  b.EventSource.latest().fail();
  await quiet();
  assert.deepEqual(t2.seen.forbidden, [P[9]]);
  assert.deepEqual(t1.seen.forbidden, []);
  await b.clock.advance(60_000);
  await quiet();
  await b.clock.advance(0);
  const es = opened(b);
  assert.deepEqual(projectsOf(es).sort(), [P[1], P[2]]);
  for (const t of b.tabs) t.stream.close();
});
