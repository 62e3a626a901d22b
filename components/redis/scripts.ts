/**
 * The entrypoints of the Redis and Sentinel pods, as text for the ConfigMap. They are shell
 * because the server image has no other interpreter; they decide replication at start-up
 * from what Sentinel says, so a restarted pod rejoins as a replica of the current primary
 * instead of coming back as a second primary.
 */

export interface ScriptNames {
    /** The StatefulSet of the data members, e.g. "redis". */
    readonly redisSet: string;
    readonly redisHeadless: string;
    readonly sentinelSet: string;
    readonly sentinelHeadless: string;
    readonly namespace: string;
    readonly masterName: string;
    readonly redisPort: number;
    readonly sentinelPort: number;
    readonly sentinels: number;
}

const fqdn = (pod: string, service: string, namespace: string) => `${pod}.${service}.${namespace}.svc.cluster.local`;

export function startRedisScript(n: ScriptNames): string {
    const sentinelHosts = Array.from({ length: n.sentinels }, (_, i) => fqdn(`${n.sentinelSet}-${i}`, n.sentinelHeadless, n.namespace));
    return `#!/bin/sh
# Starts one data member. REDIS_PASSWORD comes from the pod's secret.
set -eu
self="$(hostname).${n.redisHeadless}.${n.namespace}.svc.cluster.local"
conf=/run/fortress/redis.conf
cp /etc/fortress-redis/redis.conf "$conf"
{
  echo "requirepass $REDIS_PASSWORD"
  echo "masterauth $REDIS_PASSWORD"
  echo "replica-announce-ip $self"
} >>"$conf"
export REDISCLI_AUTH="$REDIS_PASSWORD"

# Ask the Sentinels who the primary is; bounded, because a fresh cluster has no answer yet.
primary=""
for s in ${sentinelHosts.join(" ")}; do
  answer="$(timeout 3 valkey-cli -h "$s" -p ${n.sentinelPort} --no-auth-warning SENTINEL get-master-addr-by-name ${n.masterName} 2>/dev/null | head -1 || true)"
  if [ -n "$answer" ]; then primary="$answer"; break; fi
done
if [ -z "$primary" ]; then
  # No Sentinel knows a primary yet: the first member starts as primary.
  primary="${fqdn(`${n.redisSet}-0`, n.redisHeadless, n.namespace)}"
fi
if [ "$primary" != "$self" ]; then
  echo "replicaof $primary ${n.redisPort}" >>"$conf"
  echo "starting as a replica of $primary"
else
  echo "starting as the primary"
fi
exec valkey-server "$conf"
`;
}

export function startSentinelScript(n: ScriptNames): string {
    const peers = Array.from({ length: n.sentinels }, (_, i) => fqdn(`${n.sentinelSet}-${i}`, n.sentinelHeadless, n.namespace));
    return `#!/bin/sh
# Starts one Sentinel. Sentinel rewrites its own config as it learns the topology, so the
# file lives on the pod's volume and is seeded only once: from a peer that already knows
# the current primary (a failover may have moved it), else from the ConfigMap (member 0).
set -eu
self="$(hostname).${n.sentinelHeadless}.${n.namespace}.svc.cluster.local"
conf=/data/sentinel.conf
if [ ! -s "$conf" ]; then
  cp /etc/fortress-redis/sentinel.conf "$conf"
  for s in ${peers.join(" ")}; do
    [ "$s" = "$self" ] && continue
    answer="$(timeout 3 valkey-cli -h "$s" -p ${n.sentinelPort} SENTINEL get-master-addr-by-name ${n.masterName} 2>/dev/null | head -1 || true)"
    if [ -n "$answer" ]; then
      sed -i "s/^sentinel monitor ${n.masterName} [^ ]* /sentinel monitor ${n.masterName} $answer /" "$conf"
      break
    fi
  done
  {
    echo "sentinel auth-pass ${n.masterName} $REDIS_PASSWORD"
    echo "sentinel announce-ip $self"
  } >>"$conf"
fi
exec valkey-server "$conf" --sentinel
`;
}
