import { RetortLogger } from '../src/logger';

/** What the api's log looks like in a file: plain text, no start-up chatter at the default level. */
describe('the api log', () => {
  function capture(logger: RetortLogger, write: (l: RetortLogger) => void): string {
    const chunks: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true));
    try {
      write(logger);
    } finally {
      stdout.mockRestore();
    }
    return chunks.join('');
  }

  it('is plain text without colours, and leaves routes and modules to the debug level', () => {
    const out = capture(new RetortLogger({ logLevel: 'log', logColors: false }), (l) => {
      l.log('Mapped {/api/v1/runs, GET} route', 'RouterExplorer');
      l.log('AppModule dependencies initialized', 'InstanceLoader');
      l.log('listening on http://127.0.0.1:3000', 'api');
    });
    expect(out).toContain('[api] listening on http://127.0.0.1:3000');
    expect(out).not.toContain('Mapped');
    expect(out).not.toContain('dependencies initialized');
    expect(out).not.toMatch(/\u001b\[/);
  });

  it('shows the start-up report at debug, and colours where asked', () => {
    const out = capture(new RetortLogger({ logLevel: 'debug', logColors: true }), (l) => l.log('Mapped {/api/v1/runs, GET} route', 'RouterExplorer'));
    expect(out).toContain('Mapped {/api/v1/runs, GET} route');
    expect(out).toContain('DEBUG');
    expect(out).toMatch(/\u001b\[/);
  });
});
