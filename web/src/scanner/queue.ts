// Scans decided on this device wait here until POST /api/v1/validation/sync has them. Each keeps
// its scan_id, so a batch whose answer was lost is simply sent again (the server answers a known
// scan_id with the verdict it stored).
import { parseCode } from "./code";
import type { Conflict, QueuedScan, ScannerDb } from "./store";

/** The sync endpoint takes at most this many scans a request. */
export const SYNC_BATCH_SIZE = 500;

/** One entry of the sync answer. */
export interface SyncedScan {
  scan_id: string;
  result: string;
  conflict: boolean;
  first_entry_at: string | null;
  first_entry_gate: string | null;
}

export async function enqueue(db: ScannerDb, scan: QueuedScan): Promise<void> {
  await db.put("queue", scan);
}

export async function queueLength(db: ScannerDb): Promise<number> {
  return db.count("queue");
}

/** The oldest waiting scans, in the order they were made (the server decides in scan-time order anyway). */
export async function nextBatch(db: ScannerDb, size = SYNC_BATCH_SIZE): Promise<QueuedScan[]> {
  return db.getAllFromIndex("queue", "by_time", null, size);
}

/**
 * Take the server's answer to a batch: each answered scan leaves the queue, conflicts are kept to
 * be shown. Scans the answer does not mention stay queued for the next sync.
 */
export async function applySyncAnswer(
  db: ScannerDb,
  sent: readonly QueuedScan[],
  answer: readonly SyncedScan[],
  now = Date.now(),
): Promise<Conflict[]> {
  const byId = new Map(sent.map((scan) => [scan.scan_id, scan]));
  const conflicts: Conflict[] = [];
  const tx = db.transaction(["queue", "conflicts", "tickets", "settings"], "readwrite");
  for (const item of answer) {
    const scan = byId.get(item.scan_id);
    if (!scan) continue;
    await tx.objectStore("queue").delete(item.scan_id);
    if (!item.conflict) continue;
    const parsed = parseCode(scan.qr_payload);
    const ticket = "claims" in parsed ? await tx.objectStore("tickets").get(parsed.claims.ticketId) : undefined;
    const conflict: Conflict = {
      scan_id: item.scan_id,
      result: item.result,
      holder_name: ticket?.holder_name ?? null,
      scanned_at: scan.scanned_at,
      first_entry_at: item.first_entry_at,
      first_entry_gate: item.first_entry_gate,
    };
    await tx.objectStore("conflicts").put(conflict);
    conflicts.push(conflict);
  }
  await tx.objectStore("settings").put(now, "lastSyncAt");
  await tx.done;
  return conflicts;
}
