// exec.Command(shell, "-c", cmd).CombinedOutput() for netexec's /shell: stdout and stderr in the
// order they arrive, stdin from /dev/null, and the error as Go's exec prints it (`exit status 1`,
// `signal: killed`, `fork/exec /bin/sh: no such file or directory`).
import { spawn } from 'node:child_process';
import { errnoText } from './go-net.js';

/** Go's names of the signals a command dies of (syscall.Signal's String()). */
const SIGNAL_TEXT: Record<string, string> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
};

export interface CombinedOutput {
  output: Buffer;
  /** Absent when the command exited 0. */
  error?: string;
}

export function combinedOutput(shell: string, cmd: string): Promise<CombinedOutput> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ output: Buffer.concat(chunks), ...(error === undefined ? {} : { error }) });
    };
    const child = spawn(shell, ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => finish(`fork/exec ${shell}: ${errnoText(e)}`));
    // 'close': the process has exited and its output pipes are drained, as Wait waits for both.
    child.on('close', (code, signal) => {
      if (signal) finish(`signal: ${SIGNAL_TEXT[signal] ?? signal}`);
      else finish(code ? `exit status ${code}` : undefined);
    });
  });
}
