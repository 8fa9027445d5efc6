// A cluster stops when the process that started its host process is gone. Test runners start
// clusters in worker processes (vitest's and jest's forks pools); when the runner itself is killed
// (kill -9, a CI job cancelled, an OOM kill), its workers are orphaned and would otherwise serve,
// retry and grow on their own for ever, holding their addresses for the next run. Linux reparents
// an orphan (to init or the nearest subreaper), so the parent pid changes: checked once a second,
// plus the IPC channel closing for processes started with fork(). One timer per process, unref'd,
// whatever the number of clusters.
type OnOrphaned = (why: string) => void;

const watchers = new Set<OnOrphaned>();
let timer: NodeJS.Timeout | undefined;
let parent = 0;
let fired = false;

function fire(why: string): void {
  if (fired) return;
  fired = true;
  stopTimer();
  for (const w of [...watchers]) w(why);
  watchers.clear();
}

function stopTimer(): void {
  clearInterval(timer);
  timer = undefined;
  process.off('disconnect', onDisconnect);
}

function onDisconnect(): void {
  fire('its parent process closed the IPC channel');
}

/** Calls onOrphaned once when this process loses its parent; returns the unsubscribe function. */
export function watchParent(onOrphaned: OnOrphaned, intervalMs = 1000): () => void {
  // Started by init (a service, a container's entry point): there is no parent to lose.
  if (process.ppid <= 1 || fired) return () => undefined;
  watchers.add(onOrphaned);
  if (!timer) {
    parent = process.ppid;
    timer = setInterval(() => {
      if (process.ppid !== parent) fire(`its parent process (pid ${parent}) is gone`);
    }, intervalMs);
    timer.unref();
    if (process.connected) process.on('disconnect', onDisconnect);
  }
  return () => {
    watchers.delete(onOrphaned);
    if (!watchers.size) stopTimer();
  };
}
