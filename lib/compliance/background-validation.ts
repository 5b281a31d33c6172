import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import {
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';

// Validation plugins run one after another on the main thread once every template is
// written; those here hand their work to a worker thread as soon as the first plugin
// runs, and wait for it at their own turn, so the machine's cores check in parallel.

const WORKER_FILE = path.join(__dirname, 'validation-worker.cjs');

/** How long synth waits for a worker's report before it gives up with an error. */
const WORKER_TIMEOUT_MS = 5 * 60 * 1000;

/** A job for validation-worker.cjs; see the protocol there. */
export type ValidationJob =
  | { readonly kind: 'cloudformation'; readonly context: TransferableContext }
  | { readonly kind: 'cfn-guard'; readonly context: TransferableContext; readonly runs: ReadonlyArray<{ templatePath: string; rules: string[] }> };

/** The validation context without the construct tree, which cannot cross threads and which these plugins do not read. */
export type TransferableContext = Omit<IPolicyValidationContext, 'appConstruct'>;

/** `context` without its construct tree, to post to a worker. */
export function transferable(context: IPolicyValidationContext): TransferableContext {
  const { templatePaths, stackTemplates, accountId, region } = context;
  return { templatePaths, stackTemplates, accountId, region };
}

interface Ticket {
  readonly id: number;
  readonly done: Int32Array;
}

interface WorkerReply {
  readonly id: number;
  readonly report?: PolicyValidationPluginReport;
  readonly error?: string;
}

/**
 * One worker thread, answering jobs in order on one port. There is one per kind of
 * job per process: the CloudFormation engine is costly to start, and a test run
 * builds many apps. Replies that belong to another request wait in `replies`.
 */
export class ValidationWorker {
  private static readonly workers = new Map<ValidationJob['kind'], ValidationWorker>();

  /** The process's worker for `kind`, started on first use; the CloudFormation one starts its engine at once. */
  public static for(kind: ValidationJob['kind']): ValidationWorker {
    if (!ValidationWorker.workers.has(kind)) ValidationWorker.workers.set(kind, new ValidationWorker(kind));
    return ValidationWorker.workers.get(kind)!;
  }

  private readonly port: MessagePort;
  private readonly replies = new Map<number, WorkerReply>();
  private nextId = 0;

  private constructor(kind: ValidationJob['kind']) {
    const { port1, port2 } = new MessageChannel();
    // Never keeps the process alive: the app exits when synth is done.
    new Worker(WORKER_FILE, { workerData: { port: port2, warm: kind }, transferList: [port2] }).unref();
    this.port = port1;
  }

  /** Posts `job` and returns at once with a ticket for {@link collect}. */
  public post(job: ValidationJob): Ticket {
    const ticket = { id: this.nextId++, done: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) };
    this.port.postMessage({ id: ticket.id, job, done: ticket.done });
    return ticket;
  }

  /** Blocks until the worker has answered `ticket`, then returns its report. */
  public collect(ticket: Ticket): PolicyValidationPluginReport {
    if (Atomics.wait(ticket.done, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`Validation: no report from the worker thread within ${WORKER_TIMEOUT_MS / 1000} s`);
    }
    for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) {
      const reply = message.message as WorkerReply;
      this.replies.set(reply.id, reply);
    }
    const reply = this.replies.get(ticket.id);
    this.replies.delete(ticket.id);
    if (!reply?.report) throw new Error(`Validation failed on the worker thread: ${reply?.error ?? 'no reply'}`);
    return reply.report;
  }
}

/**
 * The job of one plugin for one set of templates: posted by `begin`, collected by
 * `collect`, which posts it first if `begin` was not called for these templates.
 */
export class BackgroundJob {
  private pending?: { readonly templates: string; readonly ticket: Ticket };

  constructor(
    private readonly worker: ValidationWorker,
    private readonly jobFor: (context: IPolicyValidationContext) => ValidationJob,
  ) {}

  public begin(context: IPolicyValidationContext): void {
    const templates = JSON.stringify(context.templatePaths);
    if (this.pending?.templates === templates) return;
    this.pending = { templates, ticket: this.worker.post(this.jobFor(context)) };
  }

  public collect(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.begin(context);
    const { ticket } = this.pending!;
    this.pending = undefined;
    return this.worker.collect(ticket);
  }
}

/** A validation plugin that can start its work off the main thread before its turn. */
export interface IBackgroundValidationPlugin extends IPolicyValidationPlugin {
  /** Starts validating the templates on a worker thread and returns at once; `validate` collects the report. */
  begin(context: IPolicyValidationContext): void;
}

/**
 * `plugin`, except that its turn first starts every one of `background`. Register
 * the result before the other plugins and the background plugins after them, so
 * their work overlaps everything in between.
 */
export function startingInBackground(plugin: IPolicyValidationPlugin, background: readonly IBackgroundValidationPlugin[]): IPolicyValidationPlugin {
  return {
    name: plugin.name,
    version: plugin.version,
    ruleIds: plugin.ruleIds,
    validate: (context) => {
      for (const other of background) other.begin(context);
      return plugin.validate(context);
    },
  };
}

/**
 * aws-cdk-lib's built-in CloudFormation validation — the same plugin class, rules and
 * report name ("CloudFormation Validate"), acknowledged as `CloudFormation-Validate::…`
 * — run on a worker thread that starts its engine while the app is still being built.
 *
 * Registering it replaces the App's default instance (aws-cdk-lib skips its own when
 * the app registers a `CloudFormationValidatePlugin`), so templates are validated once.
 */
export class BackgroundCloudFormationValidation extends CloudFormationValidatePlugin implements IBackgroundValidationPlugin {
  private readonly job = new BackgroundJob(ValidationWorker.for('cloudformation'), (context) => ({
    kind: 'cloudformation',
    context: transferable(context),
  }));

  public begin(context: IPolicyValidationContext): void {
    this.job.begin(context);
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.job.collect(context);
  }
}
