// Preloaded into the program's Node.js process by bench/profile.ts (NODE_OPTIONS=--require ...).
// Plain JavaScript: it runs before ts-node is registered. Records, in wall-clock milliseconds:
// when the process started, the first load of each watched package and of each of our own files
// (time spent in that module itself, without the watched modules it loaded), and the exit. Writes
// JSON to $BENCH_TIMELINE_DIR/timeline-<pid>.json on exit, and a V8 CPU profile (1 ms sampling)
// to cpu-<pid>.cpuprofile beside it (`--cpu-prof` is not allowed in NODE_OPTIONS; the inspector
// answers a same-thread session synchronously, so this works in an exit handler).
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");
const { performance } = require("perf_hooks");

const dir = process.env.BENCH_TIMELINE_DIR;
const inspector = require("inspector");
const session = new inspector.Session();
if (dir) {
    session.connect();
    session.post("Profiler.enable");
    session.post("Profiler.setSamplingInterval", { interval: 1000 });
    session.post("Profiler.start");
}
const watched = /^(typescript|ts-node|@pulumi\/[a-z0-9-]+|@grpc\/grpc-js|google-protobuf)$/;
const origin = performance.timeOrigin;
const now = () => origin + performance.now();
const loads = [];
const stack = [];
const seen = new Set();

const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
    const fromOurs = parent && parent.filename && !parent.filename.includes(`${path.sep}node_modules${path.sep}`);
    const ours = (request.startsWith(".") || path.isAbsolute(request)) && (fromOurs || request.endsWith(".ts"));
    const key = watched.test(request) ? request : ours ? safeResolve(request, parent) : undefined;
    if (key === undefined || seen.has(key)) return originalLoad.apply(this, arguments);
    seen.add(key);
    const frame = { key, start: now(), nested: 0 };
    stack.push(frame);
    try {
        return originalLoad.apply(this, arguments);
    } finally {
        stack.pop();
        const end = now();
        const total = end - frame.start;
        if (stack.length > 0) stack[stack.length - 1].nested += total;
        loads.push({ module: key, start: frame.start, end, selfMs: total - frame.nested });
    }
};

function safeResolve(request, parent) {
    try {
        return Module._resolveFilename(request, parent);
    } catch {
        return request;
    }
}

process.on("exit", () => {
    if (!dir) return;
    const out = { pid: process.pid, argv: process.argv.slice(1), start: origin, exit: now(), loads };
    fs.writeFileSync(path.join(dir, `timeline-${process.pid}.json`), JSON.stringify(out));
    session.post("Profiler.stop", (err, result) => {
        if (!err) fs.writeFileSync(path.join(dir, `cpu-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
});
