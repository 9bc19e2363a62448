# The origin sits in the default VPC with a public address so cloudflared can dial out, and a security group with no
# ingress rules at all: nothing on the internet can open a connection to it. Outbound: HTTPS (AWS APIs, packages)
# and 7844 (the tunnel: QUIC over UDP, HTTP/2 over TCP as fallback). DNS and NTP go to the VPC's link-local
# resolvers, which security groups do not filter.

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

resource "aws_security_group" "origin" {
  name        = "${var.name}-origin"
  description = "Breakwater origin: no ingress; egress to HTTPS and the Cloudflare Tunnel only"
  vpc_id      = data.aws_vpc.default.id
}

locals {
  origin_egress = {
    https       = { protocol = "tcp", port = 443 }
    tunnel_quic = { protocol = "udp", port = 7844 }
    tunnel_http = { protocol = "tcp", port = 7844 }
  }
}

resource "aws_vpc_security_group_egress_rule" "origin" {
  for_each          = local.origin_egress
  security_group_id = aws_security_group.origin.id
  description       = each.key
  ip_protocol       = each.value.protocol
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = "0.0.0.0/0"
}
