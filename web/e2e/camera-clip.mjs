// A clip for Chromium's fake camera (--use-file-for-fake-video-capture): a QR code on white, as
// a phone held up to the camera shows it. Y4M (4:2:0): per frame the luma plane, then two chroma
// planes at half size; grey QR on white needs only luma, chroma stays neutral (128).
import { renameSync, writeFileSync } from "node:fs";
import QRCode from "qrcode";

const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 10;

export function writeQrClip(path, text) {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const modules = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor((HEIGHT - 40) / (modules + 2 * quiet));
  const side = scale * (modules + 2 * quiet);
  const left = Math.floor((WIDTH - side) / 2);
  const top = Math.floor((HEIGHT - side) / 2);
  const luma = Buffer.alloc(WIDTH * HEIGHT, 235);
  for (let row = 0; row < modules; row += 1) {
    for (let col = 0; col < modules; col += 1) {
      if (!qr.modules.get(row, col)) continue;
      for (let y = 0; y < scale; y += 1) {
        const start = (top + (row + quiet) * scale + y) * WIDTH + left + (col + quiet) * scale;
        luma.fill(16, start, start + scale);
      }
    }
  }
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2), 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  // Written aside, then renamed: the camera opens the file when it starts, never half-written.
  writeFileSync(`${path}.tmp`, Buffer.concat([header, ...Array(FRAMES).fill(frame)]));
  renameSync(`${path}.tmp`, path);
}
