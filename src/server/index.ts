/** The explorer server: `serveExplorer({ runs, port })` serves the built explorer and run folders. */
export { serveExplorer, DEFAULT_PORT, type ExplorerHandle, type ExplorerOptions } from './server.js';
export { findRuns, type RunSummary } from './runs.js';
