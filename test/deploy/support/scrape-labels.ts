import { KubernetesObject } from './kustomize-renderer';

/**
 * Labels Prometheus adds to every series it scrapes through prometheus-operator's PodMonitor: job
 * and instance (Prometheus), namespace, pod, container and endpoint (the operator), and whatever
 * the rendered PodMonitors' relabelings write.
 */
export function scrapeTargetLabels(objects: KubernetesObject[]): ReadonlySet<string> {
  const labels = new Set(['job', 'instance', 'namespace', 'pod', 'container', 'endpoint']);
  for (const monitor of objects.filter((object) => object.kind === 'PodMonitor')) {
    const endpoints = (
      monitor.spec as { podMetricsEndpoints?: Array<{ relabelings?: Array<{ targetLabel?: string }> }> }
    ).podMetricsEndpoints;
    for (const endpoint of endpoints ?? []) {
      for (const relabeling of endpoint.relabelings ?? []) {
        if (relabeling.targetLabel) labels.add(relabeling.targetLabel);
      }
    }
  }
  return labels;
}
