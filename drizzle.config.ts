import { defineConfig } from "drizzle-kit";

// `npm run db:generate` diffs worker/db/schema.ts against migrations/meta and writes the next SQL migration.
// Generation needs no database; `npm run db:migrate` applies the result (scripts/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./worker/db/schema.ts",
  out: "./migrations",
});
