// The door rush's open loop, sent with undici, the Node.js project's HTTP/1.1 client.
//
// The bench is Python, but aiohttp spends about 0.4 ms of CPU on each request it sends and
// reads: at 1,000 scans/s that is 0.4 of this machine's two cores taken from the platform under
// test. undici, over kept-alive connections, spends well under half of that (ADR 0021).
//
// Protocol (one JSON document per line on stdin and stdout), so one process and its kept-alive
// connections serve every step of a run:
//   in:  {"base_url": "http://127.0.0.1:8080", "connections": 256, "timeout_s": 30}   (once)
//   out: {"ready": true}
//   in:  {"method": "POST", "path": "/api/v1/validation/scan",
//         "requests": [{"at": 0.001, "headers": {...}, "body": "{...}"}, ...]}
//   out: {"accepted": n}                       (parsed; the clock starts on the next line)
//   in:  "go"
//   out: {"answers": [[status, latency_s, late_s, body_or_error], ...]}   (in request order)
// Each request is sent at its instant ("at" seconds after "go") whether or not earlier ones
// were answered; its latency is counted from that instant, and "late" is how far behind it the
// sender itself was. Status 0 means a transport error or a timeout (its text in place of a body).

import { performance } from "node:perf_hooks";
import readline from "node:readline";
import { Pool } from "undici";

let pool;
let job = null;

function write(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

// undici's dispatch() with a handler of our own: no promise and no stream per answer, which
// request() would add (about a third more CPU per request at these rates).
function send(request, method, path, due, answers, index, done) {
  const late = Math.max(0, performance.now() - due) / 1000;
  const chunks = [];
  let status = 0;
  const finish = (code, body) => {
    answers[index] = [code, (performance.now() - due) / 1000, late, body];
    done();
  };
  pool.dispatch(
    { method, path, headers: request.headers, body: request.body || null },
    {
      onConnect() {},
      onHeaders(statusCode) {
        status = statusCode;
        return true;
      },
      onData(chunk) {
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        finish(status, Buffer.concat(chunks).toString("utf8"));
      },
      onError(error) {
        finish(0, error.code || error.name);
      },
    },
  );
}

function run({ method, path, requests }) {
  const answers = new Array(requests.length);
  let pending = requests.length;
  const done = () => {
    pending -= 1;
    if (pending === 0) write({ answers });
  };
  if (pending === 0) {
    write({ answers });
    return;
  }
  const began = performance.now();
  let next = 0;
  const tick = () => {
    const now = performance.now();
    while (next < requests.length && began + requests[next].at * 1000 <= now + 0.5) {
      send(requests[next], method, path, began + requests[next].at * 1000, answers, next, done);
      next += 1;
    }
    if (next < requests.length) {
      setTimeout(tick, Math.max(0, began + requests[next].at * 1000 - performance.now()));
    }
  };
  tick();
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!pool) {
    const settings = JSON.parse(line);
    const timeoutMs = Math.round((settings.timeout_s ?? 30) * 1000);
    pool = new Pool(settings.base_url, {
      connections: settings.connections,
      // Idle sockets stay open between steps (the edge closes them after its own timeout).
      keepAliveTimeout: 600000,
      keepAliveMaxTimeout: 600000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    write({ ready: true });
  } else if (line === '"go"') {
    const current = job;
    job = null;
    run(current);
  } else {
    job = JSON.parse(line);
    write({ accepted: job.requests.length });
  }
});
lines.on("close", () => {
  pool?.destroy();
});
