import { z } from 'zod';
import { MIN_REASON_LENGTH } from '../compliance/acknowledge';
import { CHANGE_KINDS, type ChangeKind, type UnsafeChange } from './change-safety';

/** A reviewed, committed decision that one unsafe change may ship. */
export interface ChangeAcknowledgement {
  /** The stack's name, e.g. `prod-data-us-east-1`. */
  readonly stack: string;
  /** The resource's logical ID in that stack. */
  readonly logicalId: string;
  /** Which change is accepted: acknowledging a replacement does not let a widening through. */
  readonly change: ChangeKind;
  /** Why it is safe, for the next reviewer. */
  readonly reason: string;
}

/** A malformed acknowledgements file. Its message is one line. */
export class AcknowledgementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcknowledgementError';
  }
}

/** One stack and one resource, never a pattern: an acknowledgement covers exactly what was reviewed. */
const exactName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((name) => !/[*?]/.test(name), 'must name one target, without wildcards');

const acknowledgementsSchema = z.array(
  z.strictObject({
    stack: exactName,
    logicalId: exactName,
    change: z.enum(CHANGE_KINDS),
    reason: z.string().refine((reason) => reason.trim().length >= MIN_REASON_LENGTH, `needs at least ${MIN_REASON_LENGTH} characters`),
  }),
);

/**
 * Checks the acknowledgements read from `source` (a JSON array).
 * @throws AcknowledgementError naming the file, the entry and the problem, in one line
 */
export function parseAcknowledgements(json: unknown, source: string): ChangeAcknowledgement[] {
  const parsed = acknowledgementsSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const [index, ...field] = issue.path.map(String);
  const where = index === undefined ? '' : ` entry ${index}${field.length > 0 ? ` ${field.join('.')}` : ''}`;
  throw new AcknowledgementError(`${source}${where}: ${issue.message}`);
}

/** The gate's verdict: what it blocks, what acknowledgements let through, and acknowledgements that matched nothing. */
export interface Review {
  readonly blocked: UnsafeChange[];
  readonly acknowledged: UnsafeChange[];
  /** Acknowledgements of the compared stacks that match no change: delete them once the change is deployed. */
  readonly stale: ChangeAcknowledgement[];
}

const matches = (ack: ChangeAcknowledgement, change: UnsafeChange) =>
  ack.stack === change.stack && ack.logicalId === change.logicalId && ack.change === change.kind;

/**
 * Lets through the changes an acknowledgement names. Acknowledgements of stacks
 * outside `comparedStacks` (another environment's) are neither used nor stale.
 */
export function review(changes: UnsafeChange[], acknowledgements: ChangeAcknowledgement[], comparedStacks: Iterable<string>): Review {
  const compared = new Set(comparedStacks);
  const isAcknowledged = (change: UnsafeChange) => acknowledgements.some((ack) => matches(ack, change));
  return {
    blocked: changes.filter((change) => !isAcknowledged(change)),
    acknowledged: changes.filter(isAcknowledged),
    stale: acknowledgements.filter((ack) => compared.has(ack.stack) && !changes.some((change) => matches(ack, change))),
  };
}
