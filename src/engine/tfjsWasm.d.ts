/** tfjsWasm.js and tfjsWasm.browser.js are imported for their effect only. */
export {};
