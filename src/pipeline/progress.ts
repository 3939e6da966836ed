/** Progress of long runs, reported as counts only (never personal values). */
export interface Progress {
  phase: 'sync' | 'evaluate' | 'apply';
  done: number;
  total?: number;
  findings?: number;
  failed?: number;
}
export type ProgressFn = (p: Progress) => void;

/** A stderr progress line that rewrites itself on a terminal and prints sparingly otherwise. */
export function stderrProgress(label: string): ProgressFn & { finish(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let lastText = '';
  const fn = ((p: Progress) => {
    const now = Date.now();
    const pct = p.total ? ` (${Math.min(100, Math.round((p.done / p.total) * 100))}%)` : '';
    lastText = `${label} ${p.phase}: ${p.done}${p.total ? `/${p.total}` : ''}${pct}${p.findings !== undefined ? `, ${p.findings} findings` : ''}${p.failed ? `, ${p.failed} failed` : ''}`;
    if (tty) process.stderr.write(`\r${lastText}\x1b[K`);
    else if (now - last > 2000) {
      process.stderr.write(`${lastText}\n`);
      last = now;
    }
  }) as ProgressFn & { finish(): void };
  fn.finish = () => {
    if (tty && lastText) process.stderr.write('\n');
    else if (!tty && lastText) process.stderr.write(`${lastText}\n`);
  };
  return fn;
}
