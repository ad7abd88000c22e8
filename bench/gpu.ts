/**
 * `npm run bench:gpu` (bench/gpu.sh): what an NVIDIA machine gives vigil, in under five minutes. Prints figures;
 * where a part cannot run (no GPU, no NVDEC element, no CUDA add-on, a GPU without NVENC) it prints why and goes on,
 * so the same script is its own CPU fallback here.
 *
 *   - NVDEC: decode fps of 1, 8 and 32 concurrent 1080p H.264 streams through the ingest pipeline (nvh264dec), once
 *     to fakesink right after the decoder and once with the JPEG encode ingest does;
 *   - ONNX Runtime's CUDA provider: images/s at batch 1, 4 and 8 on the bench model;
 *   - NVENC: whether a real test encode works, for H.264 and H.265 (H100/H200 have none);
 *   - a GPU JPEG path: whether GStreamer has nvjpegenc (vigil has no GPU JPEG path yet).
 *
 * Environment: BENCH_GPU_STREAMS (1,8,32), BENCH_GPU_ONNX_S (5 per batch size).
 */
import { execFileSync } from 'node:child_process';
import { OnnxSession } from '../libs/detect/src/onnx/onnx-session';
import { testEncode } from '../libs/media/src/encoder/test-encode';
import { GstreamerProbe } from '../libs/media/src/gstreamer-probe';
import { benchClip } from './clip';
import { writeBenchModel } from './inference-model';
import { gstLaunch } from './limit';
import { edit, ingestLaunch, remove, toFakesink } from './pipeline';
import { figure, fmt, note } from './report';

const ENCODE_TIMEOUT_MS = 20_000;

function streamCounts(): number[] {
  const raw = process.env.BENCH_GPU_STREAMS ?? '1,8,32';
  const counts = raw.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0 && n <= 64);
  return counts.length > 0 ? counts : [1, 8, 32];
}

/** The GPU's name, driver and memory from nvidia-smi, or why there is none. */
export function describeGpu(): { ok: true; text: string } | { ok: false; reason: string } {
  try {
    const text = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 }).trim();
    return text ? { ok: true, text } : { ok: false, reason: 'nvidia-smi lists no GPU' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'nvidia-smi not found (no NVIDIA driver)' : `nvidia-smi failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** N copies of one launch line decoding at once; frames/s summed over them. */
async function concurrent(launch: string, streams: number, framesEach: number): Promise<{ fps: number; cores: number }> {
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: streams }, () => gstLaunch(launch, framesEach)));
  const seconds = (performance.now() - started) / 1000;
  return { fps: (framesEach * streams) / seconds, cores: runs.reduce((sum, r) => sum + r.cores, 0) };
}

async function nvdec(elements: ReadonlySet<string>): Promise<void> {
  const clip = await benchClip();
  const frames = clip.info.frames ?? 600;
  if (!elements.has('nvh264dec')) {
    figure('gpu.nvdec', 'unavailable', 'GStreamer has no nvh264dec here (no NVIDIA driver, or gstreamer1.0-plugins-bad without nvcodec)');
    // the CPU fallback ingest would take, one stream, for scale
    const cpu = await gstLaunch(toFakesink(ingestLaunch(clip.path)), frames);
    figure('gpu.cpu_reference.avdec_h264_jpeg.fps', cpu.fps, `frames/s, 1 stream, avdec_h264 + JPEG (${fmt(cpu.cpuMsPerFrame, 2)} ms CPU/frame)`);
    return;
  }
  const full = toFakesink(ingestLaunch(clip.path, { decoder: 'nvh264dec' }));
  // decode alone: everything after the decoder's download to system memory goes
  const decodeOnly = edit(full, remove('jpegenc'));
  note(`nvdec pipeline: ${full}`);
  for (const streams of streamCounts()) {
    for (const [label, launch] of [['decode', decodeOnly], ['decode_jpeg', full]] as const) {
      try {
        const r = await concurrent(launch, streams, frames);
        figure(`gpu.nvdec.${label}.streams_${streams}.fps`, r.fps, `frames/s over ${streams} streams (${fmt(r.fps / streams)} each, ${fmt(r.cores, 2)} CPU cores)`);
      } catch (error) {
        figure(`gpu.nvdec.${label}.streams_${streams}.fps`, 'failed', (error as Error).message.split('\n')[0]!);
      }
    }
  }
}

async function onnxCuda(): Promise<void> {
  const model = await writeBenchModel();
  let session: OnnxSession;
  try {
    session = await OnnxSession.load(model.path, { provider: 'cuda' });
  } catch (error) {
    figure('gpu.onnx_cuda', 'unavailable', (error as Error).message.split('\n')[0]!);
    return;
  }
  const seconds = Number(process.env.BENCH_GPU_ONNX_S) || 5;
  try {
    const size = 640;
    for (const batch of [1, 4, 8]) {
      const input = new Float32Array(batch * 3 * size * size).fill(0.5);
      await session.run(input, batch, size, size); // warm-up: CUDA kernels and memory are set up on the first run
      let images = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await session.run(input, batch, size, size);
        images += batch;
      }
      figure(`gpu.onnx_cuda.batch_${batch}.fps`, images / ((performance.now() - started) / 1000), 'images/s (640x640, bench model)');
    }
  } finally {
    await session.close();
  }
}

async function nvenc(): Promise<void> {
  for (const [label, codec] of [['h264', 'h264_nvenc'], ['h265', 'hevc_nvenc']] as const) {
    const outcome = await testEncode('ffmpeg', ['-c:v', codec], ENCODE_TIMEOUT_MS);
    figure(`gpu.nvenc.${label}`, outcome.ok ? 'works' : 'unavailable', outcome.ok ? `${codec}: a test encode worked` : `${codec}: ${outcome.error}`);
  }
}

async function gpuJpeg(): Promise<void> {
  const elements = await new GstreamerProbe(['nvjpegenc']).availableElements();
  figure('gpu.jpeg', elements.has('nvjpegenc') ? 'nvjpegenc present' : 'none', 'vigil encodes JPEG on the CPU (jpegenc); GStreamer nvjpegenc would be the GPU path');
}

async function main(): Promise<void> {
  const gpu = describeGpu();
  figure('gpu.device', gpu.ok ? gpu.text : 'none', gpu.ok ? '' : gpu.reason);
  const elements = await new GstreamerProbe(['nvh264dec', 'nvh265dec']).availableElements();
  for (const part of [() => nvdec(elements), onnxCuda, nvenc, gpuJpeg]) {
    try {
      await part();
    } catch (error) {
      note(`failed: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) {
  main()
    .catch((error: Error) => {
      console.error(error.stack ?? error);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(), 100).unref());
}
