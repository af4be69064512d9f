// Say what it waits for: on a slow first visit the progress line tells how far the big downloads under way are
// (Python, NumPy, onnxruntime, the model), in megabytes, with the words of the step that waits for them. Sizes
// come from build.json (`sizes`: the files' own bytes; a host's Content-Length counts compressed bytes).
import { observeSiteFetches } from '../fetched-files.js';

const SITE = new URL('../', import.meta.url).href; // build.json's sizes are relative to it
const REPORT_EVERY_MS = 150;
const mb = (bytes) => (bytes / 1e6).toFixed(1);

// report(received, total, text): bytes of the files being downloaded now (with those of their batch already done),
// and the same in words.
export function reportDownloads(sizes, report) {
  const downloads = new Map(); // url -> {received, total, finished}: this batch's
  let reportedAt = 0;
  const tell = (force) => {
    const now = performance.now();
    if (!force && now - reportedAt < REPORT_EVERY_MS) return;
    reportedAt = now;
    let received = 0;
    let total = 0;
    for (const download of downloads.values()) { received += download.received; total += download.total; }
    report(received, total, `${mb(received)} of ${mb(total)} MB`);
  };
  observeSiteFetches(async (url, response) => {
    const total = (await sizes)[url.slice(SITE.length)];
    if (!total) return response.body?.cancel();
    // a batch: the downloads under way and those done since the last time none was under way
    if ([...downloads.values()].every((done) => done.finished)) downloads.clear();
    const download = { received: 0, total, finished: false };
    downloads.set(url, download);
    try {
      const reader = response.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        download.received += chunk.value.length;
        tell(false);
      }
      tell(true);
    } catch {
      // the download failed: its reader says so to the step that waits for it
    } finally {
      download.finished = true;
    }
  });
}
