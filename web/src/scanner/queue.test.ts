import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import issued from "./fixtures/issued-code.json";
import { applySyncAnswer, enqueue, nextBatch, queueLength } from "./queue";
import { type QueuedScan, type ScannerDb, applyManifest, getLastSyncAt, openScannerDb } from "./store";

let db: ScannerDb;
let dbName: string;

beforeEach(async () => {
  dbName = `scanner-test-${crypto.randomUUID()}`;
  db = await openScannerDb(dbName);
});

function scan(scanId: string, at: string, code = issued.code): QueuedScan {
  return { scan_id: scanId, qr_payload: code, gate: "Puerta Norte", direction: "in", scanned_at: at, local_result: "admitted" };
}

describe("the offline queue", () => {
  it("hands scans to sync oldest first, in batches", async () => {
    await enqueue(db, scan("c", "2026-12-02T23:45:00.000Z"));
    await enqueue(db, scan("a", "2026-12-02T23:41:00.000Z"));
    await enqueue(db, scan("b", "2026-12-02T23:43:00.000Z"));
    expect((await nextBatch(db, 2)).map((s) => s.scan_id)).toEqual(["a", "b"]);
    expect(await queueLength(db)).toBe(3);
  });

  it("keeps its scans when the page is closed and opened again", async () => {
    await enqueue(db, scan("a", "2026-12-02T23:41:00.000Z"));
    db.close();
    const reopened = await openScannerDb(dbName);
    expect(await nextBatch(reopened)).toEqual([scan("a", "2026-12-02T23:41:00.000Z")]);
  });

  it("stores a scan sent twice once (its scan_id is its identity)", async () => {
    await enqueue(db, scan("a", "2026-12-02T23:41:00.000Z"));
    await enqueue(db, scan("a", "2026-12-02T23:41:00.000Z"));
    expect(await queueLength(db)).toBe(1);
  });

  it("drops what the server answered, keeps what it did not, and remembers conflicts", async () => {
    await applyManifest(
      db,
      {
        cursor: "1",
        keys: issued.keys,
        tickets: [{ id: issued.claims.ticketId, ticket_type: "General", ticket_type_id: issued.claims.ticketTypeId, holder_name: "Ana Pérez", status: "valid" }],
      },
      true,
    );
    const sent = [scan("a", "2026-12-02T23:41:00.000Z"), scan("b", "2026-12-02T23:43:00.000Z")];
    for (const item of sent) await enqueue(db, item);
    await enqueue(db, scan("late", "2026-12-02T23:50:00.000Z"));
    const conflicts = await applySyncAnswer(
      db,
      sent,
      [
        { scan_id: "a", result: "admitted", conflict: false, first_entry_at: "2026-12-02T23:41:00Z", first_entry_gate: "Puerta Norte" },
        { scan_id: "b", result: "already_used", conflict: true, first_entry_at: "2026-12-02T23:30:00Z", first_entry_gate: "Puerta Sur" },
        { scan_id: "not-sent", result: "admitted", conflict: false, first_entry_at: null, first_entry_gate: null },
      ],
      1_000,
    );
    expect(conflicts).toEqual([
      {
        scan_id: "b",
        result: "already_used",
        holder_name: "Ana Pérez",
        scanned_at: "2026-12-02T23:43:00.000Z",
        first_entry_at: "2026-12-02T23:30:00Z",
        first_entry_gate: "Puerta Sur",
      },
    ]);
    expect((await nextBatch(db)).map((s) => s.scan_id)).toEqual(["late"]);
    expect(await db.getAll("conflicts")).toEqual(conflicts);
    expect(await getLastSyncAt(db)).toBe(1_000);
  });

  it("leaves the queue untouched when the answer names none of its scans", async () => {
    await enqueue(db, scan("a", "2026-12-02T23:41:00.000Z"));
    await applySyncAnswer(db, [scan("a", "2026-12-02T23:41:00.000Z")], []);
    expect(await queueLength(db)).toBe(1);
  });
});
