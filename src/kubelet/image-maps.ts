// The image maps the node agent searches (src/config/images): the ConfigMap
// kube-system/tinykube-images, read from the store whenever it changed (parsed once per
// resourceVersion), then the map given at start. A map with mistakes keeps its good entries; the
// rest are reported once per version as a Warning event on the ConfigMap (`kubectl describe
// configmap -n kube-system tinykube-images`) and in the log.
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import type { ConfigMapObj } from '../registry/configmap.js';
import type { EventRecorder } from '../controllers/events.js';
import { decodeJSONInYAML, decodeYAML, NOT_JSON, yamlParserLoaded } from '../apimachinery/yaml/decode.js';
import { IMAGE_MAP_CONFIGMAP, readImageMap, type ImageMap } from '../config/images/image-map.js';

export const IMAGE_MAP_SOURCE = `ConfigMap ${IMAGE_MAP_CONFIGMAP.namespace}/${IMAGE_MAP_CONFIGMAP.name}`;

/**
 * The map's text without its whole-line comments, when what is left is JSON (the map as tinykube
 * makes it: comments and `[]`), decoded without the YAML parser; NOT_JSON otherwise. The YAML
 * parser costs ~5 MB of a cluster's idle memory, so it loads only for a map that needs it.
 */
export function decodeWithoutYAMLParser(text: string): unknown {
  return decodeJSONInYAML(text.replace(/^[ \t]*#.*$/gm, ''));
}

/** The ConfigMap's map text as it is stored now, if it needs the YAML parser to be read. */
export function imageMapNeedsYAML(store: Store): boolean {
  const cm = store.get('configmaps', IMAGE_MAP_CONFIGMAP.namespace, IMAGE_MAP_CONFIGMAP.name) as ConfigMapObj | undefined;
  const text = cm?.data?.[IMAGE_MAP_CONFIGMAP.key];
  return text !== undefined && decodeWithoutYAMLParser(text) === NOT_JSON;
}

export function imageMapReader(d: { store: Store; start?: ImageMap; record: EventRecorder; log: Pick<Logger, 'warn'> }) {
  let seen: string | undefined;
  let cached: ImageMap | undefined;
  const fromConfigMap = (): ImageMap | undefined => {
    const cm = d.store.get('configmaps', IMAGE_MAP_CONFIGMAP.namespace, IMAGE_MAP_CONFIGMAP.name) as ConfigMapObj | undefined;
    const rv = cm?.metadata.resourceVersion;
    if (rv === seen) return cached;
    const text = cm?.data?.[IMAGE_MAP_CONFIGMAP.key];
    const json = text === undefined ? NOT_JSON : decodeWithoutYAMLParser(text);
    // A YAML map while the parser loads (index.ts loads it on the change): read at the next start.
    if (json === NOT_JSON && text !== undefined && !yamlParserLoaded()) return undefined;
    seen = rv;
    cached = undefined;
    if (!cm || text === undefined) return undefined;
    let problems: string[];
    try {
      const r = readImageMap(json === NOT_JSON ? decodeYAML(text) : json, IMAGE_MAP_SOURCE);
      cached = r.map;
      problems = r.problems;
    } catch (e) {
      problems = [(e as Error).message];
    }
    if (problems.length) {
      const message = `data[${IMAGE_MAP_CONFIGMAP.key}]: ${problems.join('; ')}${cached?.entries.length ? ' (the other entries are used)' : ''}`;
      d.record(cm, 'Warning', 'InvalidImageMap', message);
      d.log.warn({ configMap: IMAGE_MAP_SOURCE }, `image map: ${message}`);
    }
    return cached;
  };
  return {
    /** The maps in search order. */
    maps(): ImageMap[] {
      const cm = fromConfigMap();
      return [...(cm ? [cm] : []), ...(d.start ? [d.start] : [])];
    },
  };
}
