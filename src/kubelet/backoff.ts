// When a container that exited starts again: its restart policy, and CrashLoopBackOff as the
// kubelet computes it (doBackOff of kuberuntime_manager.go, with client-go's flowcontrol.Backoff:
// the first restart is immediate, then the delay starts at 10 s and doubles up to 5 min; 10 min
// of running resets it). Pure functions: container-start.ts applies them.
import type { Ctr } from './pod-state.js';

/** Running this long resets the back-off (upstream's Backoff forgets an entry after twice its 5 min maximum). */
export const FULL_RESET_MS = 10 * 60_000;

/**
 * Whether the container runs again after exiting with exitCode: ephemeral containers never, init
 * containers only after a failure (unless Never), regular ones by the Pod's restartPolicy.
 */
export function shouldRestart(c: Pick<Ctr, 'init' | 'ephemeral'>, policy: string, exitCode: number): boolean {
  if (c.ephemeral) return false;
  if (c.init) return exitCode !== 0 && policy !== 'Never';
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/**
 * One step of the back-off for a container that ran ranMs and restarts now. `backoffMs` is the
 * container's current one (0: none yet); returns how long to wait before this restart (0: at
 * once) and the back-off to keep for the next.
 */
export function crashLoopStep(
  backoffMs: number,
  ranMs: number,
  limits: { initialMs: number; maxMs: number },
): { delayMs: number; backoffMs: number } {
  const current = ranMs >= FULL_RESET_MS ? 0 : backoffMs;
  if (!current) return { delayMs: 0, backoffMs: limits.initialMs };
  return { delayMs: current, backoffMs: Math.min(current * 2, limits.maxMs) };
}
