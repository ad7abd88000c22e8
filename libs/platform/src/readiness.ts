import { Global, Injectable, Module } from '@nestjs/common';

/**
 * A component's readiness check: true while it does its work. It must answer quickly from state the component
 * keeps (a flag, a child's state), not by probing something: /readyz asks every check on every probe.
 */
export type ReadinessCheck = () => boolean;

/** what a component may be called in /readyz's body: a short plain name, never an error or a host */
export const READINESS_COMPONENT_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * The checks /readyz asks besides Redis, contributed by the services of this process (inference: its model worker
 * is up; alarms: its violations consumer runs). Each has a component name, which is all /readyz tells a probe about
 * a failing one. The all-in-one process has them all.
 */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Adds `component`'s check (replacing one of that name); the returned function takes it away again. */
  register(component: string, check: ReadinessCheck): () => void {
    if (!READINESS_COMPONENT_PATTERN.test(component)) throw new Error(`readiness component "${component}" must match ${READINESS_COMPONENT_PATTERN}`);
    this.checks.set(component, check);
    return () => {
      if (this.checks.get(component) === check) this.checks.delete(component);
    };
  }

  /** The components whose check fails or throws now, by name, sorted. */
  degraded(): string[] {
    const down: string[] = [];
    for (const [component, check] of this.checks) {
      let up: boolean;
      try {
        up = check();
      } catch {
        up = false;
      }
      if (!up) down.push(component);
    }
    return down.sort();
  }
}

/** Readiness for every module of the process (CoreModule imports it). */
@Global()
@Module({ providers: [Readiness], exports: [Readiness] })
export class ReadinessModule {}
