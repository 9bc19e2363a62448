CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"key_alias" text,
	"user_id" text,
	"team_id" text,
	"models" text[] DEFAULT '{}'::text[] NOT NULL,
	"max_budget" numeric(20, 6),
	"budget_duration" text,
	"budget_reset_at" timestamp with time zone,
	"spend" numeric(20, 10) DEFAULT '0' NOT NULL,
	"rpm_limit" integer,
	"tpm_limit" integer,
	"max_parallel_requests" integer,
	"expires" timestamp with time zone,
	"blocked" boolean DEFAULT false NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "spend_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"key_id" uuid,
	"key_alias" text,
	"model" text NOT NULL,
	"bedrock_model" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" integer DEFAULT 0 NOT NULL,
	"cache_creation_input_tokens" integer DEFAULT 0 NOT NULL,
	"cost" numeric(20, 10) DEFAULT '0' NOT NULL,
	"latency_ms" integer,
	"status" integer NOT NULL,
	"stream" boolean,
	"target" text,
	"start_time" timestamp with time zone DEFAULT now() NOT NULL,
	"end_time" timestamp with time zone,
	CONSTRAINT "spend_logs_request_id_unique" UNIQUE("request_id")
);
--> statement-breakpoint
ALTER TABLE "spend_logs" ADD CONSTRAINT "spend_logs_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "spend_logs_key_id_start_time_idx" ON "spend_logs" USING btree ("key_id","start_time");--> statement-breakpoint
CREATE INDEX "spend_logs_start_time_idx" ON "spend_logs" USING btree ("start_time");