/** The jump hash lives with the handlers (the provisioner shards run-time tenants the same way); lib imports it. */
export { routeSlotOf, shardOf, shortDigest } from '../../lambda/core/sharding';
