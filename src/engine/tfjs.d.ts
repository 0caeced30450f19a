/** The types of tfjs.js (Node) and tfjs.browser.js (bundlers): those of `@tensorflow/tfjs`. */
export * from '@tensorflow/tfjs';
