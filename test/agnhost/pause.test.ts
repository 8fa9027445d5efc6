// pause: "Paused", then on SIGINT or SIGTERM "exiting N" and exit N (1 and 2, as upstream).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pause } from '../../src/agnhost/pause.js';
import { fakeRuntime } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('pause', () => {
  it('waits for SIGTERM, then exits 2', async () => {
    const f = fakeRuntime();
    const done = pause(0, f.rt);
    expect(f.stdout()).toBe('Paused\n');
    expect(f.exits).toEqual([]);
    f.signals.emit('SIGTERM');
    expect(await done).toBe(2);
    expect(f.exits).toEqual([2]);
    expect(f.stdout()).toBe('Paused\nexiting 2\n');
    expect(f.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 on SIGINT; a later signal changes nothing', async () => {
    const f = fakeRuntime();
    const done = pause(0, f.rt);
    f.signals.emit('SIGINT');
    f.signals.emit('SIGTERM');
    expect(await done).toBe(1);
    expect(f.exits).toEqual([1]);
  });

  it('--delay-shutdown waits that many seconds before exiting', async () => {
    vi.useFakeTimers();
    const f = fakeRuntime();
    const done = pause(3, f.rt);
    f.signals.emit('SIGTERM');
    expect(f.stdout()).toBe('Paused\nSleeping 3 seconds before exit ...');
    vi.advanceTimersByTime(2999);
    expect(f.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(await done).toBe(2);
    expect(f.stdout()).toBe('Paused\nSleeping 3 seconds before exit ...exiting 2\n');
  });
});
