// The /proc parsing behind metrics.k8s.io (src/kubelet/metrics.ts).
import { describe, expect, it } from 'vitest';
import { createMetrics, parseCpuLine, parseMemAvailable, parseStat } from '../../src/kubelet/metrics.js';

describe('/proc parsing', () => {
  it('reads pgrp, utime + stime and rss from a stat line, whatever the command name holds', () => {
    const line =
      '4242 (my (odd) cmd) S 1 4240 4240 0 -1 4194560 1200 0 0 0 150 50 0 0 20 0 3 0 12345 987654321 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseStat(line)).toEqual({ pgrp: 4240, ticks: 200, rssPages: 2560 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('counts busy CPU time without idle and iowait, and memory as MemTotal - MemAvailable', () => {
    expect(parseCpuLine('cpu  100 5 50 1000 20 3 2 1 0 0')).toBe(161);
    expect(parseMemAvailable('MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\n')).toBe(
      10_000_000 * 1024,
    );
  });
});

describe('live samples', () => {
  it('sees this process group', async () => {
    const { readFileSync } = await import('node:fs');
    const own = parseStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(own!.rssPages).toBeGreaterThan(0);
    expect(own!.ticks).toBeGreaterThanOrEqual(0);
  });
});

describe('the sampling window', () => {
  it('is one window of at least a second for requests that arrive together before the first sample', async () => {
    const m = createMetrics({ nodeName: 'n', nodeLabels: () => ({}), running: () => [] });
    try {
      const [a, b] = await Promise.all([m.nodes(), m.nodes()]);
      // Each took its own pair of samples before: the second request's window was a few ms.
      expect(Number.parseFloat(a[0]!.window!)).toBeGreaterThanOrEqual(1);
      expect(b[0]!.window).toBe(a[0]!.window);
    } finally {
      m.stop();
    }
  });
});
