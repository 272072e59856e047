/**
 * Preloaded (`node -r`) into a local server's process to make its clock run `FAST_CLOCK_FACTOR`
 * times faster than real time, so time-based behaviour (iterator expiry after 5 minutes) happens in
 * seconds. Both `Date` and `performance.now` are patched: servers use either.
 */
"use strict";
const factor = Number(process.env.FAST_CLOCK_FACTOR || "100");
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
const origin = realNow();
const fastNow = () => Math.floor(origin + (realNow() - origin) * factor);

function FastDate(...args) {
  if (!new.target) return new RealDate(fastNow()).toString();
  return args.length === 0 ? new RealDate(fastNow()) : new RealDate(...args);
}
FastDate.prototype = RealDate.prototype;
FastDate.now = fastNow;
FastDate.parse = RealDate.parse;
FastDate.UTC = RealDate.UTC;
Object.defineProperty(FastDate.prototype, "constructor", { value: FastDate, writable: true, configurable: true });
globalThis.Date = FastDate;

const perf = globalThis.performance;
const realPerfNow = perf.now.bind(perf);
const perfOrigin = realPerfNow();
perf.now = () => perfOrigin + (realPerfNow() - perfOrigin) * factor;
