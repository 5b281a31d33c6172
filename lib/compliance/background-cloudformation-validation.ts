import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import {
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';

const WORKER_FILE = path.join(__dirname, 'cloudformation-validate-worker.cjs');

/** How long synth waits for the worker's report before it gives up with an error. */
const WORKER_TIMEOUT_MS = 10 * 60 * 1000;

interface WorkerReply {
  readonly id: number;
  readonly report?: PolicyValidationPluginReport;
  readonly error?: string;
}

/**
 * One worker per process, started by the first plugin: starting the validation
 * engine is what costs, and a test run builds many apps. Requests are answered in
 * order on one port; replies that belong to another request wait in `replies`.
 */
class ValidationWorker {
  private static instance?: ValidationWorker;

  public static shared(): ValidationWorker {
    ValidationWorker.instance ??= new ValidationWorker();
    return ValidationWorker.instance;
  }

  private readonly port: MessagePort;
  private readonly replies = new Map<number, WorkerReply>();
  private nextId = 0;

  private constructor() {
    const { port1, port2 } = new MessageChannel();
    // The worker never keeps the process alive: the app exits when synth is done.
    new Worker(WORKER_FILE, { workerData: { port: port2 }, transferList: [port2] }).unref();
    this.port = port1;
  }

  /** Posts `context` for validation and returns at once with a ticket for {@link collect}. */
  public post(context: IPolicyValidationContext): { readonly id: number; readonly done: Int32Array } {
    const id = this.nextId++;
    const done = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    // The construct tree cannot cross threads, and the plugin reads only the templates.
    const { templatePaths, stackTemplates, accountId, region } = context;
    this.port.postMessage({ id, context: { templatePaths, stackTemplates, accountId, region }, done });
    return { id, done };
  }

  /** Blocks until the worker has answered `ticket`, then returns its report. */
  public collect(ticket: { readonly id: number; readonly done: Int32Array }): PolicyValidationPluginReport {
    if (Atomics.wait(ticket.done, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`CloudFormation validation: no report from the worker thread within ${WORKER_TIMEOUT_MS / 1000} s`);
    }
    for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) {
      const reply = message.message as WorkerReply;
      this.replies.set(reply.id, reply);
    }
    const reply = this.replies.get(ticket.id);
    this.replies.delete(ticket.id);
    if (!reply?.report) throw new Error(`CloudFormation validation failed on the worker thread: ${reply?.error ?? 'no reply'}`);
    return reply.report;
  }
}

/**
 * aws-cdk-lib's built-in CloudFormation validation — the same plugin class, rules and
 * report name ("CloudFormation Validate"), acknowledged as `CloudFormation-Validate::…`
 * — run on a worker thread instead of after every other plugin on the main one.
 *
 * The worker starts its engine while the app is still being built, and
 * {@link startedBy} hands it the templates as soon as the first plugin runs, so the
 * schema checks overlap cfn-guard and cdk-nag on the other core. Registering this
 * instance replaces the App's default one (aws-cdk-lib skips its own when the app
 * registers a `CloudFormationValidatePlugin`), so the templates are validated once.
 */
export class BackgroundCloudFormationValidation extends CloudFormationValidatePlugin {
  private readonly worker = ValidationWorker.shared();
  private pending?: { readonly templates: string; readonly ticket: ReturnType<ValidationWorker['post']> };

  /** Hands the templates to the worker thread and returns at once; {@link validate} collects the report. */
  public begin(context: IPolicyValidationContext): void {
    const templates = JSON.stringify(context.templatePaths);
    if (this.pending?.templates === templates) return;
    this.pending = { templates, ticket: this.worker.post(context) };
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.begin(context);
    const { ticket } = this.pending!;
    this.pending = undefined;
    return this.worker.collect(ticket);
  }

  /**
   * `plugin`, except that its turn first hands the templates to this validation, so
   * the two run at once. Register the result before the other plugins and this
   * validation after them.
   */
  public startedBy(plugin: IPolicyValidationPlugin): IPolicyValidationPlugin {
    return {
      name: plugin.name,
      version: plugin.version,
      ruleIds: plugin.ruleIds,
      validate: (context) => {
        this.begin(context);
        return plugin.validate(context);
      },
    };
  }
}
