// What a crashed tinykube's Pods left running, killed before the next one starts its own
// (src/kubelet/index.ts calls this once, before the tracker records its new cgroup). A kubelet
// after a crash finds its containers through the CRI; here they are processes, found by their
// marker or cgroup (tracker.ts) and by the pid files container-start.ts writes.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { killLeftoverContainers, procStartTime } from './tracker.js';

/**
 * After a crash of tinykube: kill what its Pods left behind. Every container process by its
 * marker or cgroup (tracker.ts), then the process groups of the main processes it recorded (same
 * pid and start time), which also catches those that cleared their environment. Returns how many
 * were killed (and logs it).
 */
export function killLeftovers(podsDir: string, log: Pick<Logger, 'warn'>): number {
  if (!existsSync(podsDir)) return 0;
  let killed = killLeftoverContainers(podsDir);
  for (const uid of readdirSync(podsDir)) {
    const dir = join(podsDir, uid);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.pid'));
    } catch {
      continue;
    }
    for (const f of files) {
      const [pid, start] = readFileSync(join(dir, f), 'utf8').trim().split(' ');
      const n = Number(pid);
      const leader = procStartTime(n);
      // The leader alive with the recorded start time is ours. A dead leader whose group still has
      // members is ours too: Linux does not reuse a pid while it names a live process group.
      if (n > 1 && start && (leader === start || leader === undefined)) {
        try {
          process.kill(-n, 'SIGKILL');
          killed++;
        } catch {
          // nothing left of it
        }
      }
      rmSync(join(dir, f), { force: true });
    }
  }
  if (killed) log.warn({ killed }, 'killed processes left behind by a previous run');
  return killed;
}
