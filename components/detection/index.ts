export * from "./alarm-set";
export * from "./alert-topic";
export * from "./failover-endpoint";
export * from "./metrics";
export * from "./security-detection";
export * from "./runtime-detection";
