import type { RuleConfig } from '@vigil/contracts';
import { missingClassFor } from './ppe';

/**
 * What is wrong with a camera's rules for a detector that outputs `labels`, one message per
 * problem; empty when every rule can fire. Meant for start-up: a rule naming a class the model
 * does not have (a typo, `Hardhat` for `helmet`, a PPE rule on a motion-only camera) would
 * otherwise hold forever without a word.
 */
export function ruleLabelProblems(rules: readonly RuleConfig[], labels: Iterable<string>): string[] {
  const known = new Set(labels);
  const list = [...known].map((label) => `"${label}"`).join(', ');
  const problems: string[] = [];
  for (const rule of rules) {
    if (rule.kind === 'ppe') {
      const missingClass = missingClassFor(rule);
      const inferable = known.has(rule.person) && known.has(rule.require);
      if (!inferable && !known.has(missingClass)) {
        problems.push(
          `rule "${rule.id}": needs classes "${rule.person}" and "${rule.require}", or "${missingClass}"; the detector has ${list}`,
        );
      }
    } else {
      const unknown = rule.classes.filter((label) => !known.has(label));
      if (unknown.length > 0) {
        problems.push(`rule "${rule.id}": unknown ${unknown.map((label) => `"${label}"`).join(', ')}; the detector has ${list}`);
      }
    }
  }
  return problems;
}
