// The messages between the main thread and the data-plane thread. Plain data only: everything
// here crosses a MessagePort by structured clone.
import type { DnsServePlan } from '../dns/server.js';
import type { ClusterDNS } from '../dns/server.js';
import type { ProxySettings } from '../proxy/run.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { Condition } from '../proxy/conditions.js';

/**
 * One turn's changes of the store, main thread -> data-plane thread, on the feed's own port.
 * `entries` is the JSON text of an array whose items are `[r, object]` (created or changed: the
 * object as stored) or `[r, namespace, name]` (deleted), `r` indexing the resources announced so
 * far: one string crosses the port (a copy), not a structured clone of every object, and the
 * objects' text is the store's own (see StoreFeed).
 */
export interface FeedBatch {
  seq: number;
  /** Resources followed from this batch on, appended to the table `r` indexes. */
  resources: string[];
  entries: string;
  /**
   * The entries are the current objects of resources followed already, posted again for a
   * consumer that attaches now (StoreFeed.attach): the mirror holds them for its next
   * listObjects and tells its subscribers nothing (nothing changed).
   */
  relist?: true;
}

/** Where the data-plane thread's feed starts: its port and the counter of batches posted. */
export interface DataPlaneInit {
  feed: import('node:worker_threads').MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] is the seq of the last batch posted. */
  posted: SharedArrayBuffer;
  /** The lowest pino level number the data plane's own logger writes. */
  logLevel: number;
}

/**
 * `logLevel`: the lowest pino level number the component's logger writes (records below it are
 * not sent). proxy.start: `events` and `status` say whether the main thread records the proxy's
 * Events and writes its Service condition (the thread then posts them as notes).
 */
export type Request =
  | { id: number; op: 'dns.start'; plan: DnsServePlan; logLevel: number }
  | { id: number; op: 'dns.stop' }
  | { id: number; op: 'proxy.start'; settings: ProxySettings; logLevel: number; events: boolean; status: boolean }
  | { id: number; op: 'proxy.stats' | 'proxy.listeners' | 'proxy.idle' | 'proxy.stop' };

/** What the proxy on the thread asks the main thread to write (it has the registry). */
export type Note =
  /** `object`: apiVersion, kind, namespace, name, uid and resourceVersion only (all an Event refers to). */
  | { op: 'proxy.event'; object: KubeObject; type: 'Normal' | 'Warning'; reason: string; message: string }
  /** The Service's tinykube.io/PortsBound condition as the thread worked it out (null: none). */
  | { op: 'proxy.status'; namespace: string; name: string; condition: Condition | null };

/** A DnsServer as plain data (its stop() is a request). */
export interface DnsServerInfo {
  host: string;
  udpPort: number;
  tcpPort: number;
  addresses: string[];
  clusterDNS: ClusterDNS;
  upstreams: string[];
}

/** An Error as plain data: its message, stack and own properties (code, errno, syscall, flag...). */
export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, string | number | boolean | undefined>;
}

export type LevelName = 'debug' | 'info' | 'warn' | 'error';

/** A log record of the data-plane thread, written by the main thread's logger of `channel`. */
export interface LogRecord {
  channel: string;
  level: LevelName;
  obj?: Record<string, unknown>;
  msg?: string;
}

export type Reply =
  | { id: number; value: unknown }
  | { id: number; error: ErrorData }
  | { log: LogRecord }
  | { note: Note }
  /** Posted once the thread's modules are loaded. */
  | { ready: true };
