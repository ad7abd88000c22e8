import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';

/**
 * One Prometheus registry per process. Several apps share it in the all-in-one process, so
 * metrics are fetched by name: the first caller creates one, later callers get the same.
 * Default metrics include nodejs_eventloop_lag_* (event-loop delay, p50/p90/p99).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Counter<L>;
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({ ...config, registers: [this.registry] });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
