// The suite's own check that a clean run leaves nothing behind (issue 20): every test process gets
// a TMPDIR of this run (children inherit it: clusters, the CLI, kubectl, Pods), which must be
// empty at the end; and no /dev/shm runtime directory made during the run may outlive it. The run
// fails otherwise, naming what was left.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SHM = '/dev/shm';

function shmDirs(): string[] {
  try {
    return readdirSync(SHM).filter((n) => n.startsWith('tinykube-'));
  } catch {
    return [];
  }
}

/** A runtime dir whose owner (see src/kubelet/runtime-dirs.ts) is still running is someone else's. */
function ownerAlive(dir: string): boolean {
  try {
    const [pid] = readFileSync(join(dir, '.owner'), 'utf8').trim().split(' ');
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

export default function setup(): () => void {
  const started = Date.now();
  const before = new Set(shmDirs());
  const runTmp = mkdtempSync(join(tmpdir(), 'tinykube-suite-'));
  // As /tmp: tests run some processes as another user (uid 65534), which need a TMPDIR too.
  chmodSync(runTmp, 0o1777);
  process.env.TMPDIR = runTmp;
  return () => {
    const left = readdirSync(runTmp);
    const shmLeft = shmDirs().filter(
      (n) => !before.has(n) && statSync(join(SHM, n)).ctimeMs >= started - 1000 && !ownerAlive(join(SHM, n)),
    );
    rmSync(runTmp, { recursive: true, force: true });
    if (left.length || shmLeft.length) {
      throw new Error(
        `the tests left these behind: ${[...left.map((n) => join('$TMPDIR', n)), ...shmLeft.map((n) => join(SHM, n))].join(', ')}`,
      );
    }
  };
}
