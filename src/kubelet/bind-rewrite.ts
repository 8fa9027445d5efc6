// The node agent's side of the bind rewrite (src/kubelet/preload.ts and preload/bind.c): each
// container of a Pod with its own network gets the library and its Pod IP in its environment.
// Where the library is not available (tinykube built without a C compiler, or no writable cache
// dir) containers run without it, and the Node says so once: a Warning event and a log line, so a
// second replica failing with "Address already in use" has its explanation next to it.
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import type { EventRecorder } from '../controllers/events.js';
import { bindRewriteEnv, preloadLibrary } from './preload.js';

/**
 * A copy of the library that every user can load, for containers that run as another user when
 * tinykube runs as root: the cache dir is under root's home (0700), where their loader cannot
 * reach. It goes to root's system cache (/var/cache/tinykube/preload, content-addressed like the
 * cache dir's copy), used only if no one but root can write the directories on the way (a library
 * another user could plant there would run in root's containers).
 */
export function sharedLibraryCopy(library: string, dir = '/var/cache/tinykube/preload'): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (let d = dir; d !== '/'; d = dirname(d)) {
      const st = lstatSync(d);
      if (!st.isDirectory() || st.uid !== 0 || st.mode & 0o022) return undefined;
    }
    const target = join(dir, basename(library));
    const size = statSync(library).size;
    if (!existsSync(target) || statSync(target).size !== size) {
      const tmp = `${target}.${process.pid}.tmp`;
      copyFileSync(library, tmp);
      chmodSync(tmp, 0o755);
      renameSync(tmp, target);
    }
    return target;
  } catch {
    return undefined;
  }
}

export function bindRewriteEnvFor(log: Pick<Logger, 'warn'>, record: EventRecorder, store: Store, nodeName: string) {
  let library: string | null | undefined;
  let shared: string | null | undefined;
  return (o: { podIP: string; portsFile: string; ldPreload?: string; otherUser?: boolean }): Record<string, string> | undefined => {
    if (library === undefined) {
      // TINYKUBE_BIND_REWRITE=off: containers bind what they ask for (benchmarks compare with it).
      if (process.env.TINYKUBE_BIND_REWRITE === 'off') library = null;
    }
    if (library === undefined) {
      const lib = preloadLibrary();
      library = 'path' in lib ? lib.path : null;
      if ('error' in lib) {
        const message = `Containers bind the addresses they ask for (0.0.0.0 is not moved to the Pod IP): ${lib.error}`;
        log.warn(message);
        const node = store.get('nodes', '', nodeName);
        if (node) record(node, 'Warning', 'BindRewriteUnavailable', message);
      }
    }
    if (!library) return undefined;
    if (o.otherUser) {
      shared ??= sharedLibraryCopy(library) ?? null;
      if (!shared) return undefined;
    }
    return bindRewriteEnv({ library: o.otherUser ? shared! : library, podIP: o.podIP, portsFile: o.portsFile, ldPreload: o.ldPreload });
  };
}
