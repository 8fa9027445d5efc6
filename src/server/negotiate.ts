// Content negotiation for the few response shapes kubectl asks for: plain objects/lists, server-
// side Tables (`as=Table;g=meta.k8s.io;v=v1`) and PartialObjectMetadata(List). Unknown or
// unsupported media types (protobuf) fall back to JSON, as upstream's negotiation does when the
// client also accepts application/json.
export type ResponseShape = 'object' | 'table' | 'partial';

export function responseShape(accept: string | undefined): ResponseShape {
  if (!accept) return 'object';
  for (const part of accept.split(',')) {
    const params = part.split(';').map((s) => s.trim());
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    const g = params.find((p) => p.startsWith('g='))?.slice(2);
    if (g !== 'meta.k8s.io') continue;
    if (as === 'Table') return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'partial';
  }
  return 'object';
}

export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return !!accept && accept.includes('as=APIGroupDiscoveryList') && accept.includes('g=apidiscovery.k8s.io');
}

export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
