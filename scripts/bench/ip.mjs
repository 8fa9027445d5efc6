// IP/CIDR micro-benchmark (`BENCH_ONLY=ip npm run bench`, or `node scripts/bench/ip.mjs`): the
// operations the allocators, validation and the DNS index run on every Service, EndpointSlice
// and Pod write — parse a text to a number and to bytes, print a number, CIDR containment of a
// text — for IPv4 and IPv6, with src/apimachinery/ipnet.ts (bundled from src/ as the build does)
// beside the same operations done with ip-num (the stack's choice for address math, measured
// for issue 21: see ipnet.ts's header for the figures and why ipnet.ts does not use it). The
// ip-num column and its load time are measured only where ip-num is installed
// (`npm install --no-save ip-num`).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** ns per call: the median of `rounds` timed passes over `inputs` (after a warm-up pass). */
function nsPerOp(fn, inputs, rounds = 15) {
  let sink = 0;
  const pass = () => {
    for (let i = 0; i < inputs.length; i++) if (fn(inputs[i]) !== undefined) sink++;
  };
  for (let i = 0; i < 5; i++) pass();
  const t = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    pass();
    t.push(Number(process.hrtime.bigint() - t0) / inputs.length);
  }
  if (sink < 0) console.log(sink);
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

/** The inputs: Service-range addresses as the API sees them (IPv6 in several spellings). */
function inputs() {
  const v4 = [];
  const v6 = [];
  for (let i = 0; i < 2000; i++) {
    v4.push(`10.96.${(i * 7) & 255}.${(i * 13) & 255}`);
    const a = ((i * 7) & 0xffff).toString(16);
    const b = ((i * 13) & 0xffff).toString(16);
    v6.push([`fd00:10:96::${a}:${b}`, `fd00:10:96:0:0:0:${a}:${b}`, `2001:db8::${b}`, `::ffff:10.96.${i & 255}.${(i * 3) & 255}`][i % 4]);
  }
  return { v4, v6 };
}

/** ms to load a module in a fresh node (median of 5), after the loader's own warm-up (an empty module beside it). */
function loadMs(url) {
  const empty = new URL('./empty.mjs', url).href;
  const code = `await import(${JSON.stringify(empty)});const t=process.hrtime.bigint();await import(${JSON.stringify(url)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    runs.push(Number(r.stdout.trim()));
  }
  return runs.sort((a, b) => a - b)[2];
}

export async function ipBench({ root, work, report }) {
  const out = join(work, 'ipnet-bundle.mjs');
  await build({
    entryPoints: [join(root, 'src/apimachinery/ipnet.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'error',
  });
  writeFileSync(join(work, 'empty.mjs'), 'export {};\n');
  const ours = await import(pathToFileURL(out).href);
  let ipnum;
  let ipnumOut;
  try {
    createRequire(join(root, 'package.json')).resolve('ip-num');
    ipnumOut = join(work, 'ip-num-bundle.mjs');
    await build({
      stdin: { contents: `import * as m from 'ip-num'; export default m;`, resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: ipnumOut,
      logLevel: 'error',
    });
    ipnum = (await import(pathToFileURL(ipnumOut).href)).default;
  } catch {
    console.log('  (ip-num is not installed: npm install --no-save ip-num for its column)');
  }

  const { v4, v6 } = inputs();
  const v4n = v4.map((t) => ours.parseIP(t).value);
  const v6n = v6.map((t) => ours.parseIP(t).value);
  const c4 = ours.parseCIDR('10.96.0.0/12');
  const c6 = ours.parseCIDR('fd00:10:96::/64');

  // ip-num doing the same: parse with its constructors (zones refused first: ip-num takes them,
  // Go does not), print with toString (+ collapseIPv6Number: its own toString is not RFC 5952),
  // containment with its CidrRange.
  const N = ipnum;
  const nParse = (t) => {
    if (t.includes('%')) return undefined;
    try {
      return t.includes(':') ? { family: 6, value: new N.IPv6(t).getValue() } : { family: 4, value: new N.IPv4(t).getValue() };
    } catch {
      return undefined;
    }
  };
  const r4 = N && new N.IPv4CidrRange(N.IPv4.fromNumber(c4.base), N.IPv4Prefix.fromNumber(BigInt(c4.prefix)));
  const r6 = N && new N.IPv6CidrRange(N.IPv6.fromBigInt(c6.base), N.IPv6Prefix.fromNumber(BigInt(c6.prefix)));
  const ops = [
    ['parse IPv4 → number', v4, (t) => ours.parseIP(t), nParse],
    ['parse IPv6 → number', v6, (t) => ours.parseIP(t), nParse],
    ['parse IPv4 → bytes', v4, (t) => ours.parseIPBytes(t), (t) => nParse(t) && ours.ipToBytes(4, nParse(t).value)],
    ['parse IPv6 → bytes', v6, (t) => ours.parseIPBytes(t), (t) => nParse(t) && ours.ipToBytes(6, nParse(t).value)],
    ['format IPv4', v4n, (v) => ours.formatIP(4, v), (v) => N.IPv4.fromNumber(v).toString()],
    ['format IPv6', v6n, (v) => ours.formatIP(6, v), (v) => N.collapseIPv6Number(N.IPv6.fromBigInt(v).toString())],
    [
      'contains IPv4 (text in /12)',
      v4,
      (t) => ours.contains(c4, t),
      (t) => {
        const p = nParse(t);
        return !!p && p.family === 4 && r4.contains(N.IPv4.fromNumber(p.value));
      },
    ],
    [
      'contains IPv6 (text in /64)',
      v6,
      (t) => ours.contains(c6, t),
      (t) => {
        const p = nParse(t);
        return !!p && p.family === 6 && r6.contains(N.IPv6.fromBigInt(p.value));
      },
    ],
  ];
  for (const [what, xs, mine, theirs] of ops) {
    // Same answers first: a faster wrong parser proves nothing.
    if (N) {
      for (const x of xs) {
        const a = JSON.stringify(mine(x), (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        const b = JSON.stringify(theirs(x), (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        if (a !== b) throw new Error(`${what}: ipnet and ip-num differ on ${x}: ${a} vs ${b}`);
      }
    }
    // Interleaved rounds so machine noise hits both alike.
    const a = [];
    const b = [];
    for (let k = 0; k < 3; k++) {
      a.push(nsPerOp(mine, xs));
      if (N) b.push(nsPerOp(theirs, xs));
    }
    const med = (t) => t.sort((x, y) => x - y)[1];
    report(`IP ${what}`, med(a), 'ns', N ? 'ip-num' : '', N ? med(b) : undefined);
  }
  report(
    'IP module load (bundled, fresh node)',
    loadMs(pathToFileURL(out).href),
    'ms',
    N ? 'ip-num' : '',
    N ? loadMs(pathToFileURL(ipnumOut).href) : undefined,
  );
}

// `node scripts/bench/ip.mjs`: the same figures without the rest of the bench.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const work = mkdtempSync(join(tmpdir(), 'tinykube-bench-ip-'));
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const report = (what, value, unit, baselineName, baseline) =>
    console.log(
      `${what.padEnd(44)} ${fmt(value).padStart(10)} ${unit.padEnd(6)}${baseline === undefined ? '' : `   | ${baselineName}: ${fmt(baseline)} ${unit}`}`,
    );
  try {
    await ipBench({ root, work, report });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
