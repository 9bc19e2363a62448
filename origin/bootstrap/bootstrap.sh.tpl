#!/bin/bash
# shellcheck disable=SC2016,SC2154 # $${…} are template placeholders, filled before the script runs
# Breakwater origin, first boot (cloud-init user data). Rendered by Terraform's templatefile() (or
# `npm run origin:render -- bootstrap`), sent gzip+base64 (EC2 allows 16 KB). Runs once: a marker file ends later runs.
# Shell variables are written $NAME, never with braces: braces belong to the template.
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

ssm() {
  aws ssm get-parameter --region "$REGION" --with-decryption --name "$SSM_PREFIX/$1" --query Parameter.Value --output text
}

fetch_checked() { # s3 key, destination, sha256
  aws s3 cp --region "$REGION" "s3://$ARTIFACTS/$1" "$2"
  echo "$3  $2" | sha256sum -c -
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

# ---- LiteLLM (hash-locked) --------------------------------------------------------------------------------------------
fetch_checked litellm/requirements.txt /root/litellm-requirements.txt '${litellm_requirements_sha256}'
python3.11 -m venv /opt/litellm
/opt/litellm/bin/pip install --no-cache-dir --require-hashes -r /root/litellm-requirements.txt
/opt/litellm/bin/litellm --version | grep -F '${litellm_version}'
cat > /etc/litellm/config.yaml <<'CONFIG'
${litellm_config}
CONFIG
chmod 0644 /etc/litellm/config.yaml

# ---- the video sidecar ------------------------------------------------------------------------------------------------
fetch_checked sidecar/sidecar.tar.gz /root/sidecar.tar.gz '${sidecar_sha256}'
install -d -m 0755 /opt/breakwater-sidecar
tar -xzf /root/sidecar.tar.gz -C /opt/breakwater-sidecar --no-same-owner
chmod -R go-w,a+rX /opt/breakwater-sidecar

# ---- cloudflared (pinned release, checked) ----------------------------------------------------------------------------
curl -fsSL -o /root/cloudflared "https://github.com/cloudflare/cloudflared/releases/download/${cloudflared_version}/cloudflared-linux-amd64"
echo '${cloudflared_sha256}  /root/cloudflared' | sha256sum -c -
install -m 0755 /root/cloudflared /usr/local/bin/cloudflared

# ---- secrets (SSM), env files readable by their service only -----------------------------------------------------------
MASTER_KEY="$(ssm litellm-master-key)"
printf 'LITELLM_MASTER_KEY=%s\nAWS_REGION=%s\nDISABLE_ADMIN_UI=True\nNO_DOCS=True\nNO_REDOC=True\n' "$MASTER_KEY" "$REGION" > /etc/litellm/env
printf 'ORIGIN_SHARED_SECRET=%s\nDATABASE_URL=%s\nAWS_REGION=%s\n' "$(ssm origin-shared-secret)" "$(ssm database-url)" "$REGION" > /etc/breakwater-sidecar/env
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
