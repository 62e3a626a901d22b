export * from "./access-log-bucket";
export * from "./backup-access";
export * from "./backup-key";
export * from "./gcs-vault";
export * from "./policy-documents";
export * from "./replication";
export * from "./retention";
export * from "./tier-bucket";
