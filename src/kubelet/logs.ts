// Container logs, kept like the kubelet's CRI log files: one file per container and restart,
// each line `<RFC3339Nano> <stdout|stderr> <F|P> <text>`, rotated at a size cap (upstream
// containerLogMaxSize, 10 Mi, one rotated file kept). Readers implement pods/log's options.
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export const LOG_MAX_BYTES = 10 * 1024 * 1024;

const nanoStamp = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

export function logPath(podDir: string, container: string, restart: number): string {
  return join(podDir, container, `${restart}.log`);
}

/** Captures a process's stdout and stderr into its log file, line by line. */
export function captureLogs(
  file: string,
  streams: { stdout: Readable | null; stderr: Readable | null },
  maxBytes = LOG_MAX_BYTES,
  onError: (err: Error) => void = () => {},
): { close(): void } {
  mkdirSync(join(file, '..'), { recursive: true });
  // A log file that cannot be written (the Pod's directory removed while it is torn down, a full
  // disk) costs the log lines, never the process: a write stream's 'error' with no listener
  // would be an uncaught exception.
  const open = () => createWriteStream(file, { flags: 'a' }).on('error', onError);
  let out: WriteStream = open();
  let size = existsSync(file) ? statSync(file).size : 0;
  const write = (stream: string, text: string, full: boolean) => {
    const line = `${nanoStamp()} ${stream} ${full ? 'F' : 'P'} ${text}\n`;
    size += Buffer.byteLength(line);
    if (size > maxBytes) {
      out.end();
      try {
        renameSync(file, `${file}.1`);
      } catch (e) {
        onError(e as Error);
      }
      out = open();
      size = Buffer.byteLength(line);
    }
    out.write(line);
  };
  const pending: Record<string, string> = { stdout: '', stderr: '' };
  const attach = (name: 'stdout' | 'stderr', r: Readable | null) => {
    r?.setEncoding('utf8');
    r?.on('data', (chunk: string) => {
      const parts = (pending[name] + chunk).split('\n');
      pending[name] = parts.pop()!;
      for (const p of parts) write(name, p, true);
      // Very long lines are written in parts, as the CRI does.
      if (pending[name]!.length > 16 * 1024) {
        write(name, pending[name]!, false);
        pending[name] = '';
      }
    });
  };
  attach('stdout', streams.stdout);
  attach('stderr', streams.stderr);
  return {
    close() {
      // Output that did not end with a newline stays a partial line: kubectl logs prints it as the
      // container wrote it, without adding one (as with the CRI's log files).
      for (const n of ['stdout', 'stderr']) if (pending[n]) write(n, pending[n]!, false);
      pending.stdout = pending.stderr = '';
      out.end();
    },
  };
}

export interface LogLine {
  time: string;
  stream: string;
  full: boolean;
  text: string;
}

export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const l of text.split('\n')) {
    if (!l) continue;
    const a = l.indexOf(' ');
    const b = l.indexOf(' ', a + 1);
    const c = l.indexOf(' ', b + 1);
    if (a < 0 || b < 0 || c < 0) continue;
    out.push({ time: l.slice(0, a), stream: l.slice(a + 1, b), full: l.slice(b + 1, c) === 'F', text: l.slice(c + 1) });
  }
  return out;
}

export function readLogFile(file: string): LogLine[] {
  let text = '';
  if (existsSync(`${file}.1`)) text += readFileSync(`${file}.1`, 'utf8');
  if (existsSync(file)) text += readFileSync(file, 'utf8');
  return parseLogLines(text);
}

export interface LogOptions {
  timestamps?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  limitBytes?: number;
}

/** Renders log lines as pods/log does: partial lines joined, optional timestamps, tail, since. */
export function renderLog(lines: LogLine[], o: LogOptions): string {
  let sel = o.sinceTime ? lines.filter((l) => Date.parse(l.time) >= o.sinceTime!.getTime()) : lines;
  if (o.tailLines !== undefined) {
    // tail counts whole lines: a full line ends one.
    let count = 0;
    let i = sel.length;
    while (i > 0 && count < o.tailLines) {
      i--;
      if (sel[i]!.full) count++;
      while (i > 0 && !sel[i - 1]!.full) i--;
    }
    sel = o.tailLines === 0 ? [] : sel.slice(i);
  }
  let out = '';
  for (const l of sel) {
    out += `${o.timestamps ? `${l.time} ` : ''}${l.text}${l.full ? '\n' : ''}`;
  }
  if (o.limitBytes !== undefined) out = Buffer.from(out).subarray(0, o.limitBytes).toString();
  return out;
}
