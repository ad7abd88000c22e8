/**
 * `npm run demo`: the whole system on this machine with embedded defaults (see startDemo): a redis-server (unless
 * REDIS_URL is set), a real RTSP server with two synthetic cameras, and the all-in-one vigil process; prints the URL
 * to open. Ctrl-C stops everything it started.
 */
import { demoOptionsFromEnv, startDemo, type DemoHandle } from './support';

async function main(): Promise<void> {
  let demo: DemoHandle | undefined;
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      console.log('\nstopping...');
      await demo?.stop();
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    demo = await startDemo({ ...demoOptionsFromEnv(), echo: true });
    const watch = demo.rtmp ? `  the yard's annotated stream, re-encoded to H.264: ffplay ${demo.rtmp} (or open it in VLC)\n` : '';
    console.log(
      [
        '',
        `  vigil is running: open ${demo.url}`,
        `  sign in as ${demo.signIn.username} with the password ${demo.signIn.password}  (made for this run)`,
        `  the API takes the admin token: curl -H 'Authorization: Bearer ${demo.adminToken}' ${demo.url}/api/cameras`,
        `${watch}  (API: /api/cameras, /api/alarms, /api/egress, /api/tokens, /api/users, /api/audit; clips in ${demo.alarmsDir}; metrics: ${demo.url}/metrics; Ctrl-C stops everything)`,
        '',
      ].join('\n'),
    );
    const code = await demo.vigil.child.exited;
    if (!stopping) {
      console.error(`vigil exited with code ${code}`);
      await stopAll(1);
    }
  } catch (error) {
    console.error(`demo failed: ${(error as Error).message}`);
    await stopAll(1);
  }
}

void main();
