/**
 * Tiles many images into one grid image (for PNG output of samples, reconstructions, grids).
 * Browser-safe: plain arrays in, plain arrays out.
 */

export interface TileOptions {
  /** Images per row (default ceil(sqrt(count))). */
  cols?: number;
  /** Pixels of background between images and around the border (default 2), in output pixels. */
  pad?: number;
  /** Background value in [0, 1] for every channel (default 1, white). */
  background?: number;
  /** Integer nearest-neighbour upscaling factor of every image (default 1). */
  scale?: number;
}

/** The grid image made by `tileImages`. */
export interface TiledImage {
  /** height × width × channels values, HWC. */
  data: Float32Array;
  width: number;
  height: number;
  /** Same as the input: 1 stays gray, 3 stays RGB. */
  channels: number;
}

/**
 * Lays out `count` images (NHWC, each h × w × c) left to right, top to bottom, in a grid of
 * `cols` columns. The result is `rows·h·scale + (rows+1)·pad` pixels tall and
 * `cols·w·scale + (cols+1)·pad` wide; cells past the last image stay background.
 */
export function tileImages(images: Float32Array, count: number, h: number, w: number, c: number, opts: TileOptions = {}): TiledImage {
  for (const [name, value] of [['count', count], ['h', h], ['w', w], ['c', c]] as const) {
    if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`tileImages: ${name} must be a positive integer, got ${value}`);
  }
  const cols = opts.cols ?? Math.ceil(Math.sqrt(count));
  const pad = opts.pad ?? 2;
  const background = opts.background ?? 1;
  const scale = opts.scale ?? 1;
  if (!(Number.isInteger(cols) && cols >= 1)) throw new RangeError(`tileImages: cols must be a positive integer, got ${opts.cols}`);
  if (!(Number.isInteger(pad) && pad >= 0)) throw new RangeError(`tileImages: pad must be a non-negative integer, got ${pad}`);
  if (!(Number.isInteger(scale) && scale >= 1)) throw new RangeError(`tileImages: scale must be a positive integer, got ${scale}`);
  const imageLength = h * w * c;
  if (images.length < count * imageLength) {
    throw new RangeError(`tileImages: ${count} images of ${h}×${w}×${c} need ${count * imageLength} values, got ${images.length}`);
  }

  const rows = Math.ceil(count / cols);
  const cellH = h * scale, cellW = w * scale;
  const width = cols * cellW + (cols + 1) * pad;
  const height = rows * cellH + (rows + 1) * pad;
  const data = new Float32Array(width * height * c).fill(background);

  for (let n = 0; n < count; n++) {
    const top = pad + Math.floor(n / cols) * (cellH + pad);
    const left = pad + (n % cols) * (cellW + pad);
    const src = n * imageLength;
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      const rowOut = ((top + y) * width + left) * c;
      const rowIn = src + sy * w * c;
      for (let x = 0; x < cellW; x++) {
        const i = rowIn + Math.floor(x / scale) * c;
        const o = rowOut + x * c;
        for (let k = 0; k < c; k++) data[o + k] = images[i + k];
      }
    }
  }
  return { data, width, height, channels: c };
}
