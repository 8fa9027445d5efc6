// A process of a container or of an exec session, behind one small interface whether it runs on
// pipes (child_process) or on a pseudo-terminal (node-pty, for `tty: true` containers and
// `kubectl exec -it`). With a terminal, stdout carries everything the process writes (a tty has
// no separate stderr) and the terminal can be resized.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readSync } from 'node:fs';
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { TerminalSize } from '../streaming/remotecommand.js';

export interface ProcessHandle extends EventEmitter {
  pid?: number;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
  /** Terminal processes only. */
  resize?(size: TerminalSize): void;
  // 'exit' (code, signal) when the process has exited (its output may still be coming).
  // 'close' (code: number | null, signal: NodeJS.Signals | null) once the process has exited and its output is read.
  // 'error' (err) when it could not be started.
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  /** Keep a pipe to the process's stdin (without: /dev/null). */
  stdin: boolean;
  /** Run on a pseudo-terminal of this size. */
  tty?: TerminalSize;
}

type PtyModule = typeof import('node-pty');
let pty: PtyModule | Error | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads node-pty (a native addon) on first need: hosts without it still run everything else, and
 * tinykube does not pay for it at start. A dynamic import, so the bundlers (dist/ and the single
 * executable, which ships the addon as an asset) see it.
 */
export function loadTerminals(): Promise<void> {
  loading ??= import('node-pty').then(
    (m) => void (pty = ((m as { default?: PtyModule }).default ?? m) as PtyModule),
    (e: Error) => void (pty = e),
  );
  return loading;
}

/** Whether spawnProcess can run a terminal now (else: await loadTerminals() first). */
export const terminalsLoaded = () => pty !== undefined;

function loadedPty(): PtyModule {
  if (pty === undefined) throw new Error('terminals are not loaded yet (await loadTerminals())');
  if (pty instanceof Error) throw new Error(`terminals are not available on this host (node-pty did not load: ${pty.message})`);
  return pty;
}

const SIGNAL_NAMES: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

/**
 * How long the output of a process that has exited may stay open. Its pipes end when the last
 * process holding them does: normally the runtime kills the rest of the container as its main
 * process exits, and they end at once. A process that escaped (or one that an exec session left
 * behind, as `sh -c 'sleep 100 &'` does) must not keep the exit from being seen forever.
 */
export const OUTPUT_AFTER_EXIT_MS = 1000;

/** Starts argv. Its own process group (session, on a terminal), so the whole tree can be signalled. */
export function spawnProcess(argv: string[], o: SpawnOptions): ProcessHandle {
  if (!o.tty) {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.once('exit', () => {
      const t = setTimeout(() => {
        for (const s of [child.stdout, child.stderr]) if (s) endPipe(s);
      }, OUTPUT_AFTER_EXIT_MS);
      t.unref();
      child.once('close', () => clearTimeout(t));
    });
    return child as unknown as ProcessHandle;
  }
  const term = loadedPty().spawn(argv[0]!, argv.slice(1), {
    cwd: o.cwd,
    env: o.env,
    cols: o.tty.width,
    rows: o.tty.height,
    name: o.env.TERM ?? 'xterm',
  });
  const h = new EventEmitter() as ProcessHandle;
  const out = new PassThrough();
  h.pid = term.pid;
  h.stdout = out;
  h.stderr = null;
  h.stdin = o.stdin
    ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          term.write(chunk.toString('utf8'));
          cb();
        },
        // End of input on a terminal is its EOF character (^D), as when a user types it.
        final(cb) {
          term.write('\x04');
          cb();
        },
      })
    : null;
  h.kill = (signal = 'SIGTERM') => {
    try {
      term.kill(signal);
      return true;
    } catch {
      return false;
    }
  };
  h.resize = (s) => {
    try {
      term.resize(Math.max(1, s.width), Math.max(1, s.height));
    } catch {
      // the process is gone
    }
  };
  const data = term.onData((d) => out.write(d));
  keepOutputTail(term, (b) => out.write(b));
  term.onExit(({ exitCode, signal }) => {
    h.emit('exit', signal ? null : exitCode, signal ? (SIGNAL_NAMES[signal] ?? 'SIGKILL') : null);
    data.dispose();
    out.end();
    // node-pty reports the exit before the last output may have been read: close after the end.
    out.once('end', () => h.emit('close', signal ? null : exitCode, signal ? (SIGNAL_NAMES[signal] ?? 'SIGKILL') : null));
    out.resume();
  });
  return h;
}

/**
 * Ends a child's output pipe that another process still holds open: stops reading, reads what the
 * pipe holds now (its fd is non-blocking: EAGAIN when empty), hands that on and ends the stream,
 * so its consumers (logs, an exec session) see the end and the ChildProcess its 'close'. Without
 * libuv's handle (another Node version) the stream is just destroyed.
 */
function endPipe(s: Readable): void {
  if (s.destroyed || s.readableEnded) return;
  const handle = (s as unknown as { _handle?: { fd?: number; readStop?: () => number } })._handle;
  const fd = handle?.fd;
  if (!handle || typeof fd !== 'number' || fd < 0 || typeof handle.readStop !== 'function') return void s.destroy();
  handle.readStop();
  // Whatever arrives after this is not ours to report (push after EOF would be an error).
  s.on('error', () => {});
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let i = 0; i < 64; i++) {
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      break; // EAGAIN: empty
    }
    if (n <= 0) break;
    s.push(Buffer.from(buf.subarray(0, n)));
  }
  s.push(null);
}

/**
 * node-pty waits only 200 ms after the process exits for the terminal's last output, then destroys
 * its socket (DESTROY_SOCKET_TIMEOUT_MS in unixTerminal.js). On a busy host the loop runs that timer
 * before it has read what the kernel holds, and the tail of the output is lost (CI saw an `echo`
 * just before exit vanish). So before that destroy, read the master side dry, synchronously: its fd
 * is non-blocking, and with the process gone the read ends in EIO (EAGAIN while another process
 * still holds the terminal). Reaches into node-pty's private _socket and _fd; without them (another
 * version) this does nothing.
 */
export function keepOutputTail(term: object, write: (chunk: Buffer) => void): void {
  const t = term as { _socket?: { destroy?: (...a: unknown[]) => unknown; destroyed?: boolean }; _fd?: number };
  const socket = t._socket;
  const fd = t._fd;
  const destroy = socket?.destroy;
  if (!socket || typeof destroy !== 'function' || typeof fd !== 'number') return;
  socket.destroy = function (this: unknown, ...a: unknown[]) {
    socket.destroy = destroy;
    if (!socket.destroyed) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch {
          break; // EIO (the terminal is closed and empty), EAGAIN (empty, still open) or EBADF
        }
        if (n <= 0) break;
        write(Buffer.from(buf.subarray(0, n)));
      }
    }
    return destroy.apply(socket, a);
  };
}
