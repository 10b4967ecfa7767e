// Loaded into a Node load client with NODE_OPTIONS=--import=<this file> (bench scenario "client"):
// counts what the client's own process does while events arrive, without changing the client.
// From the first chunk that carries an event to the process's exit: the client's CPU, the chunks
// its SSE responses were read in, and how late its event loop ran. One JSON line on stderr at exit:
//   {"probe":{"cpu_ms":..,"chunks":..,"loop_p50_ms":..,"loop_p99_ms":..}}
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const loop = monitorEventLoopDelay({ resolution: 10 });
let cpuAtStart = null;
let chunks = 0;

const request = http.request;
http.request = function probedRequest(...args) {
  const req = request.apply(this, args);
  req.on('response', (res) => {
    res.on('data', (chunk) => {
      if (cpuAtStart === null) {
        if (!/"message"\s*:\s*"t\d/.test(String(chunk))) return;
        cpuAtStart = process.cpuUsage();
        loop.enable();
      }
      chunks++;
    });
  });
  return req;
};

process.on('exit', () => {
  if (cpuAtStart === null) return;
  loop.disable();
  const cpu = process.cpuUsage(cpuAtStart);
  const probe = {
    cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
    chunks,
    loop_p50_ms: +(loop.percentile(50) / 1e6).toFixed(1),
    loop_p99_ms: +(loop.percentile(99) / 1e6).toFixed(1),
  };
  process.stderr.write(`${JSON.stringify({ probe })}\n`);
});
