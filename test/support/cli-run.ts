// Runs one `breakwater` command line in-process, as the bin would, with its output captured and the requests it sent
// recorded: the CLI tests' one stand-in for the process (cli/io.ts). The gateway is whatever `fetch` reaches.
import type { Io } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** Each request sent, as "METHOD /path". */
  requests: string[];
  /** The same with the query string: "METHOD /path?query". */
  urls: string[];
}

export interface CliSetting {
  env: Record<string, string | undefined>;
  cwd?: string;
  /** No home by default: the machine user's ~/.config/breakwater is never read. */
  homeDir?: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

export async function runCli(argv: string[], s: CliSetting): Promise<CliRun> {
  const run: CliRun = { code: -1, out: "", err: "", requests: [], urls: [] };
  const send = s.fetch ?? fetch;
  const io: Io = {
    out: (t) => void (run.out += t),
    err: (t) => void (run.err += t),
    env: s.env,
    cwd: s.cwd ?? process.cwd(),
    homeDir: s.homeDir ?? "/nonexistent",
    fetch: (input, init) => {
      const u = new URL(String(input));
      run.requests.push(`${init?.method ?? "GET"} ${u.pathname}`);
      run.urls.push(`${init?.method ?? "GET"} ${u.pathname}${u.search}`);
      return send(input, init);
    },
    now: s.now ?? (() => new Date()),
    color: false,
  };
  run.code = await main(argv, io);
  return run;
}
