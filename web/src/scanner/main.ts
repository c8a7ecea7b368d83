// The scanner's screen: which step the operator is at (not enrolled, access problem, post,
// scanning), the verdicts, and the figures of the door.
import "./styles.css";
import { formatAge, formatCount, formatTime } from "../shared/i18n";
import { Camera, RepeatFilter } from "./camera";
import { AccessDenied, type AccessProblem, Door, EnrolmentError } from "./door";
import { signal } from "./feedback";
import { type Direction, openScannerDb, type ScannerDb } from "./store";
import { type Verdict, describe } from "./verdict";

/** How long a verdict stays on screen, and how long the camera ignores the same code. */
const VERDICT_MS = 2500;
const REPEAT_WINDOW_MS = 4000;
/** While online, changes to the ticket list are fetched this often; while offline, reconnection is tried as often. */
const REFRESH_MS = 5000;

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

const SCREENS = ["loading", "welcome", "access-problem", "setup", "scan"] as const;
type Screen = (typeof SCREENS)[number];

function show(screen: Screen): void {
  for (const id of SCREENS) element(id).hidden = id !== screen;
  document.body.dataset.screen = screen;
}

const ACCESS_TEXT: Record<AccessProblem, { title: string; detail: string }> = {
  expired: {
    title: "Acceso vencido",
    detail: "El acceso de este teléfono venció. Pide al organizador un nuevo QR de enrolamiento para esta puerta y escanéalo: las lecturas pendientes se conservan.",
  },
  revoked: {
    title: "Teléfono dado de baja",
    detail: "El organizador revocó el acceso de este teléfono. Si debe seguir escaneando, pide un nuevo QR de enrolamiento.",
  },
  refused: {
    title: "Acceso rechazado",
    detail: "El servidor rechazó el acceso de este teléfono. Pide al organizador un nuevo QR de enrolamiento.",
  },
};

function enrolmentFailure(error: unknown): string {
  return error instanceof EnrolmentError
    ? error.message
    : "No se pudo terminar el enrolamiento: revisa la conexión; la lista de entradas se descargará al volver la red.";
}

class ScannerPage {
  private door: Door | null = null;
  private readonly camera: Camera;
  private readonly repeats = new RepeatFilter(REPEAT_WINDOW_MS);
  private verdictTimer: number | undefined;
  private wedgeBuffer = "";
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly db: ScannerDb) {
    this.camera = new Camera(element<HTMLVideoElement>("video"), (code) => this.fromCamera(code));
  }

  async start(): Promise<void> {
    this.bindControls();
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (token) {
      // The token lives only in the fragment (never sent to a server or written to its logs);
      // take it off the address bar once it is kept.
      history.replaceState(null, "", location.pathname);
      try {
        this.door = await Door.enrol(this.db, token);
      } catch (error) {
        this.door = await Door.open(this.db);
        if (await this.handleAccess(error)) return;
        if (!this.door) return this.showWelcomeError(error);
        // Still enrolled as before (or kept without its ticket list): say why above any screen.
        this.notice(enrolmentFailure(error));
      }
    } else {
      this.door = await Door.open(this.db);
    }
    if (!this.door) return show("welcome");
    try {
      this.door.checkExpiry();
    } catch (error) {
      await this.handleAccess(error);
      return;
    }
    if (this.door.enrolment.gate) this.showScanner();
    else this.showSetup();
    window.setInterval(() => void this.refresh(), REFRESH_MS);
    window.addEventListener("online", () => void this.refresh());
    window.addEventListener("offline", () => this.setOnline(false));
    if (!this.door.ready) void this.refresh();
  }

  private showWelcomeError(error: unknown): void {
    show("welcome");
    const box = element("welcome-error");
    box.hidden = false;
    box.textContent = enrolmentFailure(error);
  }

  private notice(text: string): void {
    const box = element("notice");
    box.textContent = text;
    box.hidden = false;
  }

  /** Shows the access screen for an AccessDenied; false for any other error. */
  private async handleAccess(error: unknown): Promise<boolean> {
    if (!(error instanceof AccessDenied)) return false;
    this.camera.stop();
    const text = ACCESS_TEXT[error.kind];
    element("access-title").textContent = text.title;
    element("access-detail").textContent = text.detail;
    const waiting = this.door ? (await this.door.status()).waiting : 0;
    const waitingLine = element("access-waiting");
    waitingLine.hidden = waiting === 0;
    waitingLine.textContent = `${formatCount(waiting)} lecturas esperan sincronización en este teléfono.`;
    document.body.dataset.access = error.kind;
    show("access-problem");
    return true;
  }

  private bindControls(): void {
    element<HTMLFormElement>("setup-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target as HTMLFormElement);
      const direction = (form.get("direction") === "out" ? "out" : "in") as Direction;
      void this.door?.setPost(String(form.get("gate") ?? ""), direction).then(() => this.showScanner());
    });
    element("change-post").addEventListener("click", () => {
      this.camera.stop();
      this.showSetup();
    });
    element("unenrol").addEventListener("click", () => void this.unenrol());
    element("access-unenrol").addEventListener("click", () => void this.unenrol());
    element("camera-toggle").addEventListener("click", () => void this.toggleCamera());
    let torchOn = false;
    element("torch").addEventListener("click", () => {
      torchOn = !torchOn;
      void this.camera.setTorch(torchOn);
      element("torch").setAttribute("aria-pressed", String(torchOn));
    });
    element<HTMLFormElement>("manual-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = element<HTMLInputElement>("manual-code");
      const code = input.value.trim();
      input.value = "";
      if (code) this.decide(code);
    });
    element("sync-now").addEventListener("click", () => void this.syncNow(true));
    element("verdict").addEventListener("click", () => this.hideVerdict());
    // A keyboard-wedge reader types the code and Enter wherever the focus is.
    document.addEventListener("keydown", (event) => this.fromKeyboard(event));
  }

  private fromKeyboard(event: KeyboardEvent): void {
    if (document.body.dataset.screen !== "scan") return;
    const target = event.target as HTMLElement | null;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    if (event.key === "Enter") {
      const code = this.wedgeBuffer.trim();
      this.wedgeBuffer = "";
      if (code.length >= 8) {
        event.preventDefault(); // not a click on whatever button has the focus
        this.decide(code);
      }
    } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      this.wedgeBuffer = (this.wedgeBuffer + event.key).slice(-300);
    }
  }

  private showSetup(): void {
    if (!this.door) return;
    const { enrolment } = this.door;
    element("setup-event").textContent = enrolment.eventName ?? "Evento";
    element<HTMLInputElement>("gate").value = enrolment.gate;
    for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="direction"]')) {
      radio.checked = radio.value === enrolment.direction;
    }
    show("setup");
  }

  private showScanner(): void {
    if (!this.door) return;
    const { enrolment } = this.door;
    element("scan-event").textContent = enrolment.eventName ?? "Evento";
    element("scan-post").textContent = `${enrolment.gate} · ${enrolment.direction === "in" ? "Entrada" : "Salida"}`;
    document.body.dataset.direction = enrolment.direction;
    show("scan");
    void this.renderStatus();
  }

  private async toggleCamera(): Promise<void> {
    const button = element("camera-toggle");
    if (this.camera.active) {
      this.camera.stop();
      button.textContent = "Activar cámara";
      element("camera-hint").hidden = false;
      element("torch").hidden = true;
      return;
    }
    try {
      await this.camera.start();
      button.textContent = "Apagar cámara";
      element("camera-hint").hidden = true;
      element("torch").hidden = !this.camera.hasTorch;
    } catch {
      element("camera-hint").textContent = "No se pudo abrir la cámara: revisa el permiso, o usa el ingreso manual.";
    }
  }

  private async fromCamera(code: string): Promise<void> {
    if (!this.repeats.accept(code)) return;
    this.decide(code);
    await this.busy;
  }

  /** Scans are decided one at a time, in the order they were read. */
  private decide(code: string): void {
    this.busy = this.busy.then(() => this.decideNow(code));
  }

  private async decideNow(code: string): Promise<void> {
    if (!this.door) return;
    try {
      const verdict = await this.door.scan(code);
      this.showVerdict(verdict);
    } catch (error) {
      if (!(await this.handleAccess(error))) {
        element("sync-message").textContent = error instanceof Error ? error.message : String(error);
      }
    }
    await this.renderStatus();
  }

  private showVerdict(verdict: Verdict): void {
    const text = describe(verdict);
    const box = element("verdict");
    box.dataset.result = verdict.result;
    box.dataset.tone = text.tone;
    box.dataset.offline = String(verdict.offline);
    element("verdict-title").textContent = text.title;
    element("verdict-holder").textContent = verdict.holderName ?? "";
    element("verdict-type").textContent = verdict.ticketType ?? "";
    element("verdict-child").textContent = verdict.childName ? `Menor: ${verdict.childName}` : "";
    element("verdict-detail").textContent = text.detail;
    element("verdict-offline").hidden = !verdict.offline;
    box.hidden = false;
    signal(text.tone);
    window.clearTimeout(this.verdictTimer);
    this.verdictTimer = window.setTimeout(() => this.hideVerdict(), VERDICT_MS);
  }

  private hideVerdict(): void {
    element("verdict").hidden = true;
  }

  private setOnline(online: boolean): void {
    if (this.door) this.door.online = online;
    const badge = element("network");
    badge.textContent = online ? "En línea" : "Sin conexión";
    badge.className = `badge ${online ? "online" : "offline"}`;
    document.body.dataset.network = online ? "online" : "offline";
  }

  /** Background work: the manifest's changes, and the queue once the network is back. */
  private async refresh(): Promise<void> {
    if (!this.door || document.body.dataset.screen === "access-problem") return;
    try {
      await this.door.refreshManifest(!this.door.ready);
      if ((await this.door.status()).waiting > 0) await this.syncNow(false);
    } catch (error) {
      await this.handleAccess(error);
    }
    await this.renderStatus();
  }

  private async syncNow(byHand: boolean): Promise<void> {
    if (!this.door) return;
    const message = element("sync-message");
    if (byHand) message.textContent = "Sincronizando…";
    try {
      const conflicts = await this.door.sync();
      message.textContent =
        conflicts.length > 0 ? `Sincronizado: ${conflicts.length} conflicto(s), revisa la lista` : byHand ? "Sincronizado" : "";
    } catch (error) {
      if (!(await this.handleAccess(error))) {
        message.textContent = "Sin conexión: las lecturas siguen guardadas en este teléfono.";
      }
    }
    await this.renderStatus();
  }

  private async renderStatus(): Promise<void> {
    if (!this.door) return;
    const status = await this.door.status();
    this.setOnline(status.online);
    element("admitted-here").textContent = formatCount(status.admittedHere);
    element("waiting").textContent = formatCount(status.waiting);
    element("last-sync").textContent = status.lastSyncAt ? formatAge(status.lastSyncAt) : "nunca";
    element("manifest-age").textContent = status.manifestAt
      ? `${formatCount(status.tickets)} entradas, ${formatAge(status.manifestAt)}`
      : "sin descargar";
    const list = element("conflict-list");
    list.replaceChildren(
      ...status.conflicts.map((conflict) => {
        const item = document.createElement("li");
        const who = conflict.holder_name ?? "Entrada";
        const first = conflict.first_entry_at
          ? `ya había entrado ${formatTime(conflict.first_entry_at)}${conflict.first_entry_gate ? ` por ${conflict.first_entry_gate}` : ""}`
          : "ya había entrado";
        item.textContent = `${who}: admitida aquí ${formatTime(conflict.scanned_at)} sin conexión, pero ${first}`;
        return item;
      }),
    );
    element("conflicts").hidden = status.conflicts.length === 0;
  }

  private async unenrol(): Promise<void> {
    if (!this.door) return;
    let waiting = (await this.door.status()).waiting;
    if (waiting > 0) {
      await this.syncNow(true);
      waiting = (await this.door.status()).waiting;
    }
    if (waiting > 0 && !window.confirm(`Hay ${waiting} lecturas sin sincronizar que se perderán. ¿Quitar este teléfono igual?`)) {
      return;
    }
    this.camera.stop();
    await this.door.unenrol();
    this.door = null;
    delete document.body.dataset.access;
    show("welcome");
  }
}

async function main(): Promise<void> {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/scanner/sw.js", { scope: "/scanner/" }).catch((error: unknown) => {
      console.warn("the offline shell is not available", error);
    });
  }
  const page = new ScannerPage(await openScannerDb());
  await page.start();
  document.body.dataset.ready = "true";
}

void main();
