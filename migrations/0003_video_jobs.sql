CREATE TABLE "video_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key_id" uuid,
	"key_alias" text,
	"model" text NOT NULL,
	"bedrock_model" text NOT NULL,
	"region" text NOT NULL,
	"mode" text NOT NULL,
	"prompt" text NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"duration_seconds" integer NOT NULL,
	"cost" numeric(20, 10) NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"invocation_arn" text,
	"s3_uri" text NOT NULL,
	"output_key" text,
	"error" text,
	"request_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "video_jobs" ADD CONSTRAINT "video_jobs_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "video_jobs_key_id_status_idx" ON "video_jobs" USING btree ("key_id","status");--> statement-breakpoint
CREATE INDEX "video_jobs_key_id_created_at_idx" ON "video_jobs" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "video_jobs_status_idx" ON "video_jobs" USING btree ("status");