// Moving between the shop's screens (kept apart from main.ts so screens need not import it).
import { signInForm } from "../shared/view";

let router: () => void = () => undefined;

export function setRouter(route: () => void): void {
  router = route;
}

export function navigate(path: string): void {
  history.pushState(null, "", path);
  router();
}

/** Screens that need a buyer ask for sign-in in place, then carry on where they were. */
export function needSignIn(title: string): HTMLElement {
  return signInForm(title, () => router());
}
