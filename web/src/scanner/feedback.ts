// A distinct sound and vibration per kind of verdict, so the door can work without looking.
import type { VerdictText } from "./verdict";

let audio: AudioContext | null = null;

function tone(context: AudioContext, frequency: number, start: number, duration: number, type: OscillatorType): void {
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.25, context.currentTime + start);
  gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + start + duration);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start(context.currentTime + start);
  oscillator.stop(context.currentTime + start + duration);
}

const PATTERNS: Record<VerdictText["tone"], { tones: [number, number, number][]; wave: OscillatorType; vibrate: number[] }> = {
  // Two rising beeps: in.
  ok: { tones: [[880, 0, 0.12], [1320, 0.14, 0.18]], wave: "sine", vibrate: [80] },
  // A long low buzz: stop.
  stop: { tones: [[180, 0, 0.6]], wave: "square", vibrate: [300, 120, 300, 120, 300] },
  // Two flat beeps: look at the screen.
  warn: { tones: [[520, 0, 0.15], [520, 0.25, 0.15]], wave: "triangle", vibrate: [150, 100, 150] },
};

export function signal(kind: VerdictText["tone"]): void {
  const pattern = PATTERNS[kind];
  try {
    audio ??= new AudioContext();
    for (const [frequency, start, duration] of pattern.tones) tone(audio, frequency, start, duration, pattern.wave);
  } catch {
    // No audio (muted policy, old browser): the colour and the vibration still say it.
  }
  navigator.vibrate?.(pattern.vibrate);
}
