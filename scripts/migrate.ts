// `npm run db:migrate`: applies migrations/ to DATABASE_URL (a PostgreSQL server such as Neon; TLS when the URL
// asks for it with sslmode=require) or, when DATABASE_URL is unset, to the local PGlite in .breakwater/pgdata.
import { LOCAL_PGDATA_DIR, migratePglite, migratePostgres } from "./lib/db.ts";

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  // `npm run deploy` passes --remote: migrating the local PGlite by mistake before a production deploy would hide
  // a missing DATABASE_URL.
  if (process.argv.includes("--remote") && !databaseUrl) {
    throw new Error("DATABASE_URL must name the production database (e.g. your Neon URL) for npm run deploy.");
  }
  if (databaseUrl) {
    await migratePostgres(databaseUrl);
    console.log(`Migrations applied to ${redact(databaseUrl)}.`);
  } else {
    await migratePglite(LOCAL_PGDATA_DIR);
    console.log(`Migrations applied to the local database ${LOCAL_PGDATA_DIR} (DATABASE_URL is not set).`);
  }
}

/** The URL without its password, for messages. */
function redact(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "<DATABASE_URL>";
  }
}

main().catch((err: unknown) => {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
