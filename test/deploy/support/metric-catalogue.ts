import { Metrics } from '@lms/observability';
import type { MetricCatalogue } from './promql-check';

interface RegisteredMetric {
  name: string;
  type: string;
  labelNames: readonly string[];
}

/**
 * Every series name the apps can export, with its labels: the metrics libs/observability registers
 * (every app builds the same registry, Node process metrics included), histograms and summaries
 * expanded into the series Prometheus actually stores.
 */
export function exportedMetricCatalogue(): MetricCatalogue {
  const catalogue = new Map<string, Set<string>>();
  for (const metric of new Metrics().registry.getMetricsAsArray() as unknown as RegisteredMetric[]) {
    const labels = [...metric.labelNames];
    switch (metric.type) {
      case 'histogram':
        catalogue.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
        catalogue.set(`${metric.name}_sum`, new Set(labels));
        catalogue.set(`${metric.name}_count`, new Set(labels));
        break;
      case 'summary':
        catalogue.set(metric.name, new Set([...labels, 'quantile']));
        catalogue.set(`${metric.name}_sum`, new Set(labels));
        catalogue.set(`${metric.name}_count`, new Set(labels));
        break;
      default:
        catalogue.set(metric.name, new Set(labels));
    }
  }
  return catalogue;
}
