import type { CameraScope } from '@vigil/auth';
import { stitchInputsOf, type CameraConfig } from '@vigil/contracts';

/**
 * Whether a scoped caller may see this camera. A panorama shows its inputs' pictures, so it is as unknown as they
 * are to a caller who may not see both, whatever its own id matches.
 */
export function visibleTo(scope: CameraScope, camera: Pick<CameraConfig, 'id' | 'url'>): boolean {
  if (scope.all) return true;
  return scope.allows(camera.id) && (stitchInputsOf(camera)?.every((input) => scope.allows(input)) ?? true);
}

/** The scope as a test of camera ids, panoramas judged by the registry's cameras (for records that name only an id: alarms). */
export function panoramaAwareScope(scope: CameraScope, cameras: readonly Pick<CameraConfig, 'id' | 'url'>[]): (id: string) => boolean {
  if (scope.all) return () => true;
  const hidden = new Set(cameras.filter((camera) => !visibleTo(scope, camera)).map((camera) => camera.id));
  return (id) => scope.allows(id) && !hidden.has(id);
}
