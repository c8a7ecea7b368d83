// What the scanner keeps on the device, in IndexedDB: the enrolment, the event's manifest (keys
// and tickets), this device's admissions, the queue of scans waiting for sync, and the conflicts
// the server reported. Survives reloads, closed tabs and the network going away.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { PublicJwk } from "./code";

export type Direction = "in" | "out";
export type ScanResult =
  | "admitted"
  | "already_used"
  | "invalid"
  | "revoked"
  | "wrong_event"
  | "exited"
  | "not_inside";

export interface Enrolment {
  token: string;
  deviceId: string;
  eventId: string;
  expiresAt: number; // epoch ms, from the token's exp
  eventName: string | null;
  gate: string;
  direction: Direction;
}

export interface ManifestTicket {
  id: string;
  ticket_type: string | null;
  ticket_type_id: string;
  holder_name: string;
  status: "valid" | "used" | "revoked";
}

export interface ManifestState {
  cursor: string;
  keys: PublicJwk[];
  fetchedAt: number; // when the device last heard from the server about this event
}

/** One scan as POST /api/v1/validation/sync takes it. */
export interface QueuedScan {
  scan_id: string;
  qr_payload: string;
  gate: string | null;
  direction: Direction;
  scanned_at: string;
  local_result: ScanResult;
}

export interface Admission {
  ticketId: string;
  at: string;
  gate: string | null;
}

export interface Conflict {
  scan_id: string;
  result: string;
  holder_name: string | null;
  scanned_at: string;
  first_entry_at: string | null;
  first_entry_gate: string | null;
}

interface ScannerSchema extends DBSchema {
  settings: { key: string; value: unknown };
  tickets: { key: string; value: ManifestTicket };
  admissions: { key: string; value: Admission };
  queue: { key: string; value: QueuedScan; indexes: { by_time: string } };
  conflicts: { key: string; value: Conflict };
}

export type ScannerDb = IDBPDatabase<ScannerSchema>;

export async function openScannerDb(name = "crowdify-scanner"): Promise<ScannerDb> {
  return openDB<ScannerSchema>(name, 1, {
    upgrade(db) {
      db.createObjectStore("settings");
      db.createObjectStore("tickets", { keyPath: "id" });
      db.createObjectStore("admissions", { keyPath: "ticketId" });
      db.createObjectStore("queue", { keyPath: "scan_id" }).createIndex("by_time", "scanned_at");
      db.createObjectStore("conflicts", { keyPath: "scan_id" });
    },
  });
}

export async function getEnrolment(db: ScannerDb): Promise<Enrolment | null> {
  return ((await db.get("settings", "enrolment")) as Enrolment | undefined) ?? null;
}

export async function saveEnrolment(db: ScannerDb, enrolment: Enrolment): Promise<void> {
  await db.put("settings", enrolment, "enrolment");
}

export async function getManifestState(db: ScannerDb): Promise<ManifestState | null> {
  return ((await db.get("settings", "manifest")) as ManifestState | undefined) ?? null;
}

export async function getLastSyncAt(db: ScannerDb): Promise<number | null> {
  return ((await db.get("settings", "lastSyncAt")) as number | undefined) ?? null;
}

/** Apply a manifest (full or a ?since= delta): rows replace what the device had. */
export async function applyManifest(
  db: ScannerDb,
  manifest: { cursor: string; keys: PublicJwk[]; tickets: ManifestTicket[] },
  full: boolean,
  now = Date.now(),
): Promise<void> {
  const tx = db.transaction(["tickets", "settings"], "readwrite");
  const tickets = tx.objectStore("tickets");
  if (full) await tickets.clear();
  for (const ticket of manifest.tickets) await tickets.put(ticket);
  const state: ManifestState = { cursor: manifest.cursor, keys: manifest.keys, fetchedAt: now };
  await tx.objectStore("settings").put(state, "manifest");
  await tx.done;
}

export async function recordAdmission(db: ScannerDb, admission: Admission): Promise<void> {
  // The earliest admission this device saw is the one that counts.
  const tx = db.transaction("admissions", "readwrite");
  if (!(await tx.store.get(admission.ticketId))) await tx.store.put(admission);
  await tx.done;
}

/** Forget everything about the enrolment (un-enrol); queued scans must be synced first. */
export async function clearAll(db: ScannerDb): Promise<void> {
  const names = ["settings", "tickets", "admissions", "queue", "conflicts"] as const;
  const tx = db.transaction(names, "readwrite");
  await Promise.all(names.map((name) => tx.objectStore(name).clear()));
  await tx.done;
}
