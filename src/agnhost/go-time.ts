// Go's renderings of times and durations that agnhost's answers and log lines carry.

const pad = (n: number) => String(n).padStart(2, '0');

/** time.Now().String() in UTC (a container without zoneinfo): `2009-11-10 23:00:00.123 +0000 UTC m=+0.500000000`. */
export function goNow(): string {
  const d = new Date();
  const ms = d.getUTCMilliseconds();
  const frac = ms ? `.${String(ms).padStart(3, '0').replace(/0+$/, '')}` : '';
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  // The monotonic clock reading Go appends: seconds since the process started.
  return `${date} ${time}${frac} +0000 UTC m=+${process.uptime().toFixed(9)}`;
}

/** `v / div` with the remainder as trimmed decimals: 1500000 / 1e6 -> `1.5`. */
function decimal(v: number, div: number): string {
  const whole = Math.floor(v / div);
  const frac = String(v % div)
    .padStart(String(div).length - 1, '0')
    .replace(/0+$/, '');
  return frac && div > 1 ? `${whole}.${frac}` : String(whole);
}

/** time.Duration's String() of nanoseconds: `0s`, `1.5ms`, `2s`, `1m30s`, `1h0m0s`. */
export function goDurationString(ns: number): string {
  if (ns === 0) return '0s';
  let u = Math.abs(Math.round(ns));
  let out: string;
  if (u < 1e9) {
    // The micro sign is in a string: the bundle escapes it.
    const [unit, div] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['\u00b5s', 1e3] : ['ms', 1e6];
    out = `${decimal(u, div as number)}${unit}`;
  } else {
    const h = Math.floor(u / 3600e9);
    u -= h * 3600e9;
    const m = Math.floor(u / 60e9);
    u -= m * 60e9;
    out = `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${decimal(u, 1e9)}s`;
  }
  return ns < 0 ? `-${out}` : out;
}
