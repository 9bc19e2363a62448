/**
 * The EC2 Query API, just the three calls the origin's life needs (DescribeInstances, StartInstances,
 * StopInstances), signed with SigV4 for service `ec2` by aws4fetch. Wire format: ../shared/reference/MEDIA_ORIGIN.md §5.
 * The answers are small, fixed XML documents; a few anchored regular expressions read them (no DOMParser in Workers).
 */
import { AwsClient } from "aws4fetch";

export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

export interface InstanceStatus {
  state: InstanceStateName;
  /** When the instance last started (ms since the epoch), if EC2 said. */
  launchTime: number | null;
}

export interface Transition {
  previous: InstanceStateName | null;
  current: InstanceStateName | null;
}

/** An error EC2 answered with; `code` is EC2's (UnauthorizedOperation, IncorrectInstanceState, …). */
export class Ec2Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface Ec2Options {
  endpoint: string;
  region: string;
  instanceId: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const NAMES: Record<number, InstanceStateName> = { 0: "pending", 16: "running", 32: "shutting-down", 48: "terminated", 64: "stopping", 80: "stopped" };

export class Ec2Client {
  private readonly aws: AwsClient;

  constructor(private readonly opts: Ec2Options) {
    this.aws = new AwsClient({ ...opts.credentials, service: "ec2", region: opts.region, retries: 1 });
  }

  async describe(): Promise<InstanceStatus> {
    const xml = await this.call("DescribeInstances");
    const state = stateIn(xml, "instanceState");
    if (!state) throw new Ec2Error(404, "InvalidInstanceID.NotFound", `The instance ID '${this.opts.instanceId}' does not exist`);
    const launch = tag(xml, "launchTime");
    const t = launch ? Date.parse(launch) : NaN;
    return { state, launchTime: Number.isFinite(t) ? t : null };
  }

  async start(): Promise<Transition> {
    return transition(await this.call("StartInstances"));
  }

  async stop(): Promise<Transition> {
    return transition(await this.call("StopInstances"));
  }

  private async call(action: string): Promise<string> {
    // A string body: aws4fetch cannot hash URLSearchParams (MEDIA_ORIGIN §1, pitfall 5).
    const body = new URLSearchParams({ Action: action, Version: "2016-11-15", "InstanceId.1": this.opts.instanceId }).toString();
    const res = await this.aws.fetch(`${this.opts.endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    const xml = await res.text();
    if (!res.ok) throw new Ec2Error(res.status, tag(xml, "Code") ?? "Unknown", tag(xml, "Message") ?? `HTTP ${res.status}`);
    return xml;
  }
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

function stateIn(xml: string, element: string): InstanceStateName | null {
  const m = new RegExp(`<${element}>\\s*<code>(\\d+)</code>\\s*<name>([a-z-]+)</name>`).exec(xml);
  if (!m) return null;
  // Only the low byte is the state (the high byte is internal to EC2).
  return NAMES[Number(m[1]) & 0xff] ?? null;
}

function transition(xml: string): Transition {
  return { previous: stateIn(xml, "previousState"), current: stateIn(xml, "currentState") };
}
