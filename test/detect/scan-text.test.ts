import { PassThrough, Readable } from 'node:stream';
import { scanTextStream } from '../../src/detect';

async function run(input: string): Promise<{ out: string[]; err: string[]; counts: { lines: number; ok: number; bad: number } }> {
  const output = new PassThrough();
  const errOut = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  output.on('data', (b: Buffer) => out.push(b.toString('utf8')));
  errOut.on('data', (b: Buffer) => err.push(b.toString('utf8')));
  const counts = await scanTextStream(Readable.from([input]), output, errOut);
  return { out: out.join('').split('\n').filter(Boolean), err: err.join('').split('\n').filter(Boolean), counts };
}

describe('scanTextStream', () => {
  it('writes one findings line per input line, in input order, with string offsets', async () => {
    const lines = [
      { id: 'n1', text: 'BSN 123456782 en mail jan@voorbeeld.nl' },
      { id: 'n2', text: 'Niets bijzonders, offerte verstuurd.' },
      { id: 'n3', text: 'Klant zit in de ziektewet' },
    ];
    const { out, err, counts } = await run(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(err).toEqual([]);
    expect(counts).toEqual({ lines: 3, ok: 3, bad: 0 });
    expect(out.map((l) => JSON.parse(l))).toEqual([
      {
        id: 'n1',
        findings: [
          { category: 'bsn', start: 4, end: 13 },
          { category: 'email', start: 22, end: 38 },
        ],
      },
      { id: 'n2', findings: [] },
      { id: 'n3', findings: [{ category: 'health', start: 16, end: 25 }] },
    ]);
  });

  it('reports a bad line with its line number and field, and still processes the rest', async () => {
    const input = [
      JSON.stringify({ id: 'a', text: 'bsn 123456782' }),
      '{not json',
      JSON.stringify({ id: 'b', text: 42 }),
      JSON.stringify({ text: 'geen id' }),
      '',
      JSON.stringify({ id: 'c', text: 'mail jan@voorbeeld.nl' }),
    ].join('\n');
    const { out, err, counts } = await run(input);
    expect(counts).toEqual({ lines: 5, ok: 2, bad: 3 });
    expect(out.map((l) => JSON.parse(l).id)).toEqual(['a', 'c']);
    expect(err).toHaveLength(3);
    expect(err[0]).toMatch(/^line 2: invalid JSON$/);
    expect(err[1]).toMatch(/^line 3 \(id "b"\): field "text": expected string$/);
    expect(err[2]).toMatch(/^line 4: field "id": expected string$/);
  });

  it('never writes the text of a line, good or bad', async () => {
    const secret = 'zit in de ziektewet ivm burn-out, BSN 1234.56.782';
    const { out, err } = await run(`${JSON.stringify({ id: 'x', text: secret })}\n${JSON.stringify({ id: 'y', text: secret, extra: 1, bad: null })}\n${JSON.stringify({ id: 1, text: secret })}\n`);
    expect(out).toHaveLength(2);
    expect(err).toHaveLength(1);
    for (const line of [...out, ...err]) {
      expect(line).not.toContain('ziektewet');
      expect(line).not.toContain('782');
    }
  });

  it('handles CRLF input and a last line without newline', async () => {
    const { out, counts } = await run(`${JSON.stringify({ id: 'a', text: 'x' })}\r\n${JSON.stringify({ id: 'b', text: 'y' })}`);
    expect(counts.ok).toBe(2);
    expect(out.map((l) => JSON.parse(l).id)).toEqual(['a', 'b']);
  });
});
