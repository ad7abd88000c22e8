/** The requested encoder cannot run here (or none can); raised at start so the service refuses to boot. */
export class EncoderUnavailableError extends Error {
  override name = 'EncoderUnavailableError';
}
