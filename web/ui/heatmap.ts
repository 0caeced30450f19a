/** The standard 2-D Gaussian N(0, I) as a heat map image, for the background of z-space plots. */

/**
 * A PNG data URL of the density of N(0, I) over [lo, hi]² (`px` pixels a side, y up): white where
 * the density is low, deepening blue towards the mode.
 */
export function gaussianHeatmapUrl(lo: number, hi: number, px = 120): string {
  const c = document.createElement('canvas');
  c.width = px;
  c.height = px;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  const img = ctx.createImageData(px, px);
  for (let j = 0; j < px; j++) {
    const z2 = hi - ((j + 0.5) / px) * (hi - lo); // row 0 is the top: largest z2
    for (let i = 0; i < px; i++) {
      const z1 = lo + ((i + 0.5) / px) * (hi - lo);
      const d = Math.exp(-0.5 * (z1 * z1 + z2 * z2)); // density relative to the mode
      const o = 4 * (j * px + i);
      img.data[o] = Math.round(255 - 170 * d);
      img.data[o + 1] = Math.round(255 - 120 * d);
      img.data[o + 2] = Math.round(255 - 40 * d);
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL('image/png');
}
