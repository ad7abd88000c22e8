import type { Counter, Gauge, LabelValues } from 'prom-client';

type Labelled = Counter<string> | Gauge<string>;

/**
 * Removes every series of `metrics` whose labels `matches` says so, whatever their other labels are (a removed
 * camera's, of every rule, state or reason): camera ids come and go, and a series kept for each would grow for good.
 */
export async function removeSeries(metrics: readonly Labelled[], matches: (labels: LabelValues<string>) => boolean): Promise<void> {
  for (const metric of metrics) {
    for (const { labels } of (await metric.get()).values) if (matches(labels)) metric.remove(labels as LabelValues<string>);
  }
}

/** The same for one camera's series. */
export function removeCameraSeries(metrics: readonly Labelled[], camera: string): Promise<void> {
  return removeSeries(metrics, (labels) => labels.camera === camera);
}
