import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { AnyPgDatabase } from "./queries.ts";
import { apiKeys } from "./schema.ts";

/**
 * A key's budget period rolled over: its period spend starts again from zero and the next reset is recorded.
 * Guarded so that a late or repeated call never undoes a newer reset.
 */
export async function resetKeyPeriod(db: AnyPgDatabase, keyId: string, nextResetAt: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ spend: sql`0`, budgetResetAt: nextResetAt, updatedAt: sql`now()` })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.budgetResetAt), lt(apiKeys.budgetResetAt, nextResetAt))));
}
