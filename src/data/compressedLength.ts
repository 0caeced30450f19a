/**
 * L(x) for the input-complexity score (src/analysis/ood.ts): the length in bits of each image
 * losslessly compressed as an 8-bit PNG by sharp (libspng/zlib) at maximum compression
 * (compressionLevel 9, adaptive row filtering, no palette quantisation), gray for one channel,
 * RGB for three. Serrà et al. 2020 used PNG among their compressors. The PNG container adds a
 * constant (signature, IHDR, IEND: 57 bytes) to every image of a shape, which shifts every score
 * equally and so changes no ranking. Node only.
 */
import sharp from 'sharp';

/** Bits of the PNG of each of n HWC images in [0, 1] (8-bit quantised as they would be saved). */
export async function pngBits(images: Float32Array, n: number, shape: [number, number, number], onProgress?: (done: number) => void): Promise<Float64Array> {
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new Error(`pngBits: images must have 1 or 3 channels, got ${c}`);
  const size = h * w * c;
  const bits = new Float64Array(n);
  const one = async (i: number): Promise<void> => {
    const raw = Buffer.alloc(size);
    for (let j = 0; j < size; j++) {
      const v = images[i * size + j];
      raw[j] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
    let img = sharp(raw, { raw: { width: w, height: h, channels: c } });
    if (c === 1) img = img.toColourspace('b-w');
    const png = await img.png({ compressionLevel: 9, adaptiveFiltering: true, palette: false }).toBuffer();
    bits[i] = png.length * 8;
  };
  const chunk = 64; // images in flight at once (sharp's thread pool works through them)
  for (let s = 0; s < n; s += chunk) {
    await Promise.all(Array.from({ length: Math.min(chunk, n - s) }, (_, k) => one(s + k)));
    onProgress?.(Math.min(n, s + chunk));
  }
  return bits;
}
