import type { ChainableCommander } from 'ioredis';

/** Runs a MULTI (or pipeline) and returns each step's reply; throws the first step's error, naming `what`. */
export async function execSteps(commands: ChainableCommander, what: string): Promise<unknown[]> {
  const results = await commands.exec();
  if (results === null) throw new Error(`${what}: the Redis transaction was discarded`);
  const failed = results.find(([error]) => error);
  if (failed) throw new Error(`${what}: ${failed[0]!.message}`);
  return results.map(([, reply]) => reply);
}
