// Cron schedules as upstream reads them (github.com/robfig/cron/v3 ParseStandard, which the API
// server validates CronJobs with and the CronJob controller schedules by): five fields (minute,
// hour, day of month, month, day of week) with names (`jan`, `mon`), ranges, steps, `*` and `?`;
// the descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`
// and `@every <duration>`; a `TZ=`/`CRON_TZ=` prefix; the library's error texts word for word; and
// its Next(), which walks months, days, hours and minutes in the schedule's time zone exactly as
// the library does (day of month and day of week are ANDed when either starts with `*` or `?`,
// ORed otherwise; a step over a star drops the star; nothing within five years gives no time).
// Time zones come from the ICU data Node ships (Intl), the local one from the process (TZ).
import { goParseDuration, goQuote } from '../../apimachinery/go-format.js';

/** A parse error; `message` is robfig/cron's. */
export class CronParseError extends Error {}

export interface CronSchedule {
  /** The first activation strictly after `t` (ms since the epoch), or undefined if none within five years. */
  next(t: number): number | undefined;
}

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Go's time.LoadLocation, as far as names go: undefined (not an error) means the zone is known. */
export function loadLocationError(name: string): string | undefined {
  if (name === '' || name === 'UTC' || name === 'Local') return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${name}`;
  }
  // Zone names are file names upstream: `america/new_york` is not `America/New_York`.
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) return `unknown time zone ${name}`;
  return undefined;
}

/** A time zone: its offset from UTC (ms) at an instant. */
interface Zone {
  offset(ms: number): number;
}

const utcZone: Zone = { offset: () => 0 };
const localZone: Zone = { offset: (ms) => -new Date(ms).getTimezoneOffset() * 60_000 };

const zones = new Map<string, Zone>();
/** The zone of an IANA name; '' and 'UTC' are UTC, 'Local' (or undefined) the process's own. */
export function zoneOf(name: string | undefined): Zone {
  if (name === undefined || name === 'Local') return localZone;
  if (name === '' || name === 'UTC') return utcZone;
  let z = zones.get(name);
  if (z) return z;
  const f = formatter(name);
  // Offsets only change on whole minutes: one lookup per minute is enough (bounded cache).
  const cache = new Map<number, number>();
  z = {
    offset(ms) {
      const minute = Math.floor(ms / 60_000);
      let off = cache.get(minute);
      if (off === undefined) {
        const p: Record<string, string> = {};
        for (const part of f.formatToParts(minute * 60_000)) p[part.type] = part.value;
        let year = Number(p.year);
        if (p.era === 'BC' || p.era === 'B') year = 1 - year;
        off = civilUTC(year, Number(p.month), Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - minute * 60_000;
        if (cache.size > 10_000) cache.clear();
        cache.set(minute, off);
      }
      return off;
    },
  };
  zones.set(name, z);
  return z;
}

/** Date.UTC for any year (Date.UTC maps years 0-99 to 1900-1999), normalizing overflowing fields like Go's time.Date. */
function civilUTC(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

function fields(zone: Zone, t: number): Civil {
  const d = new Date(t + zone.offset(t));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/**
 * Go's time.Date in a zone: the wall time is looked up with the offset in force at that instant
 * taken as UTC, corrected once if that lands in another period, as Go does (a repeated wall time
 * takes its first occurrence).
 */
function date(zone: Zone, year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const local = civilUTC(year, month, day, hour, minute, second);
  const off1 = zone.offset(local);
  if (off1 === 0) return local;
  const off2 = zone.offset(local - off1);
  return local - (off2 === off1 ? off1 : off2);
}

// ---- parsing ----

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** The values a field allows (bit i = value i) and whether it was written with a star. */
interface FieldSet {
  bits: boolean[];
  star: boolean;
}

const one = (v: number): FieldSet => {
  const bits: boolean[] = [];
  bits[v] = true;
  return { bits, star: false };
};
const every = (b: Bounds): FieldSet => {
  const bits: boolean[] = [];
  for (let i = b.min; i <= b.max; i++) bits[i] = true;
  return { bits, star: true };
};

/** Go's strconv.Atoi with its error text. */
function atoi(s: string): number {
  const err = (what: string) => new CronParseError(`strconv.Atoi: parsing ${goQuote(s)}: ${what}`);
  if (!/^[+-]?[0-9]+$/.test(s)) throw err('invalid syntax');
  const big = BigInt(s.replace(/^\+/, ''));
  if (big > 9223372036854775807n || big < -9223372036854775808n) throw err('value out of range');
  return Number(big);
}

function mustParseInt(expr: string): number {
  let n: number;
  try {
    n = atoi(expr);
  } catch (e) {
    throw new CronParseError(`failed to parse int from ${expr}: ${(e as Error).message}`);
  }
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names && Object.hasOwn(names, expr.toLowerCase()) ? names[expr.toLowerCase()] : undefined;
  return named ?? mustParseInt(expr);
}

function getRange(expr: string, r: Bounds, into: FieldSet): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let step: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step"; a real step over a star is no longer "any".
    if (singleDigit) end = r.max;
    if (step > 1) star = false;
  } else throw new CronParseError(`too many slashes: ${expr}`);
  if (start < r.min) throw new CronParseError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronParseError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.bits[i] = true;
  if (star) into.star = true;
}

function getField(field: string, r: Bounds): FieldSet {
  const set: FieldSet = { bits: [], star: false };
  for (const expr of field.split(',')) if (expr !== '') getRange(expr, r, set);
  return set;
}

interface Spec {
  second: FieldSet;
  minute: FieldSet;
  hour: FieldSet;
  dom: FieldSet;
  month: FieldSet;
  dow: FieldSet;
}

// ---- schedules ----

function specSchedule(spec: Spec, zone: Zone): CronSchedule {
  const has = (f: FieldSet, v: number) => f.bits[v] === true;
  const dayMatches = (c: Civil) => {
    const domMatch = has(spec.dom, c.day);
    const dowMatch = has(spec.dow, c.weekday);
    return spec.dom.star || spec.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  };
  const addDate = (t: number, months: number, days: number) => {
    const c = fields(zone, t);
    return date(zone, c.year, c.month + months, c.day + days, c.hour, c.minute, c.second);
  };
  return {
    next(from) {
      // The upcoming whole second.
      let t = Math.floor(from / 1000) * 1000 + 1000;
      let added = false;
      const yearLimit = fields(zone, t).year + 5;
      wrap: for (;;) {
        let c = fields(zone, t);
        if (c.year > yearLimit) return undefined;
        while (!has(spec.month, c.month)) {
          if (!added) {
            added = true;
            t = date(zone, c.year, c.month, 1, 0, 0, 0);
          }
          t = addDate(t, 1, 0);
          c = fields(zone, t);
          if (c.month === 1) continue wrap;
        }
        while (!dayMatches(c)) {
          if (!added) {
            added = true;
            t = date(zone, c.year, c.month, c.day, 0, 0, 0);
          }
          t = addDate(t, 0, 1);
          c = fields(zone, t);
          // Midnight may not exist (a daylight-saving jump): back to the day's first hour.
          if (c.hour !== 0) {
            t += (c.hour > 12 ? 24 - c.hour : -c.hour) * 3_600_000;
            c = fields(zone, t);
          }
          if (c.day === 1) continue wrap;
        }
        while (!has(spec.hour, c.hour)) {
          if (!added) {
            added = true;
            t = date(zone, c.year, c.month, c.day, c.hour, 0, 0);
          }
          t += 3_600_000;
          c = fields(zone, t);
          if (c.hour === 0) continue wrap;
        }
        while (!has(spec.minute, c.minute)) {
          if (!added) {
            added = true;
            t = Math.floor(t / 60_000) * 60_000;
          }
          t += 60_000;
          c = fields(zone, t);
          if (c.minute === 0) continue wrap;
        }
        while (!has(spec.second, c.second)) {
          if (!added) {
            added = true;
            t = Math.floor(t / 1000) * 1000;
          }
          t += 1000;
          c = fields(zone, t);
          if (c.second === 0) continue wrap;
        }
        return t;
      }
    },
  };
}

/** robfig's Every: at least a second, whole seconds, counted from the given time. */
function everySchedule(ns: number): CronSchedule {
  const ms = Math.max(1000, Math.floor(ns / 1e9) * 1000);
  return { next: (t) => Math.floor(t / 1000) * 1000 + ms };
}

function descriptor(d: string, zone: Zone): CronSchedule {
  const zero = () => one(0);
  const base = { second: zero(), minute: zero() };
  switch (d) {
    case '@yearly':
    case '@annually':
      return specSchedule({ ...base, hour: zero(), dom: one(1), month: one(1), dow: every(DOW) }, zone);
    case '@monthly':
      return specSchedule({ ...base, hour: zero(), dom: one(1), month: every(MONTHS), dow: every(DOW) }, zone);
    case '@weekly':
      return specSchedule({ ...base, hour: zero(), dom: every(DOM), month: every(MONTHS), dow: one(0) }, zone);
    case '@daily':
    case '@midnight':
      return specSchedule({ ...base, hour: zero(), dom: every(DOM), month: every(MONTHS), dow: every(DOW) }, zone);
    case '@hourly':
      return specSchedule({ ...base, hour: every(HOURS), dom: every(DOM), month: every(MONTHS), dow: every(DOW) }, zone);
  }
  const prefix = '@every ';
  if (d.startsWith(prefix)) {
    let ns: number;
    try {
      ns = goParseDuration(d.slice(prefix.length));
    } catch (e) {
      throw new CronParseError(`failed to parse duration ${d}: ${(e as Error).message}`);
    }
    return everySchedule(ns);
  }
  throw new CronParseError(`unrecognized descriptor: ${d}`);
}

/**
 * robfig/cron's ParseStandard. Without a `TZ=` prefix the schedule runs in `defaultZone` (an IANA
 * name; undefined: the process's local time, as kube-controller-manager's time.Local).
 * Throws CronParseError with the library's message.
 */
export function parseStandard(spec: string, defaultZone?: string): CronSchedule {
  if (spec.length === 0) throw new CronParseError('empty spec string');
  let zone = zoneOf(defaultZone);
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
    const err = i < 0 ? `unknown time zone ${name}` : loadLocationError(name);
    if (err) throw new CronParseError(`provided bad location ${name}: ${err}`);
    zone = name === 'Local' ? localZone : zoneOf(name);
    spec = spec.slice(i).trim();
  }
  if (spec.startsWith('@')) return descriptor(spec, zone);
  // strings.Fields: split on any Unicode white space.
  const parts = spec.split(/[\s\u0085\u00a0]+/u).filter((f) => f !== '');
  if (parts.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  const second = getField('0', SECONDS);
  const minute = getField(parts[0]!, MINUTES);
  const hour = getField(parts[1]!, HOURS);
  const dom = getField(parts[2]!, DOM);
  const month = getField(parts[3]!, MONTHS);
  const dow = getField(parts[4]!, DOW);
  return specSchedule({ second, minute, hour, dom, month, dow }, zone);
}

/** Formats an instant as Go's time.RFC3339 in a zone ('' = UTC): `2024-03-10T01:00:00-05:00`, `...Z` in UTC. */
export function formatRFC3339In(t: number, zoneName: string): string {
  const zone = zoneOf(zoneName === '' ? 'UTC' : zoneName);
  const off = zone.offset(t);
  const d = new Date(Math.floor(t / 1000) * 1000 + off);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const base = `${String(d.getUTCFullYear()).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  if (off === 0) return `${base}Z`;
  const a = Math.abs(off) / 60_000;
  return `${base}${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}:${p2(a % 60)}`;
}
