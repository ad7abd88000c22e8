import { DECODER_ELEMENTS } from './pipeline/decoder';
import { run } from './exec';

/**
 * Asks GStreamer which elements this machine has. NVIDIA's elements register only where a
 * driver is present, so their presence is the test for NVDEC. Probed once per process.
 */
export class GstreamerProbe {
  private available?: Promise<ReadonlySet<string>>;

  constructor(private readonly elements: readonly string[] = DECODER_ELEMENTS) {}

  availableElements(): Promise<ReadonlySet<string>> {
    this.available ??= this.probe();
    return this.available;
  }

  private async probe(): Promise<ReadonlySet<string>> {
    const found = await Promise.all(
      this.elements.map(async (name) => ((await run('gst-inspect-1.0', ['--exists', name], 15_000)).code === 0 ? name : undefined)),
    );
    return new Set(found.filter((name): name is string => name !== undefined));
  }
}
