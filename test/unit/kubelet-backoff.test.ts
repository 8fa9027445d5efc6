// The restart policy and CrashLoopBackOff of src/kubelet/backoff.ts, alone: which exits restart,
// and the sequence of delays a crashing container waits (immediate, then 10 s doubling to 5 min,
// reset after 10 min of running), printed as the kubelet prints them.
import { describe, it, expect } from 'vitest';
import { crashLoopStep, FULL_RESET_MS, shouldRestart } from '../../src/kubelet/backoff.js';
import { goDuration } from '../../src/apimachinery/go-format.js';

describe('shouldRestart', () => {
  const main = { init: false };
  const init = { init: true };
  it('follows the restartPolicy for regular containers', () => {
    expect(shouldRestart(main, 'Always', 0)).toBe(true);
    expect(shouldRestart(main, 'Always', 1)).toBe(true);
    expect(shouldRestart(main, 'OnFailure', 0)).toBe(false);
    expect(shouldRestart(main, 'OnFailure', 137)).toBe(true);
    expect(shouldRestart(main, 'Never', 1)).toBe(false);
  });
  it('restarts init containers only after a failure, and not under Never', () => {
    expect(shouldRestart(init, 'Always', 0)).toBe(false);
    expect(shouldRestart(init, 'Always', 2)).toBe(true);
    expect(shouldRestart(init, 'OnFailure', 2)).toBe(true);
    expect(shouldRestart(init, 'Never', 2)).toBe(false);
  });
  it('never restarts an ephemeral container', () => {
    expect(shouldRestart({ init: false, ephemeral: true }, 'Always', 1)).toBe(false);
  });
});

describe('crashLoopStep', () => {
  const limits = { initialMs: 10_000, maxMs: 300_000 };
  it('restarts at once the first time, then waits 10 s, doubling up to 5 min', () => {
    let backoff = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const s = crashLoopStep(backoff, 1000, limits);
      delays.push(s.delayMs);
      backoff = s.backoffMs;
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });
  it('starts over after the container ran 10 minutes', () => {
    expect(crashLoopStep(160_000, FULL_RESET_MS - 1, limits)).toEqual({ delayMs: 160_000, backoffMs: 300_000 });
    expect(crashLoopStep(160_000, FULL_RESET_MS, limits)).toEqual({ delayMs: 0, backoffMs: 10_000 });
  });
  it('follows configured limits (tests run with short ones)', () => {
    expect(crashLoopStep(0, 0, { initialMs: 50, maxMs: 120 })).toEqual({ delayMs: 0, backoffMs: 50 });
    expect(crashLoopStep(100, 0, { initialMs: 50, maxMs: 120 })).toEqual({ delayMs: 100, backoffMs: 120 });
  });
});

describe('goDuration', () => {
  it("prints Go's time.Duration String()", () => {
    expect(goDuration(300)).toBe('300ms');
    expect(goDuration(10_000)).toBe('10s');
    expect(goDuration(80_000)).toBe('1m20s');
    expect(goDuration(300_000)).toBe('5m0s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(1500)).toBe('1.5s');
  });
});
