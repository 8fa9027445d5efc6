// What agnhost's subcommands take from their process: exiting (netexec's /exit and /shutdown,
// pause on a signal), SIGTERM/SIGINT, stdout and stderr, the hostname and the environment. The
// servers get it as a parameter, so tests run them in-process with a fake one and see the exits,
// the log lines and the signal handling without a process of their own.
import { hostname } from 'node:os';

export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

export interface AgnhostRuntime {
  /** os.Exit: ends the process at once. */
  exit(code: number): void;
  signals: SignalSource;
  stdout(text: string): void;
  stderr(text: string): void;
  /** os.Hostname() as the Pod's processes see it. */
  hostname(): string;
  env: Readonly<Record<string, string | undefined>>;
}

export function processRuntime(): AgnhostRuntime {
  return {
    exit: (code) => process.exit(code),
    signals: process,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    // The kubelet sets HOSTNAME to the Pod's hostname. A Pod isolated without a UTS namespace
    // (--pod-isolation=none) shares the host's name, where upstream's agnhost, in a container,
    // answers with the Pod's: tests compare serve-hostname's answers with Pod names.
    hostname: () => process.env.HOSTNAME || hostname(),
    env: process.env,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Go's log.Printf with the standard flags: `2009/11/10 23:00:00 text`, on stderr, one line. */
export function goLog(rt: AgnhostRuntime, text: string): void {
  const d = new Date();
  const stamp = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  rt.stderr(`${stamp} ${text}${text.endsWith('\n') ? '' : '\n'}`);
}
