// The event recorder's correlator (client-go EventCorrelator defaults): spam filter, aggregation
// of similar events, and counting of identical ones.
import { describe, expect, it } from 'vitest';
import { createCorrelator, eventName, type CoreEvent } from '../../src/controllers/event-correlator.js';

let clock = 0;
const now = () => clock;
let seq = 0;
const ev = (o: { name?: string; reason?: string; message?: string; component?: string } = {}): CoreEvent => ({
  metadata: { name: `ev-${seq++}`, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: o.name ?? 'web', uid: `uid-${o.name ?? 'web'}`, apiVersion: 'v1' },
  reason: o.reason ?? 'Unhealthy',
  message: o.message ?? 'Readiness probe failed: connection refused',
  type: 'Warning',
  source: { component: o.component ?? 'kubelet' },
  firstTimestamp: `t${clock}`,
  lastTimestamp: `t${clock}`,
  count: 1,
});

describe('event correlator', () => {
  it('records an event once and counts its repeats on the recorded one', () => {
    clock = 0;
    const c = createCorrelator({ now });
    const first = c.correlate(ev());
    expect(first).toMatchObject({ update: false, skip: false, event: { count: 1 } });
    clock = 5000;
    const second = c.correlate(ev());
    expect(second).toMatchObject({
      update: true,
      skip: false,
      event: { count: 2, firstTimestamp: 't0', lastTimestamp: 't5000', metadata: { name: first.event.metadata.name } },
    });
    expect(c.correlate(ev()).event.count).toBe(3);
    // Another object, reason or message is another event.
    expect(c.correlate(ev({ name: 'other' })).update).toBe(false);
    expect(c.correlate(ev({ reason: 'Killing' })).update).toBe(false);
  });

  it('lets a source burst 25 events about an object, then one every 5 minutes', () => {
    clock = 1_000_000;
    const c = createCorrelator({ now });
    const results = Array.from({ length: 30 }, () => c.correlate(ev()).skip);
    expect(results.filter((s) => !s)).toHaveLength(25);
    expect(results.slice(25)).toEqual([false, false, false, false, false].map(() => true));
    // Another source or object has its own budget.
    expect(c.correlate(ev({ component: 'kube-proxy' })).skip).toBe(false);
    expect(c.correlate(ev({ name: 'other' })).skip).toBe(false);
    clock += 299_000;
    expect(c.correlate(ev()).skip).toBe(true);
    clock += 1_000;
    expect(c.correlate(ev()).skip).toBe(false);
    expect(c.correlate(ev()).skip).toBe(true);
  });

  it('combines the 10th similar event (same reason, other message) within 10 minutes into one it then counts', () => {
    clock = 5_000_000;
    const c = createCorrelator({ now });
    for (let i = 0; i < 9; i++) expect(c.correlate(ev({ message: `m${i}` })).event.message).toBe(`m${i}`);
    const tenth = c.correlate(ev({ message: 'm9' }));
    expect(tenth).toMatchObject({ update: false, event: { message: '(combined from similar events): m9', count: 1 } });
    clock += 1000;
    const eleventh = c.correlate(ev({ message: 'm10' }));
    expect(eleventh).toMatchObject({
      update: true,
      event: { message: '(combined from similar events): m10', count: 2, metadata: { name: tenth.event.metadata.name } },
    });
    // More than 10 minutes after the last similar one: counted afresh.
    clock += 600_001;
    expect(c.correlate(ev({ message: 'm11' })).event.message).toBe('m11');
  });
});

describe('eventName', () => {
  it('is the object name and the time in hex nanoseconds, strictly increasing', () => {
    const a = eventName('web', 1_700_000_000_000);
    expect(a).toBe(`web.${(1_700_000_000_000n * 1_000_000n).toString(16)}`);
    const b = eventName('web', 1_700_000_000_000);
    expect(BigInt(`0x${b.split('.')[1]}`)).toBe(BigInt(`0x${a.split('.')[1]}`) + 1n);
  });
});
