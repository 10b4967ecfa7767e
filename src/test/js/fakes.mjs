// Stand-ins for the browser's globals that the client's tests (*.test.mjs) drive by hand: time and
// EventSource.

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
