/**
 * Area under the ROC curve of a score that should be higher for positives (anomalies):
 *
 *   AUROC = P(s⁺ > s⁻) + ½·P(s⁺ = s⁻)
 *
 * over all positive/negative pairs (the Mann–Whitney U statistic divided by n⁺·n⁻). Computed from
 * ranks in O(n log n): sort, give tied scores their average rank, and
 * U = Σ_{positives} rank − n⁺(n⁺+1)/2.
 */

/** AUROC of `scores` for the examples where `positive` is true. NaN scores are an error. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`auroc: ${n} scores but ${positive.length} flags`);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`auroc: score ${i} is NaN`);
    if (positive[i]) nPos++;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new Error(`auroc: needs positives and negatives (got ${nPos} and ${nNeg})`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // ranks start+1 .. end (1-based) are tied: each gets their mean
    const meanRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (positive[order[k]]) rankSumPos += meanRank;
    start = end;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
