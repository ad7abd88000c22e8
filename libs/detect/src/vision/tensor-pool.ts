/**
 * Model input buffers reused from batch to batch. A fresh [4, 3, 640, 640] Float32Array is 20 MB that the kernel
 * must hand out and zero page by page as the letterbox first writes it, then the collector must free: measured at
 * about 4 ms a batch more than refilling one. The ONNX worker gives each buffer back with its result.
 */
export class TensorPool {
  private readonly free: Float32Array[] = [];

  /**
   * @param floats every buffer's length: the largest batch's tensor, so that any buffer fits any batch
   * @param maxFree buffers kept for reuse (one per batch that can be in flight at once: being filled, being run)
   */
  constructor(
    readonly floats: number,
    private readonly maxFree = 2,
  ) {}

  /** A buffer to fill: a returned one when there is one, else a new one. */
  take(): Float32Array {
    return this.free.pop() ?? new Float32Array(this.floats);
  }

  /** Hands a buffer back once nothing reads it any more; one of another length, or beyond `maxFree`, is left to the collector. */
  give(buffer: Float32Array): void {
    if (buffer.byteOffset === 0 && buffer.length === this.floats && this.free.length < this.maxFree && !this.free.includes(buffer)) this.free.push(buffer);
  }
}
