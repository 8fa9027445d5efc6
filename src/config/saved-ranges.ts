// A data dir keeps the ranges its cluster was made with. Its stored Services hold ClusterIPs and
// NodePorts of those ranges (the kubernetes Service 127.96.0.1, kube-dns 127.96.0.10, ...), so a
// restart must not move to another host slot's: the saved ranges count as given explicitly (a flag
// still wins), and one that a running cluster holds now stops the start naming that cluster.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../base/files.js';
import { slotDefaults } from './slots.js';

const FILE = 'ranges.json';

export interface SavedRanges {
  serviceCIDR?: string;
  secondaryServiceCIDR?: string;
  podCIDR?: string;
  loadBalancerCIDR?: string;
  serviceNodePortRange?: string;
}

/**
 * The ranges a data dir's cluster was made with; undefined for a new data dir. A data dir from
 * before ranges were saved (a state.db without ranges.json) had the only defaults there were then:
 * slot 0's. startCluster saves them before anything is stored, so a data dir of this tinykube
 * always has the file.
 */
export function loadSavedRanges(dataDir: string): SavedRanges | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as SavedRanges;
    if (r && typeof r === 'object') return r;
  } catch {
    /* none, or unreadable: as if none */
  }
  // (An empty state.db is a first start that stopped before SQLite wrote anything: nothing stored.)
  if (!(statSync(join(dataDir, 'state.db'), { throwIfNoEntry: false })?.size ?? 0)) return undefined;
  const d = slotDefaults(0);
  return { serviceCIDR: d.serviceCIDR, podCIDR: d.podCIDR, loadBalancerCIDR: d.loadBalancerCIDR, serviceNodePortRange: d.nodePortRange };
}

export function saveRanges(dataDir: string, r: SavedRanges): void {
  const text = `${JSON.stringify(r, null, 2)}\n`;
  try {
    // A restart with the same ranges writes nothing (the write is fsynced).
    if (readFileSync(join(dataDir, FILE), 'utf8') === text) return;
  } catch {
    /* none yet */
  }
  writePrivateFile(join(dataDir, FILE), text);
}
