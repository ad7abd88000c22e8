// Sizes the grid so every tile fits the window when that keeps tiles readable (2-4 cameras on a
// laptop screen), and falls back to a scrolling grid of readable tiles when it does not.

const ASPECT = 16 / 9; // the video area of a tile
const MIN_TILE_WIDTH = 320;
/** a layout with more columns wins when its tiles are at least this share of the largest tiles that fit */
const NEARLY_AS_LARGE = 0.8;

/**
 * @param {HTMLElement} grid
 * @param {number} count  number of tiles
 */
export function fitGrid(grid, count) {
  if (count === 0) return;
  // a tile's header and figures change height with its width (container queries), so measure
  // again after the first pass and fit once more if they did
  const chrome = tileChrome(grid);
  fitOnce(grid, count, chrome);
  const after = tileChrome(grid);
  if (Math.abs(after - chrome) >= 1) fitOnce(grid, count, after);
}

function fitOnce(grid, count, chrome) {
  const style = getComputedStyle(grid);
  const gap = parseFloat(style.columnGap) || 0;
  const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  const width = grid.clientWidth - padX;
  const height = window.innerHeight - grid.getBoundingClientRect().top - window.scrollY - padY;

  const fits = [];
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const byWidth = (width - gap * (cols - 1)) / cols;
    const byHeight = ((height - gap * (rows - 1)) / rows - chrome) * ASPECT;
    fits.push({ cols, tileWidth: Math.min(byWidth, byHeight) });
  }
  const largest = Math.max(...fits.map((fit) => fit.tileWidth));
  // the most columns whose tiles are nearly as large as the largest that fit: two cameras on a wide screen sit side
  // by side across the width, not stacked in a narrow column beside empty space
  let best = fits.filter((fit) => fit.tileWidth >= largest * NEARLY_AS_LARGE && fit.tileWidth >= MIN_TILE_WIDTH).at(-1) ?? { cols: 1, tileWidth: largest };

  if (best.tileWidth < MIN_TILE_WIDTH) {
    // too many cameras to fit: as many readable columns as the width allows, and scroll
    const cols = Math.max(1, Math.min(count, Math.floor((width + gap) / (MIN_TILE_WIDTH + gap))));
    best = { cols, tileWidth: (width - gap * (cols - 1)) / cols };
  }

  grid.style.setProperty('--cols', String(best.cols));
  grid.style.setProperty('--tile-width', `${Math.floor(best.tileWidth)}px`);
}

/** Height of a tile minus its video area (header, figures, footer), measured from a real tile. */
function tileChrome(grid) {
  const tile = grid.querySelector('.tile');
  const view = tile?.querySelector('.view');
  if (!tile || !view) return 120;
  return tile.getBoundingClientRect().height - view.getBoundingClientRect().height;
}
