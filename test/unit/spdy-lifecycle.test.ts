// A SPDY session's lifecycle alone, over a recording output and a real stream table: handing
// streams over, GOAWAY, close, destroy, the peer's GOAWAY, the idle timer and teardown.
import { describe, it, expect, vi } from 'vitest';
import { GoAwayStatus, RstStatus, spdyProtocolError, type SpdyFrame } from '../../src/streaming/spdy/index.js';
import {
  closeSession,
  deliver,
  destroySession,
  newLifecycle,
  onSessionClose,
  peerGoAway,
  setStreamHandler,
  startIdleTimer,
  streamGone,
  teardown,
  touch,
  type Lifecycle,
} from '../../src/streaming/spdy/lifecycle.js';
import { newStreamTable, openStream, type SpdyStream } from '../../src/streaming/spdy/stream.js';
import { recordingOutput, synOf, tick } from './spdy-fixtures.js';

function setup(o: { handler?: (s: SpdyStream) => void; maxPending?: number } = {}) {
  const out = recordingOutput();
  const errors: Error[] = [];
  const closes: (Error | undefined)[] = [];
  let stopped = 0;
  let lastGood = 0;
  let l!: Lifecycle;
  const t = newStreamTable(
    out,
    { pause: () => undefined, resume: () => undefined },
    { hwm: 1024, maxOut: 1024, onForget: () => streamGone(l) },
  );
  l = newLifecycle(
    {
      out,
      table: t,
      input: { stop: () => void stopped++ },
      lastGoodStreamId: () => lastGood,
      onError: (e) => void errors.push(e),
      handler: o.handler,
      maxPending: o.maxPending ?? 2,
    },
    (err) => void closes.push(err),
  );
  const open = (id: number) => {
    lastGood = id;
    return openStream(t, synOf(id)).stream;
  };
  return { l, out, t, errors, closes, open, stopped: () => stopped };
}
const goaway = (out: { frames: SpdyFrame[] }) => out.frames.filter((f) => f.type === 'GOAWAY');

describe('SPDY session lifecycle', () => {
  it('holds streams until there is a handler (refusing past maxPending), then hands over those still open', () => {
    const { l, out, open } = setup({ maxPending: 2 });
    const [a, b, c] = [open(1), open(3), open(5)];
    for (const s of [a, b, c]) deliver(l, s);
    expect(out.frames).toEqual([{ type: 'RST_STREAM', streamId: 5, status: RstStatus.REFUSED_STREAM }]);
    expect(c.destroyed).toBe(true);
    a.destroy();
    const got: number[] = [];
    setStreamHandler(l, (s) => got.push(s.id));
    expect(got).toEqual([3]);
    deliver(l, open(7));
    expect(got).toEqual([3, 7]);
  });

  it('a throwing handler resets its stream (INTERNAL_ERROR) and the error is reported', () => {
    const { l, out, open, errors } = setup({
      handler: () => {
        throw new Error('handler');
      },
    });
    deliver(l, open(1));
    expect(out.frames).toEqual([{ type: 'RST_STREAM', streamId: 1, status: RstStatus.INTERNAL_ERROR }]);
    expect(errors.map((e) => e.message)).toEqual(['handler']);
  });

  it('close() resets only the streams we have not finished, sends GOAWAY (OK, last stream) once and finishes the output', () => {
    const { l, out, open, t } = setup();
    const a = open(1);
    open(3);
    t.states.get(1)!.localFin = true; // we sent FIN on 1
    closeSession(l);
    closeSession(l);
    expect(out.frames).toEqual([
      { type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL },
      { type: 'GOAWAY', lastGoodStreamId: 3, status: GoAwayStatus.OK },
    ]);
    expect(a.destroyed).toBe(true);
    expect(t.states.size).toBe(0);
    expect(out.calls).toEqual(['finish']);
    expect(l.closed).toBe(true);
    // Destroyed while closing: no second GOAWAY.
    destroySession(l, new Error('late'));
    expect(goaway(out)).toHaveLength(1);
  });

  it('destroy() sends GOAWAY with the error’s status, ends the transport and tears down once, reporting the error', () => {
    for (const [err, status] of [
      [spdyProtocolError('bad frame'), GoAwayStatus.PROTOCOL_ERROR],
      [new Error('boom'), GoAwayStatus.INTERNAL_ERROR],
      [undefined, GoAwayStatus.OK],
    ] as const) {
      const { l, out, open, errors, closes, stopped } = setup();
      const s = open(1);
      destroySession(l, err);
      destroySession(l, new Error('again'));
      expect(goaway(out)).toEqual([{ type: 'GOAWAY', lastGoodStreamId: 1, status }]);
      expect(out.calls).toEqual(['end', 'close', 'releaseWriters', 'end']);
      expect([s.destroyed, stopped(), l.closed]).toEqual([true, 1, true]);
      expect(errors).toEqual(err ? [err] : []);
      expect(closes).toEqual([err]);
    }
  });

  it('teardown reports the close once; a throwing close callback is reported; later onClose callbacks still run', async () => {
    const { l, errors, closes } = setup();
    onSessionClose(l, () => {
      throw new Error('cb');
    });
    const pending = setup().open(1);
    l.pending.push(pending);
    teardown(l);
    teardown(l, new Error('second'));
    expect(closes).toEqual([undefined]);
    expect(errors.map((e) => e.message)).toEqual(['cb']);
    expect(pending.destroyed).toBe(true);
    let late = false;
    onSessionClose(l, () => (late = true));
    expect(late).toBe(false);
    await tick();
    expect(late).toBe(true);
  });

  it('the peer’s GOAWAY closes the session once its last stream is done (at once without streams)', () => {
    const idle = setup();
    peerGoAway(idle.l);
    expect(goaway(idle.out)).toHaveLength(1);

    const { l, out, open } = setup();
    const a = open(1);
    const b = open(3);
    peerGoAway(l);
    expect(l.closed).toBe(false);
    a.destroy();
    expect(l.closed).toBe(false);
    b.destroy();
    expect(l.closed).toBe(true);
    expect(goaway(out)).toEqual([{ type: 'GOAWAY', lastGoodStreamId: 3, status: GoAwayStatus.OK }]);
  });

  it('closes after the idle time without frames; each frame starts it over', () => {
    vi.useFakeTimers();
    try {
      const { l } = setup();
      startIdleTimer(l, 1_000);
      for (let i = 0; i < 5; i++) {
        vi.advanceTimersByTime(900);
        touch(l);
      }
      expect(l.closed).toBe(false);
      vi.advanceTimersByTime(1_000);
      expect(l.closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
