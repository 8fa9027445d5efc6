// The main thread's handle on the data-plane thread: starts it from the inlined source (see
// scripts/dataplane-worker.mjs), feeds it the store (feed.ts), relays its log records to the
// components' loggers, and carries requests and their answers (protocol.ts).
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ComponentLog } from '../base/log.js';
import { StoreFeed, type FeedStore } from './feed.js';
import { errorFromData } from './errors.js';
import { LEVELS, replayLog } from './log-relay.js';
import type { DataPlaneInit, Note, Reply, Request } from './protocol.js';

declare const __TINYKUBE_DATAPLANE_WORKER__: string | undefined;

/** The data-plane thread's script, when this build has it inlined. */
export const DATAPLANE_WORKER_SOURCE: string | undefined =
  typeof __TINYKUBE_DATAPLANE_WORKER__ === 'string' ? __TINYKUBE_DATAPLANE_WORKER__ : undefined;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class DataPlaneThread {
  private readonly worker: Worker;
  private readonly channel = new MessageChannel();
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private feedOf: StoreFeed | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly loggers = new Map<string, ComponentLog>();
  private readonly noteHandlers = new Set<(n: Note) => void>();
  private next = 1;
  private running = 0;
  private gone: Error | undefined;
  private exited: Promise<void>;
  /** Resolves once the thread has loaded its modules; rejects if it failed before that. */
  readonly ready: Promise<void>;

  /** Throws when the thread cannot be created (the caller then runs everything on the main thread). */
  constructor(source: string, log: Logger) {
    const init: DataPlaneInit = { feed: this.channel.port2, posted: this.posted.buffer as SharedArrayBuffer, logLevel: minLevel(log) };
    this.worker = new Worker(source, {
      eval: true,
      workerData: init,
      transferList: [this.channel.port2],
      name: 'tinykube data plane',
    });
    this.loggers.set('dataplane', log);
    // Idle, the thread keeps nothing alive; a server running on it does (as its sockets would).
    this.worker.unref();
    let readyOk!: () => void;
    let readyFail!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      readyOk = res;
      readyFail = rej;
    });
    // Nobody may be waiting on ready (the thread started early and never used).
    this.ready.catch(() => undefined);
    let up = false;
    this.worker.on('message', (m: Reply) => {
      if ('ready' in m) {
        up = true;
        return readyOk();
      }
      if ('log' in m) return replayLog(this.loggers.get(m.log.channel) ?? log, m.log);
      if ('note' in m) {
        for (const h of this.noteHandlers) h(m.note);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(errorFromData(m.error));
      else p.resolve(m.value);
    });
    this.worker.on('error', (err) => {
      this.gone ??= err;
      // Before it was up, whoever waits on ready says what happens instead.
      if (up) log.error({ err }, 'dataplane: the data-plane thread failed');
      readyFail(err);
    });
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        const err = (this.gone ??= new Error(`the data-plane thread exited (code ${code})`));
        readyFail(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        if (this.running) log.error({ code }, 'dataplane: the data-plane thread exited while serving');
        resolve();
      }),
    );
  }

  /** The feed of the store to the thread (one per thread: the first store given). */
  feed(store: FeedStore): StoreFeed {
    return (this.feedOf ??= new StoreFeed(store, this.channel.port1, this.posted));
  }

  /** Records of `channel` go to `log`. */
  logTo(channel: string, log: ComponentLog): void {
    this.loggers.set(channel, log);
  }

  /** Notes of the thread's servers (what they ask the main thread to write) go to `fn`. */
  onNote(fn: (n: Note) => void): () => void {
    this.noteHandlers.add(fn);
    return () => this.noteHandlers.delete(fn);
  }

  request(body: RequestBody): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id });
    });
  }

  /** A server started on the thread: the process stays up for it. */
  serving(): void {
    if (this.running++ === 0) this.worker.ref();
  }

  /** A server of the thread stopped. */
  stopped(): void {
    if (--this.running === 0) this.worker.unref();
  }

  async terminate(): Promise<void> {
    this.feedOf?.close();
    this.channel.port1.close();
    await this.worker.terminate();
    await this.exited;
  }
}

/** The lowest level a logger writes, as a pino number (everything when it has none). */
export function minLevel(log: Logger | ComponentLog): number {
  const v = (log as { levelVal?: number }).levelVal;
  return typeof v === 'number' ? v : LEVELS.debug;
}
