#!/bin/bash
# shellcheck disable=SC2016,SC2154 # $${…} are template placeholders, filled before the script runs
# Breakwater origin, first boot (cloud-init user data). Rendered by Terraform's templatefile() (or
# `npm run origin:render -- bootstrap`), sent gzip+base64 (EC2 allows 16 KB). Runs once: a marker file ends later runs.
# Shell variables are written $NAME, never with braces: braces belong to the template.
#
# Secrets and artifact checksums are never in this file: the instance reads them from SSM with its role. The two
# artifacts (the sidecar bundle and LiteLLM's hash-locked requirements) are uploaded by `npm run deploy`, which may run
# after this instance first boots, so the script waits for them (up to ARTIFACT_WAIT_SECONDS).
set -euo pipefail
umask 077
exec > >(tee -a /var/log/breakwater-bootstrap.log) 2>&1

MARKER=/var/lib/breakwater/bootstrapped
if [ -e "$MARKER" ]; then
  echo "already bootstrapped; nothing to do"
  exit 0
fi

REGION='${region}'
SSM_PREFIX='${ssm_prefix}'
ARTIFACTS='${artifacts_bucket}'
ARTIFACT_WAIT_SECONDS=3600

ssm() {
  aws ssm get-parameter --region "$REGION" --with-decryption --name "$SSM_PREFIX/$1" --query Parameter.Value --output text
}

wait_for_artifacts() {
  local waited=0
  until ssm artifacts/sidecar-sha256 >/dev/null 2>&1 && ssm artifacts/litellm-requirements-sha256 >/dev/null 2>&1; do
    if [ "$waited" -ge "$ARTIFACT_WAIT_SECONDS" ]; then
      echo "origin artifacts were not published within $ARTIFACT_WAIT_SECONDS s: run npm run deploy, then reboot this instance" >&2
      exit 1
    fi
    echo "waiting for npm run deploy to publish the origin artifacts ($waited s)"
    sleep 20
    waited=$((waited + 20))
  done
}

fetch_checked() { # s3 key, destination, name of the SSM parameter holding its SHA-256
  local sum
  sum="$(ssm "$3")"
  aws s3 cp --region "$REGION" --only-show-errors "s3://$ARTIFACTS/$1" "$2"
  echo "$sum  $2" | sha256sum -c -
}

# ---- system ---------------------------------------------------------------------------------------------------------
dnf install -y nodejs22 python3.11 python3.11-pip
if [ ! -e /swapfile ]; then
  dd if=/dev/zero of=/swapfile bs=1M count=512
  chmod 600 /swapfile
  mkswap /swapfile
  swapon /swapfile
  echo '/swapfile none swap sw 0 0' >> /etc/fstab
fi
# QUIC buffers for cloudflared
printf 'net.core.rmem_max=7500000\nnet.core.wmem_max=7500000\n' > /etc/sysctl.d/90-cloudflared.conf
sysctl --system >/dev/null

# One user per service, none with a login shell.
for u in litellm bw-sidecar cloudflared; do
  id "$u" >/dev/null 2>&1 || useradd --system --home-dir "/var/lib/$u" --shell /sbin/nologin "$u"
done
install -d -o litellm -g litellm -m 0750 /var/lib/litellm
install -d -o bw-sidecar -g bw-sidecar -m 0750 /var/lib/breakwater-sidecar
install -d -m 0755 /etc/litellm /etc/breakwater-sidecar /etc/cloudflared /var/lib/breakwater

wait_for_artifacts

# ---- LiteLLM (hash-locked) --------------------------------------------------------------------------------------------
fetch_checked litellm/requirements.txt /root/litellm-requirements.txt artifacts/litellm-requirements-sha256
python3.11 -m venv /opt/litellm
/opt/litellm/bin/pip install --no-cache-dir --require-hashes -r /root/litellm-requirements.txt
/opt/litellm/bin/litellm --version | grep -F '${litellm_version}'
cat > /etc/litellm/config.yaml <<'CONFIG'
${litellm_config}
CONFIG
chmod 0644 /etc/litellm/config.yaml

# ---- the video sidecar ------------------------------------------------------------------------------------------------
fetch_checked sidecar/sidecar.tar.gz /root/sidecar.tar.gz artifacts/sidecar-sha256
install -d -m 0755 /opt/breakwater-sidecar
tar -xzf /root/sidecar.tar.gz -C /opt/breakwater-sidecar --no-same-owner
chmod -R go-w,a+rX /opt/breakwater-sidecar

# ---- cloudflared (Cloudflare's GPG-signed package repository, pinned version) ----------------------------------------
curl -fsSL -o /etc/yum.repos.d/cloudflared.repo https://pkg.cloudflare.com/cloudflared-ascii.repo
dnf install -y 'cloudflared-${cloudflared_version}'
install -m 0755 "$(command -v cloudflared)" /usr/local/bin/cloudflared

# ---- secrets (SSM), env files readable by their service only -----------------------------------------------------------
MASTER_KEY="$(ssm litellm-master-key)"
printf 'LITELLM_MASTER_KEY=%s\nAWS_REGION=%s\nDISABLE_ADMIN_UI=True\nNO_DOCS=True\nNO_REDOC=True\n' "$MASTER_KEY" "$REGION" > /etc/litellm/env
printf 'ORIGIN_SHARED_SECRET=%s\nDATABASE_URL=%s\nAWS_REGION=%s\nVIDEO_BUCKET_US_EAST_1=%s\nVIDEO_BUCKET_US_WEST_2=%s\n' \
  "$(ssm origin-shared-secret)" "$(ssm database-url)" "$REGION" '${video_bucket_us_east_1}' '${video_bucket_us_west_2}' > /etc/breakwater-sidecar/env
ssm tunnel-token > /etc/cloudflared/token
chown root:litellm /etc/litellm/env && chmod 0640 /etc/litellm/env
chown root:bw-sidecar /etc/breakwater-sidecar/env && chmod 0640 /etc/breakwater-sidecar/env
chown root:cloudflared /etc/cloudflared/token && chmod 0640 /etc/cloudflared/token
unset MASTER_KEY

# ---- services -------------------------------------------------------------------------------------------------------
cat > /etc/systemd/system/litellm.service <<'UNIT'
${litellm_unit}
UNIT
cat > /etc/systemd/system/breakwater-sidecar.service <<'UNIT'
${sidecar_unit}
UNIT
cat > /etc/systemd/system/cloudflared.service <<'UNIT'
${cloudflared_unit}
UNIT
chmod 0644 /etc/systemd/system/litellm.service /etc/systemd/system/breakwater-sidecar.service /etc/systemd/system/cloudflared.service
systemctl daemon-reload
systemctl enable --now litellm.service breakwater-sidecar.service cloudflared.service

date -u +%FT%TZ > "$MARKER"
echo "bootstrap complete"
