// Sentences the Merge and Try it panels build from the engine's numbers (plain functions, tested
// in src/ui/report-text.test.ts): nothing here measures or assumes a result.
import type { Generation, Timing } from '../engine/types.ts';

const ms = (x: number) => `${x.toFixed(2)} ms`;

/** What the merged forward's times say next to the base's: the ratio of medians, and whether the spreads overlap. */
export function overheadVerdict(base: Timing, merged: Timing): string {
  const ratio = merged.median / base.median;
  const head = `merged forward: ${ms(merged.median)} vs base ${ms(base.median)} (ratio ${ratio.toFixed(2)})`;
  if (base.runs < 2 || merged.runs < 2) return `${head}, from one timed run each: no spread to judge the difference by`;
  const spreads = `base ${base.min.toFixed(2)}–${base.max.toFixed(2)} ms, merged ${merged.min.toFixed(2)}–${merged.max.toFixed(2)} ms over ${merged.runs} runs each`;
  if (merged.min > base.max) return `${head}: slower than every base run (${spreads})`;
  if (merged.max < base.min) return `${head}: faster than every base run (${spreads}); the same matmuls, so this is timing noise`;
  return `${head}: within the run-to-run spread (${spreads}), so no overhead is measurable here`;
}

/** Why a completion is shorter than asked, or null: the prompt and the new tokens share the run's sequence length. */
export function contextNote(g: Generation): string | null {
  const parts: string[] = [];
  if (g.promptDropped > 0) parts.push(`the prompt's first ${g.promptDropped} token${g.promptDropped === 1 ? ' was' : 's were'} cut to fit`);
  if (g.generated < g.requested) parts.push(`stopped after ${g.generated} of ${g.requested} new tokens`);
  if (!parts.length) return null;
  const longer = g.context < g.modelContext ? `; a run with a longer sequence length (up to the model's context of ${g.modelContext}) can write more` : '';
  return `${parts.join(', ')}: this run's model reads at most ${g.context} tokens (its sequence length) and the prompt takes ${g.promptTokens}${longer}.`;
}
