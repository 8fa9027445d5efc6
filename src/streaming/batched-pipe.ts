// Writes that give the destination everything produced in one turn of the event loop as one write.
// A forwarded connection's bytes arrive frame by frame (kubectl sends 32 KiB DATA frames, which
// come in 16 KiB pieces), and pipe() made each of them a send(2) to the Pod of its own: a fifth of
// the CPU tinykube spent per byte forwarded to the Pod. Corked until the loop's check phase, the
// pieces read in one turn (hundreds of KiB under load) leave in one writev, without a timer. The
// SPDY stream of a forwarded connection writes its data here (SpdyStream.forwardData).
import type { Writable } from 'node:stream';

/**
 * Writes the chunks pushed to it in one turn of the event loop to `to` in one write, and ends `to`
 * after the last. `full` is called when `to` is over its high-water mark after a write, `drained`
 * when it has taken it all (once per `full`). Nothing is written once `to` is destroyed or ended.
 */
export class BatchedWriter {
  private batch: Buffer[] = [];
  private scheduled = false;
  private ending = false;
  private waiting = false;

  constructor(
    private readonly to: Writable,
    private readonly full: () => void,
    private readonly drained: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.batch.push(chunk);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Ends `to` after what was pushed. */
  end(): void {
    this.ending = true;
    if (!this.scheduled) this.flush();
  }

  private readonly flush = () => {
    this.scheduled = false;
    const chunks = this.batch;
    this.batch = [];
    const to = this.to;
    if (to.destroyed || to.writableEnded) return;
    if (chunks.length === 1) to.write(chunks[0]);
    else if (chunks.length > 1) {
      to.cork();
      for (const c of chunks) to.write(c);
      to.uncork();
    }
    if (this.ending) return void to.end();
    if (to.writableNeedDrain && !this.waiting) {
      this.waiting = true;
      this.full();
      to.once('drain', () => {
        this.waiting = false;
        this.drained();
      });
    }
  };
}
