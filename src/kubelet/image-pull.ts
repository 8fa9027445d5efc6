// EnsureImageExists (pkg/kubelet/images/image_manager.go) for images that are programs: the
// pull policy, the Pulling/Pulled events, ErrImagePull then ImagePullBackOff with the kubelet's
// back-off (per Pod and image, 10 s doubling to 5 min), ErrImageNeverPull and InvalidImageName,
// with upstream's texts. A node's "present" images are those it resolved before to the same
// entry: an edit of the map makes the next start "pull" again.
import { statSync } from 'node:fs';
import type { ImageMap } from '../config/images/image-map.js';
import { describeResolution, programPath, resolveImage, type ResolvedImage } from './images.js';
import type { Ctr, RuntimeContext, State, Worker } from './pod-state.js';

/** What the node agent knows of images (index.ts builds it). */
export interface ImageDeps {
  /** The maps searched before the catalogue: the ConfigMap's, then the one given at start. */
  imageMaps(): ImageMap[];
  /** argv that runs tinykube itself (the built-in agnhost); undefined where it cannot be found. */
  selfArgv?: string[];
  /** Images this node has resolved, by name (node.status.images lists them). */
  presentImages: Map<string, PresentImage>;
  /** The present images changed (a new one, or one resolving to another entry now). */
  imagesPresentChanged?: () => void;
}

export interface PresentImage {
  imageID: string;
  sizeBytes: number;
}

function remember(rt: Pick<ImageDeps, 'presentImages' | 'imagesPresentChanged'>, img: ResolvedImage) {
  if (rt.presentImages.get(img.name)?.imageID === img.imageID) return;
  rt.presentImages.set(img.name, { imageID: img.imageID, sizeBytes: programSize(img.program) });
  rt.imagesPresentChanged?.();
}

type PullDeps = Pick<RuntimeContext, 'record' | 'markDirty' | 'sync' | 'config'> & ImageDeps;

function setWaiting(rt: Pick<RuntimeContext, 'markDirty'>, w: Worker, c: Ctr, reason: string, message: string): boolean {
  const s = c.state as State;
  if ('waiting' in s && s.waiting.reason === reason && s.waiting.message === message) return false;
  c.state = { waiting: { reason, message } };
  rt.markDirty(w);
  return true;
}

const programSize = (p: string) => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

/** A short duration as Go prints one (`1.234ms`, `523.1\u00b5s`). */
export const pullDuration = (ms: number) => (ms >= 1 ? `${Number(ms.toFixed(6))}ms` : `${Number((ms * 1000).toFixed(3))}\u00b5s`);

/**
 * The container's image as this node runs it, or undefined with the container left waiting (and
 * a retry scheduled when one can help). Called before every start of the container.
 */
export function pullImage(rt: PullDeps, w: Worker, c: Ctr): ResolvedImage | undefined {
  const image = c.spec.image ?? '';
  const policy = c.spec.imagePullPolicy || 'IfNotPresent';
  const now = Date.now();
  if (c.pull?.until && now < c.pull.until) {
    // Within the back-off: say so once, and try again when it ends.
    if (setWaiting(rt, w, c, 'ImagePullBackOff', `Back-off pulling image ${JSON.stringify(image)}: ErrImagePull: ${c.pull.message}`)) {
      rt.record(w.pod, 'Normal', 'BackOff', `Back-off pulling image ${JSON.stringify(image)}`);
      rt.record(w.pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    }
    clearTimeout(c.timer);
    c.timer = setTimeout(() => rt.sync(w.key), c.pull.until - now);
    return undefined;
  }
  const t0 = performance.now();
  const res = resolveImage(image, c.spec, { maps: rt.imageMaps(), path: programPath(), self: !!rt.selfArgv });
  if (!res.ok && res.reason === 'InvalidImageName') {
    // Nothing to retry: the Pod's image must change (which syncs the Pod).
    if (setWaiting(rt, w, c, 'InvalidImageName', res.message)) {
      rt.record(w.pod, 'Warning', 'InspectFailed', res.message);
      rt.record(w.pod, 'Warning', 'Failed', 'Error: InvalidImageName');
    }
    return undefined;
  }
  const present = res.ok && rt.presentImages.get(res.image.name)?.imageID === res.image.imageID;
  if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
    if (res.ok) {
      remember(rt, res.image);
      rt.record(
        w.pod,
        'Normal',
        'Pulled',
        `Container image ${JSON.stringify(image)} already present on machine: ${describeResolution(res.image)}`,
      );
      return res.image;
    }
    // A map edit (which syncs every waiting Pod) is what can make it present.
    const msg = `Container image ${JSON.stringify(image)} is not present with pull policy of Never`;
    if (setWaiting(rt, w, c, 'ErrImageNeverPull', msg)) {
      rt.record(w.pod, 'Warning', 'ErrImageNeverPull', `${msg}: ${res.message}`);
      rt.record(w.pod, 'Warning', 'Failed', 'Error: ErrImageNeverPull');
    }
    return undefined;
  }
  rt.record(w.pod, 'Normal', 'Pulling', `Pulling image ${JSON.stringify(image)}`);
  if (!res.ok) {
    const backoffMs = c.pull ? Math.min(c.pull.backoffMs * 2, rt.config.podBackoff.maxMs) : rt.config.podBackoff.initialMs;
    c.pull = { backoffMs, until: now + backoffMs, message: res.message };
    setWaiting(rt, w, c, 'ErrImagePull', res.message);
    rt.record(w.pod, 'Warning', 'Failed', `Failed to pull image ${JSON.stringify(image)}: ${res.message}`);
    rt.record(w.pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    // The kubelet's next sync finds the back-off (ImagePullBackOff); ours comes a moment later.
    clearTimeout(c.timer);
    c.timer = setTimeout(() => rt.sync(w.key), Math.min(1000, backoffMs));
    return undefined;
  }
  c.pull = undefined;
  remember(rt, res.image);
  const took = pullDuration(performance.now() - t0);
  rt.record(
    w.pod,
    'Normal',
    'Pulled',
    `Successfully pulled image ${JSON.stringify(image)} in ${took} (${took} including waiting). Image size: ${rt.presentImages.get(res.image.name)?.sizeBytes ?? 0} bytes. Resolved to ${describeResolution(res.image)}`,
  );
  return res.image;
}

/**
 * node.status.images as the kubelet reports them: largest first, at most 50 (nodeStatusMaxImages),
 * each under its digest and its tag.
 */
export function nodeImages(present: Map<string, PresentImage>): { names: string[]; sizeBytes: number }[] {
  return [...present]
    .map(([name, p]) => ({ names: [p.imageID, name], sizeBytes: p.sizeBytes }))
    .sort((a, b) => b.sizeBytes - a.sizeBytes || a.names[1]!.localeCompare(b.names[1]!))
    .slice(0, 50);
}

/** The image maps changed: containers waiting for an image try again now. */
export function imagesChanged(rt: Pick<RuntimeContext, 'workers' | 'sync'>) {
  for (const w of rt.workers.values()) {
    let waiting = false;
    for (const c of w.ctrs.values()) {
      if (!c.pull && !('waiting' in c.state && /^(ErrImageNeverPull|ImagePullBackOff|ErrImagePull)$/.test(c.state.waiting.reason ?? '')))
        continue;
      c.pull = undefined;
      clearTimeout(c.timer);
      waiting = true;
    }
    if (waiting && !w.gone) rt.sync(w.key);
  }
}
