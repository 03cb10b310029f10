/**
 * Progress of a long run on stderr: one line rewritten in place on a terminal, a line per stage
 * (and every 10%) otherwise, so logs of scheduled runs stay short.
 */
export function progressPrinter(write: (line: string) => void, tty = process.stderr.isTTY) {
  let lastStage = '';
  let lastTenth = -1;
  let lastDraw = 0;
  return (stage: string, done: number, total: number) => {
    const tenth = total > 0 ? Math.floor((done * 10) / total) : 10;
    if (tty) {
      const now = Date.now();
      if (now - lastDraw < 100 && done < total && stage === lastStage) return;
      lastDraw = now;
      lastStage = stage;
      process.stderr.write(`\r\x1b[K${stage}: ${done}/${total}` + (done >= total ? '\n' : ''));
      return;
    }
    if (stage !== lastStage || (tenth !== lastTenth && total >= 1000)) {
      write(`${stage}: ${done}/${total}`);
      lastStage = stage;
      lastTenth = tenth;
    }
  };
}
