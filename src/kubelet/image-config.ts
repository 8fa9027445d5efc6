// The parts of an image's config that shape a container besides its command line: its USER
// (under securityContext.runAsUser/runAsGroup, which override it as upstream) and its VOLUMEs
// (a directory of the container's own at each, as container runtimes give an anonymous volume,
// unless a volumeMount is there). Both need what only root with a mount namespace has: another
// user is taken on only there; elsewhere the container runs as tinykube's user, and image volumes
// stay under the Pod's directory with the words naming them rewritten (hostPathOfImageVolume).
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IsolationInfo, Mount } from './sandbox.js';
import type { ResolvedImage } from './images.js';
import { specOf, type Ctr, type Worker } from './pod-state.js';

export interface ContainerUser {
  uid: number;
  gid: number;
  /** A named user: its supplementary groups from /etc/group (else none). */
  name?: string;
}

function passwd(): { name: string; uid: number; gid: number }[] {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f.length >= 4)
      .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
  } catch {
    return [];
  }
}

function groupId(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const l of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = l.split(':');
      if (f[0] === name && f.length >= 3) return Number(f[2]);
    }
  } catch {
    // no /etc/group: numeric groups only
  }
  return undefined;
}

/**
 * Who the container runs as when that is not tinykube's own user: runAsUser/runAsGroup (the
 * container's, else the Pod's), else the image's USER. Undefined when it runs as tinykube
 * (no user asked for, root asked for, or this host cannot switch: not root, or no mount namespace).
 */
export function containerUser(w: Worker, c: Ctr, img: ResolvedImage, iso: IsolationInfo): ContainerUser | undefined {
  if (iso.mode !== 'mount' || process.getuid?.() !== 0) return undefined;
  const sc = c.spec.securityContext ?? {};
  const psc = specOf(w.pod).securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  let user: ContainerUser | undefined;
  const image = img.entry.user;
  if (image) {
    const [u, g] = image.split(':') as [string, string | undefined];
    const known = /^\d+$/.test(u) ? passwd().find((p) => p.uid === Number(u)) : passwd().find((p) => p.name === u);
    const uid = /^\d+$/.test(u) ? Number(u) : known?.uid;
    if (uid !== undefined)
      user = { uid, gid: (g !== undefined ? groupId(g) : undefined) ?? known?.gid ?? uid, ...(known ? { name: known.name } : {}) };
  }
  if (runAsUser !== undefined) {
    const known = passwd().find((p) => p.uid === runAsUser);
    user = { uid: runAsUser, gid: known?.gid ?? user?.gid ?? 0 };
  }
  if (runAsGroup !== undefined) user = { ...(user ?? { uid: 0 }), gid: runAsGroup };
  if (!user || (user.uid === 0 && user.gid === 0)) return undefined;
  return user;
}

/** argv that runs `argv` as `user` (util-linux setpriv). */
export function userArgv(setpriv: string, user: ContainerUser, argv: string[]): string[] {
  const groups = user.name ? ['--init-groups'] : ['--clear-groups'];
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups, '--', ...argv];
}

const volumeDirName = (path: string) => path.replace(/^\/+/, '').replace(/\//g, '_') || '_';

/** The image's VOLUME paths no volumeMount covers, each as a directory of the container's own (made here). */
export function imageVolumeMounts(img: ResolvedImage, mounts: Mount[], dir: string, user: ContainerUser | undefined): Mount[] {
  const out: Mount[] = [];
  for (const target of img.entry.volumes ?? []) {
    if (mounts.some((m) => m.target.replace(/\/+$/, '') === target.replace(/\/+$/, ''))) continue;
    const source = join(dir, volumeDirName(target));
    mkdirSync(source, { recursive: true });
    if (user) chownSync(source, user.uid, user.gid);
    out.push({ source, target, readOnly: false });
  }
  return out;
}

/** `word` with an image volume's path (at its start) replaced by the volume's host directory. */
export function hostPathOfImageVolume(img: ResolvedImage, mounts: Mount[], word: string): string {
  for (const target of img.entry.volumes ?? []) {
    if (word !== target && !word.startsWith(`${target}/`)) continue;
    const m = mounts.find((x) => x.target === target);
    if (m) return m.source + word.slice(target.length);
  }
  return word;
}
