export * from "./access";
export * from "./cluster";
export * from "./operator";
export * from "./pgbackrest";
export * from "./replication-tls";
export * from "./spec";
export * from "./verification";
export * from "./verify-script";
