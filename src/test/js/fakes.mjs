// Stand-ins for the browser's globals that the client's tests (*.test.mjs) drive by hand: time,
// EventSource, and, for tabs that share a connection, BroadcastChannel and navigator.locks.

/** Lets every pending promise chain run (the client awaits getToken, fetch and json). */
export async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** setTimeout, clearTimeout and now on a clock that moves only when the test says so. */
export function fakeClock() {
  let current = 0;
  let nextId = 1;
  const timers = new Map();
  return {
    now: () => current,
    setTimeout(fn, ms = 0) {
      const id = nextId++;
      timers.set(id, { at: current + Math.max(0, Number(ms) || 0), fn });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id);
    },
    /** Runs every timer due within the next `ms`, in time order, letting promises settle after each. */
    async advance(ms) {
      const target = current + ms;
      await settle();
      for (;;) {
        let due = null;
        for (const [id, timer] of timers) {
          if (timer.at <= target && (due === null || timer.at < due[1].at)) due = [id, timer];
        }
        if (due === null) break;
        timers.delete(due[0]);
        current = due[1].at;
        due[1].fn();
        await settle();
      }
      current = target;
      await settle();
    },
  };
}

/** A fresh EventSource class that records every instance; the test fires its callbacks. */
export function fakeEventSourceClass() {
  const instances = [];
  return class FakeEventSource {
    static instances = instances;
    static latest() {
      return instances[instances.length - 1];
    }
    constructor(url) {
      this.url = new URL(String(url));
      this.closed = false;
      this.idBuffer = ""; // what the native EventSource keeps as its last event id
      instances.push(this);
    }
    close() {
      this.closed = true;
    }
    open() {
      this.onopen?.({ type: "open" });
    }
    /** A frame; like the native EventSource, one without `id:` keeps the previous id. */
    send(data, id) {
      if (id !== undefined) this.idBuffer = String(id);
      const text = typeof data === "string" ? data : JSON.stringify(data);
      this.onmessage?.({ type: "message", data: text, lastEventId: this.idBuffer });
    }
    fail() {
      this.onerror?.({ type: "error" });
    }
    /** Opens and sends the frame every stream starts with. */
    connected() {
      this.open();
      this.send({ type: "connected", message: "Connected to status updates" });
    }
  };
}


/**
 * The browser's BroadcastChannel for tabs in one process: a message reaches every other open
 * channel of the same name, a copy, later (as a task), in the order it was posted.
 */
export function fakeBroadcastChannelClass() {
  const open = new Set();
  return class FakeBroadcastChannel {
    static open = open;
    constructor(name) {
      this.name = name;
      this.onmessage = null;
      open.add(this);
    }
    postMessage(data) {
      if (!open.has(this)) throw new Error("InvalidStateError: the channel is closed");
      const copy = structuredClone(data);
      for (const other of open) {
        if (other !== this && other.name === this.name) {
          setImmediate(() => {
            if (open.has(other)) other.onmessage?.({ data: copy });
          });
        }
      }
    }
    close() {
      open.delete(this);
    }
  };
}

/**
 * navigator.locks for tabs in one process: exclusive locks by name, granted in the order asked.
 * `client(tab)` is one tab's navigator.locks; `crash(tab)` releases what the tab holds and drops
 * what it waits for, as the browser does when a tab's process dies.
 */
export function fakeLocks() {
  const held = new Map(); // name -> { tab, release }
  const queues = new Map(); // name -> [{ tab, callback, resolve, reject }]

  function grantNext(name) {
    if (held.has(name)) return;
    const next = queues.get(name)?.shift();
    if (!next) return;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.delete(name);
      grantNext(name);
    };
    held.set(name, { tab: next.tab, release });
    Promise.resolve()
      .then(() => next.callback({ name, mode: "exclusive" }))
      .then(
        (value) => {
          if (held.get(name)?.release === release) release();
          next.resolve(value);
        },
        (error) => {
          if (held.get(name)?.release === release) release();
          next.reject(error);
        },
      );
  }

  return {
    held: () => [...held.keys()],
    client(tab) {
      return {
        request(name, options, callback) {
          if (typeof options === "function") [options, callback] = [{}, options];
          return new Promise((resolve, reject) => {
            const request = { tab, callback, resolve, reject };
            if (options?.signal?.aborted) return reject(new Error("AbortError"));
            options?.signal?.addEventListener("abort", () => {
              const queue = queues.get(name) ?? [];
              const at = queue.indexOf(request);
              if (at >= 0) {
                queue.splice(at, 1);
                reject(new Error("AbortError"));
              }
            });
            if (!queues.has(name)) queues.set(name, []);
            queues.get(name).push(request);
            grantNext(name);
          });
        },
        async query() {
          return { held: [...held.keys()].map((name) => ({ name, mode: "exclusive" })) };
        },
      };
    },
    crash(tab) {
      for (const [name, queue] of queues) queues.set(name, queue.filter((request) => request.tab !== tab));
      for (const [name, lock] of [...held]) if (lock.tab === tab) lock.release();
    },
  };
}

/** A token the way the platform's identity provider issues them: only its payload is read. */
export function jwt(sub, iss = "https://issuer.test") {
  const part = (json) => Buffer.from(JSON.stringify(json)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part({ iss, sub, exp: 4102444800 })}.signature`;
}
