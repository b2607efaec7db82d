/**
 * The teacher bench's fake OpenAI-compatible server, in a process of its own (forked by
 * bench/teacher.ts with the latency in ms as its argument) so that its event loop does not share a
 * core's time slices with the client being measured. Driven by IPC messages: stats, reset, close.
 */
import { startFakeOpenAI } from '../libs/teacher/test/fake-openai-server';

if (!process.send) throw new Error('bench/teacher-server.ts is started by bench/teacher.ts (fork)');
void startFakeOpenAI({ latencyMs: Number(process.argv[2]) }).then((server) => {
  process.on('message', async (message: string) => {
    if (message === 'stats') process.send!({ received: [...server.stats.received] });
    if (message === 'reset') process.send!((server.reset(), 'ok'));
    if (message === 'close') process.send!((await server.close(), 'closed'));
  });
  process.send!({ baseUrl: server.baseUrl });
});
