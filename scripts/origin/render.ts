// `npm run origin:render -- <what>`: the origin's generated files.
//   litellm [--check]          write origin/litellm/config.yaml from the catalog (--check: fail if it is out of date)
//   origin-models              print the Worker's ORIGIN_MODELS value for origin/litellm/origin-models.json
//   bootstrap --vars FILE      print the rendered cloud-init script (FILE: JSON of BootstrapValues)
//   user-data --vars FILE      print it gzip+base64, as EC2 receives it (fails over the 16 KB limit)
import { readFileSync, writeFileSync } from "node:fs";
import { originModelsSetting } from "./litellm-config.ts";
import { currentLitellmConfig, LITELLM_CONFIG_PATH, originModels, renderBootstrap, userData, type BootstrapValues } from "./files.ts";
import { USER_DATA_LIMIT } from "./template.ts";

function values(argv: string[]): BootstrapValues {
  const i = argv.indexOf("--vars");
  if (i < 0 || !argv[i + 1]) throw new Error("--vars FILE (a JSON object: region, ssm_prefix, artifacts_bucket, video_bucket_us_east_1, video_bucket_us_west_2) is required");
  return JSON.parse(readFileSync(argv[i + 1]!, "utf8")) as BootstrapValues;
}

function main(argv: string[]): void {
  const [what] = argv;
  if (what === "litellm") {
    const text = currentLitellmConfig();
    if (argv.includes("--check")) {
      if (readFileSync(LITELLM_CONFIG_PATH, "utf8") !== text) throw new Error("origin/litellm/config.yaml is out of date: run npm run origin:render -- litellm");
      return;
    }
    writeFileSync(LITELLM_CONFIG_PATH, text);
    return;
  }
  if (what === "origin-models") return void process.stdout.write(`${originModelsSetting(originModels())}\n`);
  if (what === "bootstrap") return void process.stdout.write(renderBootstrap(values(argv)));
  if (what === "user-data") {
    const data = userData(renderBootstrap(values(argv)));
    if (data.length > USER_DATA_LIMIT) throw new Error(`user data is ${data.length} bytes gzip+base64, over EC2's ${USER_DATA_LIMIT}`);
    return void process.stdout.write(`${data}\n`);
  }
  throw new Error("usage: origin:render -- litellm [--check] | origin-models | bootstrap --vars FILE | user-data --vars FILE");
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`origin:render: ${(e as Error).message}`);
  process.exit(1);
}
