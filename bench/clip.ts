import { dirname, join } from 'node:path';
import { findRepoFile, generateClip, probeVideo, type VideoInfo } from '../scripts/support';

/** BENCH_CLIP_S changes the clip length (default 20 s); a file camera reopens its pipeline at every loop. */
export const CLIP = { width: 1920, height: 1080, fps: 30, seconds: Number(process.env.BENCH_CLIP_S) || 20, codec: 'h264' as const };

export function repoRoot(): string {
  return dirname(findRepoFile('package.json'));
}

/** The 1080p H.264 test clip (testsrc2, moving), generated once into .vigil/bench/ (git-ignored). */
export async function benchClip(): Promise<{ path: string; info: VideoInfo }> {
  const path = join(repoRoot(), '.vigil', 'bench', `testsrc2-${CLIP.height}p${CLIP.fps}-${CLIP.seconds}s-${CLIP.codec}.mp4`);
  await generateClip({ path, ...CLIP });
  const info = await probeVideo(path);
  return { path, info };
}
