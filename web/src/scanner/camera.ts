// The camera as a code reader: getUserMedia, then the browser's BarcodeDetector where it has one,
// else zxing-wasm (its WASM is part of the build: nothing is fetched from elsewhere at run time).
import zxingWasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url";

type Detect = (video: HTMLVideoElement, canvas: HTMLCanvasElement) => Promise<string | null>;

interface NativeBarcodeDetector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
interface NativeBarcodeDetectorClass {
  new (options: { formats: string[] }): NativeBarcodeDetector;
  getSupportedFormats(): Promise<string[]>;
}

async function nativeDetector(): Promise<Detect | null> {
  const Detector = (globalThis as { BarcodeDetector?: NativeBarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return null;
  try {
    if (!(await Detector.getSupportedFormats()).includes("qr_code")) return null;
  } catch {
    return null;
  }
  const detector = new Detector({ formats: ["qr_code"] });
  return async (video) => (await detector.detect(video))[0]?.rawValue ?? null;
}

async function wasmDetector(): Promise<Detect> {
  const { prepareZXingModule, readBarcodes } = await import("zxing-wasm/reader");
  prepareZXingModule({ overrides: { locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? zxingWasmUrl : prefix + path) } });
  return async (video, canvas) => {
    const width = Math.min(video.videoWidth, 960);
    const height = Math.round((video.videoHeight * width) / video.videoWidth);
    if (!width || !height) return null;
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    if (!context) return null;
    context.drawImage(video, 0, 0, width, height);
    const results = await readBarcodes(context.getImageData(0, 0, width, height), {
      formats: ["QRCode"],
      maxNumberOfSymbols: 1,
      tryHarder: true,
    });
    return results.find((result) => result.isValid)?.text ?? null;
  };
}

/** Ignores a code seen again within `windowMs` (a ticket held in front of the camera). */
export class RepeatFilter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  accept(code: string, now = Date.now()): boolean {
    for (const [known, at] of this.seen) if (now - at >= this.windowMs) this.seen.delete(known);
    if (this.seen.has(code)) return false;
    this.seen.set(code, now);
    return true;
  }
}

export class Camera {
  private stream: MediaStream | null = null;
  private running = false;
  private detect: Detect | null = null;
  private readonly canvas = document.createElement("canvas");

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onCode: (code: string) => Promise<void>,
  ) {}

  get active(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.detect ??= (await nativeDetector()) ?? (await wasmDetector());
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    this.video.srcObject = this.stream;
    this.video.muted = true;
    this.video.playsInline = true;
    await this.video.play();
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  /** Whether the camera has a torch that can be switched from the page. */
  get hasTorch(): boolean {
    const track = this.stream?.getVideoTracks()[0];
    const capabilities = track?.getCapabilities?.() as { torch?: boolean } | undefined;
    return capabilities?.torch === true;
  }

  async setTorch(on: boolean): Promise<void> {
    const track = this.stream?.getVideoTracks()[0];
    await track?.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const code = this.video.readyState >= 2 && this.detect ? await this.detect(this.video, this.canvas) : null;
        if (code && this.running) await this.onCode(code);
      } catch (error) {
        console.warn("decoder failed on a frame", error);
      }
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
  }
}
