// The EC2 Query API, as much of it as the origin's life uses (MEDIA_ORIGIN §5): DescribeInstances, StartInstances and
// StopInstances on `POST /` with a form body, SigV4-verified for service `ec2`, answering EC2's XML (and its error
// envelope). Each instance runs the real state machine with timers: stopped → pending → running → stopping → stopped.
// Tests and the local origin read the state through `Ec2Emulator`; other processes through GET/POST /__emulator/ec2.
import { randomUUID } from "node:crypto";

export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

const CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80 };
const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

export interface Ec2Settings {
  /** How long `pending` lasts before `running`. */
  pendingMs: number;
  /** How long `stopping` lasts before `stopped`. */
  stoppingMs: number;
}

/** A scripted failure: the next `times` calls of `action` (any action when absent) answer this EC2 error. */
export interface Ec2Fault {
  action?: string;
  code: string;
  message?: string;
  status?: number;
  times?: number;
}

export interface Ec2Call {
  action: string;
  instanceId: string | null;
  signatureValid: boolean;
  status: number;
  at: number;
}

interface Instance {
  state: InstanceStateName;
  launchTime: Date | null;
  timer: NodeJS.Timeout | null;
}

export class Ec2Emulator {
  readonly calls: Ec2Call[] = [];
  private readonly instances = new Map<string, Instance>();
  private readonly faults: Ec2Fault[] = [];
  private readonly listeners = new Set<(id: string, state: InstanceStateName) => void>();

  constructor(
    readonly settings: Ec2Settings = { pendingMs: 300, stoppingMs: 300 },
    initial: Record<string, InstanceStateName> = { [DEFAULT_INSTANCE_ID]: "stopped" },
  ) {
    for (const [id, state] of Object.entries(initial)) this.instances.set(id, { state, launchTime: state === "running" ? new Date() : null, timer: null });
  }

  state(id = DEFAULT_INSTANCE_ID): InstanceStateName | null {
    return this.instances.get(id)?.state ?? null;
  }

  launchTime(id = DEFAULT_INSTANCE_ID): Date | null {
    return this.instances.get(id)?.launchTime ?? null;
  }

  /** Puts an instance in a state at once (creating it if needed); `launchTime` moves when it becomes running. */
  setState(id: string, state: InstanceStateName, launchTime?: Date): void {
    const inst = this.instances.get(id) ?? { state, launchTime: null, timer: null };
    if (inst.timer) clearTimeout(inst.timer);
    inst.timer = null;
    this.instances.set(id, inst);
    this.move(id, inst, state);
    if (launchTime) inst.launchTime = launchTime;
  }

  fail(fault: Ec2Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  onChange(fn: (id: string, state: InstanceStateName) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  countOf(action: string): number {
    return this.calls.filter((c) => c.action === action && c.status === 200).length;
  }

  /** Forget calls and scripted faults; instances keep their states. */
  reset(): void {
    this.calls.length = 0;
    this.faults.length = 0;
  }

  stop(): void {
    for (const inst of this.instances.values()) if (inst.timer) clearTimeout(inst.timer);
  }

  describeAll(): Record<string, { state: InstanceStateName; launchTime: string | null }> {
    const out: Record<string, { state: InstanceStateName; launchTime: string | null }> = {};
    for (const [id, i] of this.instances) out[id] = { state: i.state, launchTime: i.launchTime?.toISOString() ?? null };
    return out;
  }

  /** One Query API call whose signature has been checked; returns the HTTP status and XML body. */
  handle(form: string, signatureValid: boolean): { status: number; xml: string } {
    const params = new URLSearchParams(form);
    const action = params.get("Action") ?? "";
    const id = params.get("InstanceId.1");
    const out = this.answer(action, id, params);
    this.calls.push({ action, instanceId: id, signatureValid, status: out.status, at: Date.now() });
    return out;
  }

  private answer(action: string, id: string | null, params: URLSearchParams): { status: number; xml: string } {
    if (params.get("Version") !== "2016-11-15") return errorXml(400, "InvalidParameterValue", "Version must be 2016-11-15.");
    const fault = this.faults.find((f) => !f.action || f.action === action);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return errorXml(fault.status ?? 400, fault.code, fault.message ?? `${fault.code} (scripted)`);
    }
    if (!["DescribeInstances", "StartInstances", "StopInstances"].includes(action)) return errorXml(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
    if (!id) return errorXml(400, "MissingParameter", "The request must contain the parameter InstanceId.1");
    if (!/^i-[0-9a-f]{8,17}$/.test(id)) return errorXml(400, "InvalidInstanceID.Malformed", `Invalid id: "${id}"`);
    const inst = this.instances.get(id);
    if (!inst) return errorXml(400, "InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
    if (action === "DescribeInstances") return { status: 200, xml: describeXml(id, inst) };
    const previous = inst.state;
    if (action === "StartInstances") {
      if (inst.state === "stopping" || inst.state === "terminated" || inst.state === "shutting-down") {
        return errorXml(400, "IncorrectInstanceState", `The instance '${id}' is not in a state from which it can be started.`);
      }
      if (inst.state === "stopped") {
        this.move(id, inst, "pending");
        inst.timer = setTimeout(() => {
          inst.timer = null;
          inst.launchTime = new Date();
          this.move(id, inst, "running");
        }, this.settings.pendingMs);
      }
      return { status: 200, xml: transitionXml("StartInstancesResponse", "instancesSet", id, inst.state, previous) };
    }
    if (inst.state === "terminated" || inst.state === "shutting-down") {
      return errorXml(400, "IncorrectInstanceState", `The instance '${id}' is not in a state from which it can be stopped.`);
    }
    if (inst.state === "pending") return errorXml(400, "IncorrectInstanceState", `The instance '${id}' is not in a state from which it can be stopped.`);
    if (inst.state === "running") {
      this.move(id, inst, "stopping");
      inst.timer = setTimeout(() => {
        inst.timer = null;
        this.move(id, inst, "stopped");
      }, this.settings.stoppingMs);
    }
    return { status: 200, xml: transitionXml("StopInstancesResponse", "instancesSet", id, inst.state, previous) };
  }

  private move(id: string, inst: Instance, state: InstanceStateName): void {
    inst.state = state;
    if (state === "running" && !inst.launchTime) inst.launchTime = new Date();
    for (const fn of this.listeners) fn(id, state);
  }
}

export const DEFAULT_INSTANCE_ID = "i-0123456789abcdef0";

const stateXml = (el: string, s: InstanceStateName) => `<${el}><code>${CODES[s]}</code><name>${s}</name></${el}>`;

function describeXml(id: string, inst: Instance): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="${NS}"><requestId>${randomUUID()}</requestId><reservationSet><item><reservationId>r-0123456789abcdef0</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item><instanceId>${id}</instanceId>${stateXml("instanceState", inst.state)}<instanceType>t3.small</instanceType>${inst.launchTime ? `<launchTime>${inst.launchTime.toISOString()}</launchTime>` : ""}</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`;
}

function transitionXml(root: string, set: string, id: string, current: InstanceStateName, previous: InstanceStateName): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<${root} xmlns="${NS}"><requestId>${randomUUID()}</requestId><${set}><item><instanceId>${id}</instanceId>${stateXml("currentState", current)}${stateXml("previousState", previous)}</item></${set}></${root}>`;
}

export function errorXml(status: number, code: string, message: string): { status: number; xml: string } {
  return {
    status,
    xml: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>${code}</Code><Message>${message.replace(/[<&]/g, "")}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
  };
}
