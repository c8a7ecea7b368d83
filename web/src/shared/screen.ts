// One screen at a time in a page's <main>: the screen's work stops when another replaces it
// (timers, polling), and a screen that cannot load shows why, in Spanish.
import { h } from "./dom";
import { problemPanel } from "./view";

export interface ScreenContext {
  /** Run when the screen is replaced (clear a timer, stop polling). */
  onLeave(cleanup: () => void): void;
  /** Still the screen on display? (an answer that arrives late is dropped otherwise) */
  readonly current: boolean;
}

export type Screen = (context: ScreenContext) => Promise<Node>;

export class Screens {
  private cleanups: (() => void)[] = [];
  private serial = 0;

  constructor(
    private readonly main: HTMLElement,
    private readonly actions: { signIn: () => void; back: () => void },
  ) {}

  async show(screen: Screen, name: string): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    const serial = ++this.serial;
    const context: ScreenContext = {
      onLeave: (cleanup) => this.cleanups.push(cleanup),
      get current() {
        return holder.serial === serial;
      },
    };
    const holder = this;
    this.main.setAttribute("aria-busy", "true");
    this.main.dataset.screen = "loading";
    this.main.replaceChildren(h("p", { class: "note" }, "Cargando…"));
    let content: Node;
    let screenName = name;
    try {
      content = await screen(context);
    } catch (error) {
      content = problemPanel(error, this.actions);
      screenName = "problem";
    }
    if (serial !== this.serial) return;
    this.main.replaceChildren(content);
    this.main.dataset.screen = screenName;
    this.main.removeAttribute("aria-busy");
    const heading = this.main.querySelector<HTMLElement>("h1, h2");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

/** Call `tick` every `everyMs` while the screen is shown (and once now); errors keep the last view. */
export function every(context: ScreenContext, everyMs: number, tick: () => Promise<void> | void): void {
  let running = false;
  const run = async () => {
    if (running || !context.current) return;
    running = true;
    try {
      await tick();
    } catch {
      // A failed refresh leaves the last good figures on screen; the next one tries again.
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, everyMs);
  context.onLeave(() => clearInterval(timer));
}

export function statusBadge(status: string, label: string): HTMLElement {
  return h("span", { class: `status status-${status}`, "data-status": status }, label);
}
