#!/bin/sh
# Init container of the Kubernetes sidecar form (image: docker/Dockerfile --target netinit).
# In the pod's shared network namespace, only the gateway's user may open TCP connections to the
# upstreams; any other container (the agent) gets a reset. A NetworkPolicy cannot do this: it
# sees pods, not the containers inside one.
#   UPSTREAM_PORTS  space-separated TCP ports of the upstreams (required), e.g. "3001 4001"
#   UPSTREAM_CIDRS  space-separated destinations (default 0.0.0.0/0)
#   GATEWAY_UID     the gateway container's runAsUser (default 10001)
set -eu
: "${UPSTREAM_PORTS:?set UPSTREAM_PORTS to the upstreams' TCP ports}"
cidrs="${UPSTREAM_CIDRS:-0.0.0.0/0}"
uid="${GATEWAY_UID:-10001}"

iptables -w -N PORTCULLIS_UPSTREAM 2>/dev/null || iptables -w -F PORTCULLIS_UPSTREAM
iptables -w -A PORTCULLIS_UPSTREAM -m owner --uid-owner "$uid" -j RETURN
iptables -w -A PORTCULLIS_UPSTREAM -p tcp -j REJECT --reject-with tcp-reset
for cidr in $cidrs; do
  for port in $UPSTREAM_PORTS; do
    iptables -w -A OUTPUT -p tcp -d "$cidr" --dport "$port" -j PORTCULLIS_UPSTREAM
  done
done
echo "portcullis-netinit: only uid $uid may reach tcp ports [$UPSTREAM_PORTS] of [$cidrs]"
iptables -w -S PORTCULLIS_UPSTREAM
