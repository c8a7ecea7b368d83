// The door scanner without its screen: enrolment, the manifest, verdicts online and offline, the
// queue and its sync. main.ts draws it; the browser tests drive it through the page.
import { ApiError, type Problem } from "../shared/problem";
import { NetworkError, isUnavailable, jwtClaims, requestJson } from "../shared/api";
import { KeyRing, type PublicJwk, verifyCode } from "./code";
import { decideOffline } from "./decide";
import { type SyncedScan, applySyncAnswer, enqueue, nextBatch, queueLength } from "./queue";
import {
  type Conflict,
  type Direction,
  type Enrolment,
  type ManifestTicket,
  type ScanResult,
  type ScannerDb,
  applyManifest,
  clearAll,
  getEnrolment,
  getLastSyncAt,
  getManifestState,
  recordAdmission,
  saveEnrolment,
} from "./store";
import type { Verdict } from "./verdict";

const API = "/api/v1";
/** An online verdict must come quickly, or the door decides offline (after one retry). */
export const SCAN_TIMEOUT_MS = 2500;
const MANIFEST_TIMEOUT_MS = 20_000;
const DELTA_TIMEOUT_MS = 4000;

/** Why the device cannot work with its token; the screen tells the operator what to do. */
export type AccessProblem = "expired" | "revoked" | "refused";

export class AccessDenied extends Error {
  constructor(readonly kind: AccessProblem) {
    super(`device access ${kind}`);
  }
}

export class EnrolmentError extends Error {}

interface ManifestAnswer {
  event_id: string;
  cursor: string;
  keys: PublicJwk[];
  tickets: ManifestTicket[];
}

interface ScanAnswer {
  result: ScanResult;
  ticket: { id: string; ticket_type: string | null; holder_name: string; child: { nombre: string } | null } | null;
  first_entry_at: string | null;
  first_entry_gate: string | null;
}

export interface DoorStatus {
  online: boolean;
  admittedHere: number;
  waiting: number;
  lastSyncAt: number | null;
  manifestAt: number | null;
  tickets: number;
  conflicts: Conflict[];
}

function accessProblem(problem: Problem): AccessProblem {
  if (problem.reason === "device_revoked") return "revoked";
  if (problem.reason === "token_expired" || problem.reason === "expired") return "expired";
  return "refused";
}

/** A token from an enrolment link, checked for what the scanner needs before it is kept. */
export function enrolmentFromToken(token: string, now = Date.now()): Enrolment {
  const claims = jwtClaims(token);
  const eventId = claims?.event_id;
  const deviceId = claims?.device_id;
  const exp = claims?.exp;
  if (typeof eventId !== "string" || typeof deviceId !== "string" || typeof exp !== "number") {
    throw new EnrolmentError("El enlace no contiene un acceso de dispositivo válido");
  }
  if (exp * 1000 <= now) throw new AccessDenied("expired");
  return { token, deviceId, eventId, expiresAt: exp * 1000, eventName: null, gate: "", direction: "in" };
}

export class Door {
  online = true;
  private keyring: KeyRing | null = null;
  private syncing: Promise<Conflict[]> | null = null;

  private constructor(
    private readonly db: ScannerDb,
    public enrolment: Enrolment,
  ) {}

  static async open(db: ScannerDb): Promise<Door | null> {
    const enrolment = await getEnrolment(db);
    if (!enrolment) return null;
    const door = new Door(db, enrolment);
    const manifest = await getManifestState(db);
    if (manifest) door.keyring = await KeyRing.fromJwks(manifest.keys);
    return door;
  }

  /** Keep the token of an enrolment link and download the event's manifest. */
  static async enrol(db: ScannerDb, token: string): Promise<Door> {
    const enrolment = enrolmentFromToken(token);
    const previous = await getEnrolment(db);
    const waiting = await queueLength(db);
    if (previous && waiting > 0 && previous.eventId !== enrolment.eventId) {
      throw new EnrolmentError(
        `Este teléfono tiene ${waiting} lecturas sin sincronizar de otro evento: sincronízalas antes de enrolarlo otra vez`,
      );
    }
    if (previous?.eventId === enrolment.eventId) {
      // A new token for the same event (the old one expired): keep gate, direction and the queue.
      enrolment.gate = previous.gate;
      enrolment.direction = previous.direction;
    } else {
      await clearAll(db);
    }
    const door = new Door(db, enrolment);
    enrolment.eventName = await door.eventName();
    await saveEnrolment(db, enrolment);
    await door.refreshManifest(true);
    return door;
  }

  get token(): string {
    return this.enrolment.token;
  }

  get ready(): boolean {
    return this.keyring !== null;
  }

  async setPost(gate: string, direction: Direction): Promise<void> {
    this.enrolment = { ...this.enrolment, gate: gate.trim(), direction };
    await saveEnrolment(this.db, this.enrolment);
  }

  /** Throws AccessDenied when the token is past its expiry: no request can succeed with it. */
  checkExpiry(now = Date.now()): void {
    if (this.enrolment.expiresAt <= now) throw new AccessDenied("expired");
  }

  private async call<T>(path: string, body: unknown, timeoutMs: number): Promise<T> {
    this.checkExpiry();
    try {
      return await requestJson<T>(`${API}${path}`, { token: this.token, body, timeoutMs });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw new AccessDenied(accessProblem(error.problem));
      if (error instanceof ApiError && error.status === 403) throw new AccessDenied("refused");
      throw error;
    }
  }

  private async eventName(): Promise<string | null> {
    try {
      const event = await requestJson<{ name?: string }>(`${API}/events/${this.enrolment.eventId}`, { timeoutMs: 5000 });
      return event.name ?? null;
    } catch {
      return null;
    }
  }

  /** The full manifest (at enrolment) or what changed since the last one; flips online state. */
  async refreshManifest(full = false): Promise<void> {
    const state = await getManifestState(this.db);
    const since = !full && state ? `?since=${encodeURIComponent(state.cursor)}` : "";
    try {
      const manifest = await this.call<ManifestAnswer>(
        `/validation/events/${this.enrolment.eventId}/manifest${since}`,
        undefined,
        since ? DELTA_TIMEOUT_MS : MANIFEST_TIMEOUT_MS,
      );
      await applyManifest(this.db, manifest, !since);
      this.keyring = await KeyRing.fromJwks(manifest.keys);
      this.online = true;
    } catch (error) {
      if (isUnavailable(error)) this.online = false;
      throw error;
    }
  }

  /** The verdict for one code: from the server when it answers in time, else from this device. */
  async scan(code: string): Promise<Verdict> {
    const scanId = crypto.randomUUID();
    const scannedAt = new Date().toISOString();
    if (this.online) {
      try {
        return await this.scanOnline(code, scanId);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        this.online = false;
      }
    }
    return this.scanOffline(code, scanId, scannedAt);
  }

  private async scanOnline(code: string, scanId: string): Promise<Verdict> {
    const body = {
      qr_payload: code.slice(0, 512),
      event_id: this.enrolment.eventId,
      gate: this.enrolment.gate || null,
      device_id: this.enrolment.deviceId,
      direction: this.enrolment.direction,
      scan_id: scanId,
    };
    let answer: ScanAnswer;
    try {
      answer = await this.call<ScanAnswer>("/validation/scan", body, SCAN_TIMEOUT_MS);
    } catch (error) {
      // The request may have reached the server: the same scan_id makes the retry safe.
      if (!(error instanceof NetworkError && error.timedOut)) throw error;
      answer = await this.call<ScanAnswer>("/validation/scan", body, SCAN_TIMEOUT_MS);
    }
    const verdict: Verdict = {
      result: answer.result,
      offline: false,
      ticketId: answer.ticket?.id ?? null,
      holderName: answer.ticket?.holder_name ?? null,
      ticketType: answer.ticket?.ticket_type ?? null,
      childName: answer.ticket?.child?.nombre ?? null,
      firstEntryAt: answer.first_entry_at,
      firstEntryGate: answer.first_entry_gate,
      invalidReason: null,
    };
    if (verdict.result === "admitted" && verdict.ticketId) {
      await recordAdmission(this.db, { ticketId: verdict.ticketId, at: new Date().toISOString(), gate: this.enrolment.gate || null });
    }
    return verdict;
  }

  private async scanOffline(code: string, scanId: string, scannedAt: string): Promise<Verdict> {
    if (!this.keyring) throw new EnrolmentError("Este teléfono aún no tiene la lista de entradas: conéctalo a la red");
    const verification = await verifyCode(code, this.keyring);
    const ticketId = verification.ok ? verification.claims.ticketId : null;
    const verdict = decideOffline(verification, {
      eventId: this.enrolment.eventId,
      direction: this.enrolment.direction,
      ticket: ticketId ? await this.db.get("tickets", ticketId) : undefined,
      admission: ticketId ? await this.db.get("admissions", ticketId) : undefined,
    });
    if (verdict.result === "admitted" && ticketId) {
      await recordAdmission(this.db, { ticketId, at: scannedAt, gate: this.enrolment.gate || null });
    }
    await enqueue(this.db, {
      scan_id: scanId,
      qr_payload: code.trim().slice(0, 512),
      gate: this.enrolment.gate || null,
      direction: this.enrolment.direction,
      scanned_at: scannedAt,
      local_result: verdict.result,
    });
    return verdict;
  }

  /** Send the queue (oldest first, in batches); returns the conflicts the server reported. */
  sync(): Promise<Conflict[]> {
    this.syncing ??= this.syncAll().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncAll(): Promise<Conflict[]> {
    const conflicts: Conflict[] = [];
    for (;;) {
      const before = await queueLength(this.db);
      const batch = await nextBatch(this.db);
      try {
        const answer = await this.call<{ results: SyncedScan[] }>(
          "/validation/sync",
          { device_id: this.enrolment.deviceId, event_id: this.enrolment.eventId, scans: batch },
          15_000,
        );
        conflicts.push(...(await applySyncAnswer(this.db, batch, answer.results)));
        this.online = true;
      } catch (error) {
        if (isUnavailable(error)) this.online = false;
        throw error;
      }
      // Done when the queue is empty, or when an answer took nothing off it (try again later).
      const after = await queueLength(this.db);
      if (after === 0 || after >= before) return conflicts;
    }
  }

  async status(): Promise<DoorStatus> {
    const manifest = await getManifestState(this.db);
    return {
      online: this.online,
      admittedHere: await this.db.count("admissions"),
      waiting: await queueLength(this.db),
      lastSyncAt: await getLastSyncAt(this.db),
      manifestAt: manifest?.fetchedAt ?? null,
      tickets: await this.db.count("tickets"),
      conflicts: (await this.db.getAll("conflicts")).sort((a, b) => b.scanned_at.localeCompare(a.scanned_at)),
    };
  }

  /** Forget this enrolment on the device. */
  async unenrol(): Promise<void> {
    await clearAll(this.db);
  }
}
