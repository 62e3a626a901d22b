export * from "./backup-job";
export * from "./backup-jobs";
export * from "./sealed-secrets";
export * from "./vault";
export * from "./velero";
