CREATE TABLE "admin_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"key_id" uuid,
	"key_alias" text,
	"request_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "grace_key_hash" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "grace_expires" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "budget_timezone" text;--> statement-breakpoint
CREATE INDEX "admin_audit_at_idx" ON "admin_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "admin_audit_key_id_idx" ON "admin_audit" USING btree ("key_id");--> statement-breakpoint
CREATE INDEX "api_keys_grace_key_hash_idx" ON "api_keys" USING btree ("grace_key_hash");